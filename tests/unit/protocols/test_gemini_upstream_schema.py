"""Tool schemas for Gemini: every real tool of the captures, one row per rule, random schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols.gemini.schema import KEPT, sanitize_parameters, sanitize_schema

CAPTURES = Path(__file__).parents[2] / "captures"
DROPPED = [
    "$schema",
    "$id",
    "$comment",
    "$ref",
    "$defs",
    "definitions",
    "additionalProperties",
    "propertyNames",
    "patternProperties",
    "unevaluatedProperties",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "not",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "examples",
    "const",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "allOf",
    "oneOf",
    "prefixItems",
    "multipleOf",
]

Json = dict[str, Any]


def schema_nodes(schema: Json) -> Iterator[Json]:
    """Every schema in ``schema`` (property names are not keywords)."""
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from schema_nodes(sub)
    if isinstance(schema.get("items"), dict):
        yield from schema_nodes(schema["items"])
    for sub in schema.get("anyOf") or ():
        yield from schema_nodes(sub)


def assert_gemini_schema(schema: Json) -> None:
    types.Schema.model_validate(schema)
    types.FunctionDeclaration.model_validate({"name": "t", "parametersJsonSchema": schema})
    json.dumps(schema, allow_nan=False)
    for node in schema_nodes(schema):
        assert set(node) <= KEPT, set(node) - KEPT
        assert not set(node) & set(DROPPED)
        if "enum" in node:
            assert node["type"] == "string" and all(isinstance(v, str) for v in node["enum"])
        if "format" in node:
            assert node["format"] in ("enum", "date-time", "float", "double", "int32", "int64")
        if "required" in node:
            assert set(node["required"]) <= set(node.get("properties") or {})
        if isinstance(node.get("type"), str):
            assert node["type"] == node["type"].lower()
        assert not ("anyOf" in node and "default" in node)


def _capture_tools() -> list[tuple[str, Json]]:
    tools: dict[str, Json] = {}
    for path in sorted(CAPTURES.glob("*/*__*.json")):
        capture = json.loads(path.read_text())
        if capture["cli"] not in ("claude", "codex"):
            continue
        for tool in capture["request"]["body"].get("tools", []):
            schema = tool.get("input_schema", tool.get("parameters"))
            if isinstance(schema, dict) and tool.get("name"):
                tools[f"{capture['cli']}:{tool['name']}"] = schema
    return sorted(tools.items())


CAPTURED = _capture_tools()


def test_the_captures_hold_dozens_of_tools() -> None:
    assert len(CAPTURED) >= 30


@pytest.mark.parametrize(("name", "schema"), CAPTURED, ids=[n for n, _ in CAPTURED])
def test_captured_tool_schemas(name: str, schema: Json) -> None:
    original = json.dumps(schema, sort_keys=True)
    out, changes = sanitize_parameters(schema)
    assert json.dumps(schema, sort_keys=True) == original  # the input is left alone
    assert_gemini_schema(out)
    assert out["type"] == "object"
    assert set(out["properties"]) == set(schema.get("properties", {}))
    assert out.get("required", []) == [
        n for n in schema.get("required", []) if n in schema.get("properties", {})
    ]
    if "additionalProperties" in json.dumps(schema):
        assert "additionalProperties" in changes.dropped


def test_claude_code_tool_details() -> None:
    tools = dict(CAPTURED)
    read, changes = sanitize_parameters(tools["claude:Read"])
    offset = tools["claude:Read"]["properties"]["offset"]
    assert read["properties"]["offset"]["type"] == "integer"
    if "exclusiveMinimum" in json.dumps(offset):
        assert "exclusiveMinimum" in changes.rewritten
    fetch, changes = sanitize_parameters(tools["claude:WebFetch"])
    assert fetch["properties"]["url"]["type"] == "string" and "format" in changes.dropped
    _, changes = sanitize_parameters(tools["claude:TaskUpdate"])
    assert "const" in changes.rewritten and "propertyNames" in changes.dropped


# --- one row per rule ---------------------------------------------------------------------

ROWS: list[tuple[str, Json | None, Json]] = [
    (
        "metadata keywords",
        {"$schema": "x", "$id": "y", "$comment": "z", "type": "object", "properties": {}},
        {"type": "object", "properties": {}},
    ),
    (
        "object keywords",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": False,
            "propertyNames": {"pattern": "^a"},
            "patternProperties": {"^x": {}},
            "unevaluatedProperties": False,
            "dependentRequired": {"a": ["b"]},
            "dependentSchemas": {"a": {}},
        },
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ),
    (
        "conditionals and not",
        {
            "type": "object",
            "properties": {"a": {"type": "string", "not": {"const": "x"}}},
            "if": {"required": ["a"]},
            "then": {},
            "else": {},
        },
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ),
    (
        "array keywords",
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "contains": {"const": 1},
                    "minContains": 1,
                    "maxContains": 2,
                    "uniqueItems": True,
                    "minItems": 1,
                    "maxItems": 3,
                    "examples": [[1]],
                }
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}
            },
        },
    ),
    (
        "const as enum",
        {"type": "object", "properties": {"k": {"type": "string", "const": "on"}}},
        {"type": "object", "properties": {"k": {"type": "string", "enum": ["on"]}}},
    ),
    (
        "untyped const of a string",
        {"properties": {"k": {"const": "on"}}},
        {"type": "object", "properties": {"k": {"type": "string", "enum": ["on"]}}},
    ),
    (
        "numeric enum to the description",
        {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}},
        {
            "type": "object",
            "properties": {"n": {"type": "integer", "description": "Allowed values: 1, 2."}},
        },
    ),
    (
        "string enum with other values",
        {"type": "object", "properties": {"s": {"type": "string", "enum": ["a", 1, None]}}},
        {
            "type": "object",
            "properties": {"s": {"type": "string", "enum": ["a", "1"], "nullable": True}},
        },
    ),
    (
        "exclusive bounds",
        {
            "type": "object",
            "properties": {
                "i": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                "f": {"type": "number", "exclusiveMinimum": 0.5, "minimum": 0},
                "old": {"type": "number", "minimum": 1, "exclusiveMinimum": True},
            },
        },
        {
            "type": "object",
            "properties": {
                "i": {"type": "integer", "minimum": 1, "maximum": 9},
                "f": {"type": "number", "minimum": 0.5},
                "old": {"type": "number", "minimum": 1},
            },
        },
    ),
    (
        "formats",
        {
            "type": "object",
            "properties": {
                "u": {"type": "string", "format": "uri"},
                "d": {"type": "string", "format": "date-time"},
                "n": {"type": "number", "format": "double"},
                "i": {"type": "integer", "format": "int64"},
                "x": {"type": "integer", "format": "uint8"},
            },
        },
        {
            "type": "object",
            "properties": {
                "u": {"type": "string"},
                "d": {"type": "string", "format": "date-time"},
                "n": {"type": "number", "format": "double"},
                "i": {"type": "integer", "format": "int64"},
                "x": {"type": "integer"},
            },
        },
    ),
    (
        "refs inlined, the reference's description wins",
        {
            "type": "object",
            "properties": {
                "p": {"$ref": "#/$defs/Point", "description": "where"},
                "q": {"$ref": "#/definitions/Name"},
            },
            "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
            "definitions": {"Name": {"type": "string", "description": "a name"}},
        },
        {
            "type": "object",
            "properties": {
                "p": {
                    "type": "object",
                    "properties": {"x": {"type": "number"}},
                    "description": "where",
                },
                "q": {"type": "string", "description": "a name"},
            },
        },
    ),
    (
        "recursive ref",
        {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                    },
                }
            },
        },
        {
            "type": "object",
            "properties": {
                "tree": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "string"},
                        "children": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
    ),
    (
        "unresolvable ref",
        {"type": "object", "properties": {"a": {"$ref": "https://x.test/s.json"}}},
        {"type": "object", "properties": {"a": {"type": "object"}}},
    ),
    (
        "anyOf X or null",
        {
            "type": "object",
            "properties": {
                "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
                "b": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/N"}]},
            },
            "$defs": {"N": {"type": "integer"}},
        },
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "description": "d", "nullable": True},
                "b": {"type": "integer", "nullable": True},
            },
        },
    ),
    (
        "anyOf kept, default beside it dropped",
        {
            "type": "object",
            "properties": {
                "a": {"anyOf": [{"type": "string"}, {"type": "integer"}], "default": "x"}
            },
        },
        {
            "type": "object",
            "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        },
    ),
    (
        "type list",
        {
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"], "maxLength": 3},
                "b": {"type": ["string", "integer"], "description": "d", "minimum": 1},
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 3, "nullable": True},
                "b": {
                    "description": "d",
                    "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1}],
                },
            },
        },
    ),
    (
        "allOf merged",
        {
            "type": "object",
            "properties": {
                "a": {
                    "allOf": [
                        {"type": "object", "properties": {"x": {"type": "string"}}},
                        {"properties": {"y": {"type": "integer"}}, "required": ["x", "y"]},
                    ]
                }
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "object",
                    "properties": {"x": {"type": "string"}, "y": {"type": "integer"}},
                    "required": ["x", "y"],
                }
            },
        },
    ),
    (
        "required names of no property",
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b", "a"]},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    ),
    ("an empty root", {}, {"type": "object", "properties": {}}),
    ("no parameters at all", None, {"type": "object", "properties": {}}),
    (
        "a root that is not an object",
        {"type": "string", "description": "d"},
        {"type": "object", "description": "d", "properties": {}},
    ),
    (
        "default null and vendor keys",
        {
            "type": "object",
            "properties": {"a": {"type": "string", "default": None, "x-order": 1}},
        },
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ),
    (
        "draft 4 tuple items",
        {
            "type": "object",
            "properties": {
                "t": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}
            },
        },
        {
            "type": "object",
            "properties": {
                "t": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                }
            },
        },
    ),
    (
        "uppercase types",
        {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
        {"type": "object", "properties": {"a": {"type": "string"}}},
    ),
]


@pytest.mark.parametrize(("name", "schema", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_rules(name: str, schema: Json | None, expected: Json) -> None:
    out, changes = sanitize_parameters(schema)
    assert out == expected
    assert_gemini_schema(out)
    if schema and expected != schema:
        assert changes, "every change is recorded"


def test_changes_are_described_once_each() -> None:
    schema = {
        "$schema": "x",
        "type": "object",
        "properties": {"a": {"type": "string", "const": "b", "additionalProperties": False}},
        "additionalProperties": False,
    }
    _, changes = sanitize_parameters(schema)
    assert changes.describe() == "keywords $schema, additionalProperties dropped; const rewritten"


def test_exponential_refs_stay_bounded() -> None:
    defs: Json = {"D0": {"type": "string"}}
    for n in range(1, 30):
        ref = {"$ref": f"#/$defs/D{n - 1}"}
        defs[f"D{n}"] = {"type": "object", "properties": {"a": ref, "b": ref}}
    out, _ = sanitize_schema({"$ref": "#/$defs/D29", "$defs": defs})
    assert len(json.dumps(out)) < 5_000_000
    assert_gemini_schema(out)


def test_deep_nesting_is_cut() -> None:
    schema: Json = {"type": "string"}
    for _ in range(200):
        schema = {"type": "object", "properties": {"a": schema}}
    out, changes = sanitize_parameters(schema)
    assert_gemini_schema(out)
    assert "(schema nested too deep)" in changes.rewritten


# --- random schemas -----------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "not", "type", "$ref", "items"])
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=3)
)
KEYWORD_VALUES = {
    "type": st.one_of(
        st.sampled_from(["string", "number", "integer", "boolean", "array", "object", "null"]),
        st.lists(st.sampled_from(["string", "null", "integer", "object", "bogus"]), max_size=3),
        SCALAR,
    ),
    "enum": st.lists(SCALAR, max_size=3),
    "const": SCALAR,
    "format": st.sampled_from(["uri", "date-time", "enum", "int64", "double", "email"]),
    "default": SCALAR,
    "minimum": SCALAR,
    "exclusiveMinimum": SCALAR,
    "exclusiveMaximum": SCALAR,
    "minItems": SCALAR,
    "required": st.lists(NAMES, max_size=3),
    "description": SCALAR,
    "nullable": SCALAR,
    "$ref": st.sampled_from(["#/$defs/A", "#/definitions/B", "#", "#/$defs/missing", "x.json"]),
    "uniqueItems": SCALAR,
    "additionalProperties": st.booleans(),
    "propertyNames": st.just({"pattern": "x"}),
    "examples": st.lists(SCALAR, max_size=2),
    "x-extra": SCALAR,
}


def _schema(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            **KEYWORD_VALUES,
            "properties": st.dictionaries(NAMES, children, max_size=3),
            "items": st.one_of(children, st.lists(children, max_size=2)),
            "anyOf": st.lists(children, max_size=3),
            "oneOf": st.lists(children, max_size=3),
            "allOf": st.lists(children, max_size=2),
            "not": children,
            "if": children,
            "$defs": st.fixed_dictionaries({}, optional={"A": children}),
            "definitions": st.fixed_dictionaries({}, optional={"B": children}),
        },
    )


SCHEMA = st.recursive(
    st.one_of(st.booleans(), st.fixed_dictionaries({}, optional=KEYWORD_VALUES)),
    _schema,
    max_leaves=12,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMA)
def test_random_schemas_come_out_valid(schema: Any) -> None:
    before = json.dumps(schema, sort_keys=True, default=str)
    out, _ = sanitize_parameters(schema)
    assert json.dumps(schema, sort_keys=True, default=str) == before
    assert out["type"] == "object"
    assert_gemini_schema(out)
    inner, _ = sanitize_schema(schema)
    assert_gemini_schema(inner)
