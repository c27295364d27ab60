"""Tool parameter schemas as Gemini takes them: a pure sanitiser of JSON schemas.

The encoder sends each tool's schema as ``parametersJsonSchema`` (JSON Schema, the field the
SDK recommends and the one Gemini CLI itself sends), not as ``parameters`` (Gemini's protobuf
``Schema``, an OpenAPI 3.0 subset where any unknown keyword or a list-valued ``type`` is a 400
for the whole request). The sanitised schema is kept inside what both can read: every node
validates as the SDK's ``types.Schema`` (which forbids unknown fields) and is still plain JSON
Schema in its spelling (lowercase type names). So it is safe whichever way the server parses it.

What changes (only the declaration: a model's arguments are never touched):
- Keywords outside that common set are dropped: ``$schema``, ``$id``, ``$comment``,
  ``additionalProperties``, ``propertyNames``, ``patternProperties``, ``unevaluated*``,
  ``dependent*``, ``if``/``then``/``else``, ``not``, ``contains``, ``uniqueItems``,
  ``examples``, ``multipleOf``, vendor ``x-…`` keys and anything unknown.
- Every array has ``items`` (Gemini refuses one without: "items: missing field"): a 2020-12
  tuple's ``prefixItems`` become ``items`` as the draft 4 tuple form does (any of the
  positions' schemas; ``prefixItems`` beside ``items`` is dropped), else ``items`` is ``{}``.
- ``$ref`` into ``$defs``/``definitions`` (any JSON pointer into the root) is inlined; a
  reference to a schema already being expanded (recursion), one past the depth guard, or one
  that cannot be resolved becomes ``{"type": "object"}``.
- ``allOf`` is merged into one schema; ``oneOf`` is read as ``anyOf``; ``anyOf``/``oneOf`` of
  one schema and ``{"type": "null"}`` becomes that schema with ``nullable: true``; other
  ``anyOf`` stay (``types.Schema`` has ``any_of``, and Gemini's JSON Schema support lists it).
- ``type: [X, "null"]`` becomes ``type: X`` with ``nullable: true``; several non-null types
  become an ``anyOf`` of one branch per type.
- ``const`` becomes a one-value ``enum``. Enum values must be strings (``types.Schema.enum``
  is ``list[str]``): a string schema's other values are written as JSON text; the enum of a
  number, integer or boolean schema is dropped and its values added to the description, so
  the model still reads them. ``null`` in an enum means ``nullable``.
- ``exclusiveMinimum``/``exclusiveMaximum`` with a number become ``minimum``/``maximum``
  (one more / less for integers); the boolean draft-4 form is dropped.
- ``format`` stays only where Gemini documents it: ``enum`` and ``date-time`` for strings,
  ``float``/``double`` for numbers, ``int32``/``int64`` for integers.
- ``default`` is dropped beside ``anyOf`` (Gemini CLI's own rule: the API refuses the pair)
  and unless it is a string, a boolean or a finite number.
- ``required`` keeps only names of declared properties.
- The root is always an object schema with ``properties`` (``{}`` when there are none).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Keywords kept (after the conversions above): JSON Schema spellings that are also fields
# of the SDK's ``types.Schema``.
KEPT = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "enum",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "minProperties",
        "maxProperties",
        "properties",
        "required",
        "anyOf",
        "nullable",
        "default",
    }
)
# Keywords read by the conversions, never written out as they are.
_CONVERTED = frozenset(
    {
        "$ref",
        "$defs",
        "definitions",
        "allOf",
        "oneOf",
        "const",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)
# Keywords read once a node's type is known.
_LATER = frozenset(
    {"exclusiveMinimum", "exclusiveMaximum", "enum", "const", "format", "nullable", "default"}
)
TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
FORMATS = {
    "string": frozenset({"enum", "date-time"}),
    "number": frozenset({"float", "double"}),
    "integer": frozenset({"int32", "int64"}),
}
# Keywords that belong to one type, for splitting ``type: [A, B]`` into branches.
_TYPE_KEYWORDS = {
    "string": ("format", "enum", "const", "minLength", "maxLength", "pattern"),
    "number": ("format", "enum", "const", "minimum", "maximum"),
    "integer": ("format", "enum", "const", "minimum", "maximum"),
    "boolean": ("enum", "const"),
    "array": ("items", "minItems", "maxItems", "prefixItems"),
    "object": ("properties", "required", "minProperties", "maxProperties"),
    "null": (),
}
_COUNTS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties")
MAX_DEPTH = 24  # schema nesting beyond this becomes {"type": "object"}
MAX_EXPANSIONS = 2_000  # $ref expansions per schema: a guard against exponential blow-up

Json = dict[str, Any]


@dataclass(slots=True)
class Changes:
    """What the sanitiser changed, by keyword, each once and in the order first met."""

    dropped: dict[str, None] = field(default_factory=dict)
    rewritten: dict[str, None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.dropped or self.rewritten)

    def describe(self) -> str:
        """``"keywords $schema, additionalProperties dropped; $ref rewritten"``."""
        said = []
        if self.dropped:
            said.append(f"keywords {', '.join(self.dropped)} dropped")
        if self.rewritten:
            said.append(f"{', '.join(self.rewritten)} rewritten")
        return "; ".join(said)


def sanitize_parameters(schema: object) -> tuple[Json, Changes]:
    """A tool's parameter schema as Gemini takes it, and what changed. Never raises."""
    changes = Changes()
    root = schema if isinstance(schema, Mapping) else {}
    if not isinstance(schema, Mapping) and schema is not None:
        changes.dropped["(a schema that is not an object)"] = None
    sanitiser = _Sanitiser(root, changes)
    out = sanitiser.tidy(sanitiser.node(root, 0))
    if out.get("type") != "object":
        if "type" in out or "anyOf" in out:
            # Gemini takes only an object of named arguments; keep what can be kept.
            changes.rewritten["type (the root must be an object)"] = None
            out = {k: v for k, v in out.items() if k in ("description", "title")}
        out["type"] = "object"
    out.pop("nullable", None)
    props = out.setdefault("properties", {})
    if not props:
        out.pop("required", None)
    return _ordered(out), changes


def sanitize_schema(schema: object) -> tuple[Json, Changes]:
    """Any JSON schema (not only a tool's root) in the form described above."""
    changes = Changes()
    root = schema if isinstance(schema, Mapping) else {}
    sanitiser = _Sanitiser(root, changes)
    return sanitiser.tidy(sanitiser.node(root, 0)), changes


class _Sanitiser:
    def __init__(self, root: Mapping[str, Any], changes: Changes) -> None:
        self.root = root
        self.changes = changes
        self.expanding: list[str] = []  # $refs being inlined, outermost first
        self.expansions = 0

    def drop(self, keyword: str) -> None:
        self.changes.dropped[keyword] = None

    def rewrite(self, keyword: str) -> None:
        self.changes.rewritten[keyword] = None

    # --- one schema node -------------------------------------------------------------------

    def node(self, schema: object, depth: int) -> Json:
        if isinstance(schema, bool) or schema is None:
            return {}  # true (or nothing): any value; false cannot be said, so any too
        if not isinstance(schema, Mapping):
            self.drop("(a schema that is not an object)")
            return {}
        if depth > MAX_DEPTH:
            self.rewrite("(schema nested too deep)")
            return {"type": "object"}
        if "$ref" in schema:
            return self._ref(schema, depth)
        src: Json = {k: v for k, v in schema.items() if isinstance(k, str)}
        for key in ("$defs", "definitions"):
            if key in src:
                del src[key]
                self.rewrite("$defs" if key == "$defs" else key)
        all_of = src.pop("allOf", None)
        one_of = src.pop("oneOf", None)
        any_of = src.pop("anyOf", None)
        if one_of is not None:
            if any_of is None:
                self.rewrite("oneOf")
                any_of = one_of
            else:
                self.drop("oneOf")
        type_value = src.get("type")
        if isinstance(type_value, list):
            return self._type_list(src, type_value, all_of, any_of, depth)
        out = self._plain(src, depth)
        if any_of is not None:
            self._any_of(out, any_of, depth)
        if all_of is not None:
            self._all_of(out, all_of, depth)
        return out

    def _plain(self, src: Json, depth: int) -> Json:
        out: Json = {}
        kind = src.get("type")
        if kind is not None:
            word = kind.lower() if isinstance(kind, str) else None
            if word in TYPES:
                if word != kind:
                    self.rewrite("type")
                out["type"] = word
            else:
                self.drop("type")
        for key, value in src.items():
            if key == "type":
                continue
            if key == "properties":
                if isinstance(value, Mapping):
                    out["properties"] = {
                        str(name): self.node(sub, depth + 1) for name, sub in value.items()
                    }
                else:
                    self.drop(key)
            elif key == "items":
                self._items(out, value, depth)
            elif key == "prefixItems" and "items" not in src and isinstance(value, list):
                # A 2020-12 tuple: as the draft 4 tuple form, lest the array lose its items.
                self.rewrite("prefixItems")
                self._items(out, value, depth)
            elif key == "required":
                if isinstance(value, list):
                    out["required"] = list(dict.fromkeys(v for v in value if isinstance(v, str)))
                else:
                    self.drop(key)
            elif key in ("title", "description", "pattern"):
                if isinstance(value, str):
                    out[key] = value
                else:
                    self.drop(key)
            elif key in _COUNTS:
                if _is_int(value) and value >= 0:
                    out[key] = value
                else:
                    self.drop(key)
            elif key in ("minimum", "maximum"):
                if _is_number(value):
                    out[key] = value
                else:
                    self.drop(key)
            elif key in _LATER:
                continue  # read once the type is known, below
            else:
                self.drop(key)
        if src.get("nullable") is True:
            out["nullable"] = True
        elif "nullable" in src:
            self.drop("nullable")
        self._bounds(out, src)
        self._enum(out, src)
        self._format(out, src)
        if "default" in src:
            value = src["default"]
            if isinstance(value, str | bool) or _is_number(value):
                out["default"] = value
            else:
                self.drop("default")  # null, or a structure: the description says more
        return out

    def _items(self, out: Json, value: object, depth: int) -> None:
        if isinstance(value, Mapping):
            out["items"] = self.node(value, depth + 1)
        elif isinstance(value, list) and value:
            # Draft 4 tuple items: any of the positions' schemas.
            self.rewrite("items (tuple form)")
            branches = [self.node(v, depth + 1) for v in value]
            unique = list({json.dumps(b, sort_keys=True): b for b in branches}.values())
            out["items"] = unique[0] if len(unique) == 1 else {"anyOf": unique}
        elif value is not True:
            self.drop("items")

    def _bounds(self, out: Json, src: Json) -> None:
        integer = out.get("type") == "integer"
        for key, bound, step in (
            ("exclusiveMinimum", "minimum", 1),
            ("exclusiveMaximum", "maximum", -1),
        ):
            if key not in src:
                continue
            value = src[key]
            if not _is_number(value):
                self.drop(key)  # draft 4's boolean form: the plain bound stays, inclusive
                continue
            self.rewrite(key)
            limit = value + step if integer and isinstance(value, int) else value
            current = out.get(bound)
            tighter = current is None or (limit > current if step > 0 else limit < current)
            if tighter:
                out[bound] = limit

    def _enum(self, out: Json, src: Json) -> None:
        values: list[Any] | None = None
        if "enum" in src:
            if isinstance(src["enum"], list):
                values = list(src["enum"])
            else:
                self.drop("enum")
        if "const" in src:
            self.rewrite("const")
            if values is None:
                values = [src["const"]]
        if values is None:
            return
        if None in values:
            out["nullable"] = True
            values = [v for v in values if v is not None]
        if not values:
            return
        kind = out.get("type")
        strings = all(isinstance(v, str) for v in values)
        if kind == "string" or (kind is None and strings):
            if not strings:
                self.rewrite("enum (values written as strings)")
            out["type"] = "string"
            out["enum"] = list(dict.fromkeys(v if isinstance(v, str) else _json(v) for v in values))
            return
        # Gemini's enum is a list of strings: the model reads the values instead.
        self.drop("enum")
        allowed = "Allowed values: " + ", ".join(_json(v) for v in values) + "."
        described = out.get("description")
        out["description"] = f"{described}\n{allowed}" if described else allowed

    def _format(self, out: Json, src: Json) -> None:
        if "format" not in src:
            return
        value = src["format"]
        kind = out.get("type")
        if isinstance(kind, str) and value in FORMATS.get(kind, ()):
            out["format"] = value
        else:
            self.drop("format")

    # --- combinations ----------------------------------------------------------------------

    def _type_list(
        self, src: Json, types: list[Any], all_of: object, any_of: object, depth: int
    ) -> Json:
        words = list(dict.fromkeys(t.lower() for t in types if isinstance(t, str)))
        if any(w not in TYPES for w in words) or len(words) != len(types):
            self.drop("type")
        nullable = "null" in words
        kinds = [w for w in words if w in TYPES and w != "null"]
        self.rewrite("type (a list)")
        rest = {k: v for k, v in src.items() if k != "type"}
        if len(kinds) <= 1:
            single = {**rest, "type": kinds[0]} if kinds else rest
            if all_of is not None:
                single["allOf"] = all_of
            if any_of is not None:
                single["anyOf"] = any_of
            out = self.node(single, depth)
        else:
            shared = {k: v for k, v in rest.items() if k in ("title", "description", "default")}
            out = self.node(shared, depth)
            branches = []
            for kind in kinds:
                own = {k: rest[k] for k in _TYPE_KEYWORDS[kind] if k in rest}
                branches.append(self.node({**own, "type": kind}, depth + 1))
            out["anyOf"] = branches
            if any_of is not None or all_of is not None:
                self.drop("anyOf" if any_of is not None else "allOf")
        if nullable:
            out["nullable"] = True
        return out

    def _any_of(self, out: Json, raw: object, depth: int) -> None:
        if not isinstance(raw, list) or not raw:
            self.drop("anyOf")
            return
        branches = [self.node(b, depth + 1) for b in raw]
        kept = [b for b in branches if not _is_null(b)]
        if len(kept) < len(branches):
            out["nullable"] = True
        if not kept:
            return
        if len(kept) == 1:
            # X or null: X itself, nullable. The node's own description and title win; for
            # what the value may be, the branch is the more specific.
            self.rewrite("anyOf")
            branch = kept[0]
            if "type" in branch and out.get("type") not in (None, branch["type"]):
                for key in ("enum", "format", "minimum", "maximum"):
                    out.pop(key, None)  # words of the node's other type
            for key, value in branch.items():
                if key in ("title", "description", "default"):
                    out.setdefault(key, value)
                else:
                    out[key] = value
            return
        out["anyOf"] = kept

    def _all_of(self, out: Json, raw: object, depth: int) -> None:
        if not isinstance(raw, list):
            self.drop("allOf")
            return
        self.rewrite("allOf")
        for branch in raw:
            _merge(out, self.node(branch, depth + 1))

    def tidy(self, out: Json) -> Json:
        """The last pass, once ``allOf`` merges are done: ``required`` against the properties
        declared, no ``default`` beside ``anyOf``, properties implying an object, an array's
        ``items``."""
        for sub in (out.get("properties") or {}).values():
            self.tidy(sub)
        if isinstance(out.get("items"), dict):
            self.tidy(out["items"])
        for sub in out.get("anyOf") or ():
            self.tidy(sub)
        properties = out.get("properties")
        if "required" in out:
            names = properties if isinstance(properties, Mapping) else {}
            kept = [n for n in out["required"] if n in names]
            if len(kept) != len(out["required"]):
                self.rewrite("required (names of no property)")
            if kept:
                out["required"] = kept
            else:
                del out["required"]
        if "anyOf" in out and "default" in out:
            del out["default"]
            self.drop("default")
        if out.get("type") == "array" and "items" not in out:
            out["items"] = {}  # Gemini refuses an array without items ("missing field")
        if "type" not in out and isinstance(properties, Mapping) and "anyOf" not in out:
            out["type"] = "object"
        return out

    # --- references ------------------------------------------------------------------------

    def _ref(self, schema: Mapping[str, Any], depth: int) -> Json:
        ref = schema.get("$ref")
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        target = self._resolve(ref) if isinstance(ref, str) else None
        if target is None:
            self.drop("$ref")
            return self._stand_in(siblings, depth)
        assert isinstance(ref, str)
        self.rewrite("$ref")
        if ref in self.expanding or self.expansions >= MAX_EXPANSIONS:
            return self._stand_in(siblings, depth)
        self.expansions += 1
        self.expanding.append(ref)
        try:
            # The reference's own words (a description, say) win over its target's.
            return self.node({**target, **siblings}, depth + 1)
        finally:
            self.expanding.pop()

    def _stand_in(self, siblings: Json, depth: int) -> Json:
        """What a reference that cannot be inlined becomes: an object, described."""
        out = self.node(siblings, depth) if siblings else {}
        out = {k: v for k, v in out.items() if k in ("title", "description", "nullable")}
        out["type"] = "object"
        return out

    def _resolve(self, ref: str) -> Mapping[str, Any] | None:
        """A JSON pointer into the root (``#/$defs/X``, ``#/definitions/X``, ``#``)."""
        if not ref.startswith("#"):
            return None  # another document: nothing to read it from
        node: object = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node if isinstance(node, Mapping) else None


def _merge(into: Json, other: Json) -> None:
    """``allOf``: both schemas' properties and requirements; for other words the first wins.
    A part of another type (which nothing could satisfy) adds only its description."""
    if "type" in other and into.get("type") not in (None, other["type"]):
        for key in ("title", "description"):
            if key in other:
                into.setdefault(key, other[key])
        return
    for key, value in other.items():
        if key == "properties" and isinstance(into.get("properties"), dict):
            for name, sub in value.items():
                into["properties"].setdefault(name, sub)
        elif key == "required" and isinstance(into.get("required"), list):
            into["required"] = list(dict.fromkeys([*into["required"], *value]))
        else:
            into.setdefault(key, value)
    if "properties" in into and "type" not in into and "anyOf" not in into:
        into["type"] = "object"


def _is_null(schema: Json) -> bool:
    return schema.get("type") == "null" and not schema.get("anyOf")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _ordered(out: Json) -> Json:
    """``type`` first, as schemas are usually read."""
    return {"type": out["type"], **{k: v for k, v in out.items() if k != "type"}}
