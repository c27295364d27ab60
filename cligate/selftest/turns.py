"""A model request of any protocol, reduced to what the scripts decide on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cligate.protocols.kinds import WireProtocol

_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ToolDecl:
    """A tool the request offers the model: a function with a JSON schema, or freeform."""

    name: str
    schema: dict[str, Any] = field(default_factory=dict)
    freeform: bool = False  # a Responses "custom" tool: its input is plain text


@dataclass(frozen=True, slots=True)
class Turn:
    protocol: WireProtocol
    model: str
    stream: bool
    tools: tuple[ToolDecl, ...] = ()
    # The tool results the latest message carries (None: it carries none, a fresh turn).
    tool_results: tuple[str, ...] | None = None
    # Set when the request asks for JSON output (the schema, or {} for any JSON).
    json_schema: dict[str, Any] | None = None
    size: int = 0  # body bytes, for a rough token count


def dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def text_of(value: Any, depth: int = 0) -> str:
    """Every string in a tool-result payload, joined: results are strings, lists of parts or
    objects depending on the protocol and tool."""
    if depth > _MAX_DEPTH:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = (text_of(item, depth + 1) for item in value)
    elif isinstance(value, dict):
        parts = (text_of(v, depth + 1) for k, v in value.items() if k not in ("type", "id"))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    else:
        return ""
    return " ".join(p for p in parts if p)


def json_format(fmt: Any) -> dict[str, Any] | None:
    """The schema of an Anthropic/OpenAI style ``format`` object asking for JSON, else None.
    Chat Completions' ``response_format`` nests the schema one level down, in ``json_schema``."""
    if not isinstance(fmt, dict) or fmt.get("type") not in ("json_schema", "json_object"):
        return None
    nested = fmt.get("json_schema")
    schema = (nested if isinstance(nested, dict) else fmt).get("schema")
    return schema if isinstance(schema, dict) else {}
