"""Build a small valid instance of a JSON schema (OpenAPI/Gemini upper-case types included)."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 12


def minimal_instance(schema: Any) -> Any:
    """A small value that validates against `schema` (best effort, no network, bounded depth).

    Objects get their required properties (all properties when `required` is absent), strings
    are "mock" (padded to minLength), numbers the minimum or 1, arrays minItems items.
    """
    root = schema if isinstance(schema, dict) else {}
    return _instance(root, root, 0)


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}


def _type_of(schema: dict[str, Any]) -> str | None:
    raw = schema.get("type")
    if isinstance(raw, list):
        names = [str(t).lower() for t in raw]
        non_null = [t for t in names if t != "null"]
        return non_null[0] if non_null else (names[0] if names else None)
    if isinstance(raw, str):
        return raw.lower()
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _instance(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(schema.get("$ref"), str):
        return _instance(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [o for o in options if isinstance(o, dict) and _type_of(o) != "null"]
            pick = non_null[0] if non_null else options[0]
            return _instance(pick if isinstance(pick, dict) else {}, root, depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged: dict[str, Any] = {}
        for part in all_of:
            if isinstance(part, dict):
                merged.update(_resolve(root, part["$ref"]) if "$ref" in part else part)
        return _instance(merged, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, root, depth)
    if kind == "array":
        items = schema.get("items")
        count = schema.get("minItems", 0)
        count = count if isinstance(count, int) and 0 <= count <= 16 else 0
        item_schema = items if isinstance(items, dict) else {}
        return [_instance(item_schema, root, depth + 1) for _ in range(count)]
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "mock"


def _object(schema: dict[str, Any], root: dict[str, Any], depth: int) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required")
    names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
    if not isinstance(required, list):
        names = list(props)
    out: dict[str, Any] = {}
    for name in names:
        sub = props.get(name)
        out[name] = _instance(sub if isinstance(sub, dict) else {}, root, depth + 1)
    return out


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-01-01T00:00:00Z"
    if fmt == "date":
        return "2026-01-01"
    value = "mock"
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and min_len > len(value):
        value = value + "x" * min(min_len - len(value), 4096)
    max_len = schema.get("maxLength")
    if isinstance(max_len, int) and 0 <= max_len < len(value):
        value = value[:max_len]
    return value


def _number(schema: dict[str, Any], kind: str) -> int | float:
    value: float = 1
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, int | float) and not isinstance(low, bool):
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    elif isinstance(high, int | float) and not isinstance(high, bool) and high < value:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    return int(value) if kind == "integer" else float(value)
