"""A small value that fits a JSON schema: the answer to side calls that ask for JSON output
(Gemini CLI's model routing call, Claude Code's title call)."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 10


def minimal_instance(schema: Any, depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or () if isinstance(o, dict)]
        usable = [o for o in options if _type(o) != "null"]
        if usable:
            return minimal_instance(usable[0], depth + 1)
    kind = _type(schema)
    if kind == "object":
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        names = required if isinstance(required, list) else list(props)
        return {n: minimal_instance(props.get(n), depth + 1) for n in names if isinstance(n, str)}
    if kind == "array":
        count = schema.get("minItems")
        count = count if isinstance(count, int) and count > 0 else 0
        return [minimal_instance(schema.get("items"), depth + 1) for _ in range(count)]
    if kind == "string":
        length = schema.get("minLength")
        return "selftest".ljust(length if isinstance(length, int) else 0, "x")
    if kind in ("integer", "number"):
        low = schema.get("minimum")
        return low if isinstance(low, int | float) and not isinstance(low, bool) else 1
    if kind == "boolean":
        return False
    return None


def _type(schema: dict[str, Any]) -> str | None:
    """The (first non-null) type, lower-cased: Gemini schemas spell types in upper case."""
    raw = schema.get("type")
    if isinstance(raw, list):
        raw = next((t for t in raw if isinstance(t, str) and t.lower() != "null"), None)
    if isinstance(raw, str):
        return raw.lower()
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else None
