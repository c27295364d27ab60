"""Gemini clients' schemas as JSON Schema: function declarations' ``parameters`` and
``responseSchema`` use Google's OpenAPI subset (upper-case type names, ``nullable``, numbers
as strings, snake_case keys); ``parametersJsonSchema`` and ``responseJsonSchema`` are JSON
Schema, sometimes with the upper-case names. Other providers want plain JSON Schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir

_SCHEMA_TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
_INT_KEYWORDS = frozenset(
    {"maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties"}
)


def camel_name(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def json_schema_of(raw: object, where: str, openapi: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    return _json_schema(raw, openapi)


_SUBSCHEMA_MAPS = ("properties", "$defs", "defs", "definitions", "patternProperties")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


def _json_schema(raw: Mapping[str, Any], openapi: bool) -> dict[str, Any]:
    """A JSON schema from Gemini's schema (``openapi``: its OpenAPI subset, else a JSON schema
    that may use Gemini's upper-case type names)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if openapi:
            key = camel_name(key) if "_" in key else key
            if key in ("propertyOrdering", "example"):
                continue
            if key == "nullable":
                continue  # below, with the type
            if key == "defs":
                key = "$defs"
            if key == "ref":
                key = "$ref"
            if key in _INT_KEYWORDS and isinstance(value, str) and value.isdigit():
                value = int(value)
        if key == "type":
            value = _type_name(value)
        elif key in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            value = {name: _sub(sub, openapi) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS or key == "items":
            value = [_sub(s, openapi) for s in value] if isinstance(value, list) else value
        if key in _SUBSCHEMAS:
            value = _sub(value, openapi)
        out[key] = value
    if openapi and raw.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def _sub(value: object, openapi: bool) -> object:
    return _json_schema(value, openapi) if isinstance(value, Mapping) else value


def _type_name(value: object) -> object:
    if isinstance(value, str) and value in _SCHEMA_TYPES:
        return value.lower()
    if isinstance(value, list):
        return [v.lower() if isinstance(v, str) and v in _SCHEMA_TYPES else v for v in value]
    return value
