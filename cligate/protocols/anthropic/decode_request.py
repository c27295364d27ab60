"""Anthropic Messages request body → the neutral ``ir.Request``.

Reads what Claude Code sends (system blocks, mid-conversation ``role: "system"`` messages,
thinking, tool results, cache hints) and checks types as it goes: a bad field is a
``DecodeError`` naming where it is, never a ``KeyError`` or ``TypeError`` from deep inside.
Anything the neutral form has no field for is kept in ``extras`` by name, so the encoder of
another protocol records its drop instead of losing it silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.thinking import parse_effort

# Top-level members read into named ``ir.Request`` fields; everything else goes to extras.
_KNOWN = frozenset(
    {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "stream",
        "thinking",
        "output_config",
        "metadata",
    }
)
# Tool members with a place in ``ir.ToolDef``; others (strict, defer_loading, …) are extras.
_TOOL_KNOWN = frozenset({"name", "description", "input_schema", "cache_control", "type"})

UserPart = ir.Text | ir.Image | ir.Document | ir.ToolResult
AssistantPart = ir.Text | ir.Thinking | ir.ToolCall


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("body: expected a JSON object")
    extras: dict[str, Any] = {k: v for k, v in body.items() if k not in _KNOWN}
    tools = _tools(body.get("tools"), extras)
    thinking, effort_extra = _thinking(body.get("thinking"), body.get("output_config"))
    output_format = _output_format(body.get("output_config"), extras)
    if effort_extra is not None:
        extras["output_config.effort"] = effort_extra
    return ir.Request(
        model=_opt_str(body.get("model"), "model"),
        messages=_messages(body.get("messages")),
        system=_system(body.get("system")),
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice")),
        max_tokens=_opt_int(body.get("max_tokens"), "max_tokens"),
        temperature=_opt_number(body.get("temperature"), "temperature"),
        top_p=_opt_number(body.get("top_p"), "top_p"),
        top_k=_opt_int(body.get("top_k"), "top_k"),
        stop=_stop(body.get("stop_sequences")),
        stream=_opt_bool(body.get("stream"), "stream") or False,
        thinking=thinking,
        output_format=output_format,
        user=_user(body.get("metadata"), extras),
        extras=extras,
    )


# --- scalars -----------------------------------------------------------------------------


def _opt_str(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ir.DecodeError(f"{where}: expected a string")


def _str(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    raise ir.DecodeError(f"{where}: expected a string")


def _opt_int(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ir.DecodeError(f"{where}: expected an integer")


def _opt_number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ir.DecodeError(f"{where}: expected a number")


def _opt_bool(value: object, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ir.DecodeError(f"{where}: expected true or false")


def _object(value: object, where: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise ir.DecodeError(f"{where}: expected an object")


def _list(value: object, where: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise ir.DecodeError(f"{where}: expected a list")


def _cache(block: Mapping[str, Any]) -> bool:
    return bool(block.get("cache_control"))


def compact_json(value: object) -> str:
    """Compact JSON text; orjson first, the stdlib for what orjson refuses (huge integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- system and messages -----------------------------------------------------------------


def _system(value: object) -> tuple[ir.Text, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (ir.Text(value),) if value else ()
    return _text_blocks(value, "system")


def _text_blocks(value: object, where: str) -> tuple[ir.Text, ...]:
    blocks = []
    for i, raw in enumerate(_list(value, where)):
        block = _object(raw, f"{where}[{i}]")
        if block.get("type") != "text":
            raise ir.DecodeError(f"{where}[{i}]: expected a text block, got {block.get('type')!r}")
        blocks.append(ir.Text(_str(block.get("text"), f"{where}[{i}].text"), _cache(block)))
    return tuple(blocks)


def _messages(value: object) -> tuple[ir.Message, ...]:
    if value is None:
        raise ir.DecodeError("messages: required")
    return tuple(_message(raw, f"messages[{i}]") for i, raw in enumerate(_list(value, "messages")))


def _message(raw: object, where: str) -> ir.Message:
    message = _object(raw, where)
    role = message.get("role")
    content = message.get("content")
    if role == "system":
        if isinstance(content, str):
            return ir.Message("system", (ir.Text(content),))
        return ir.Message("system", _text_blocks(content, f"{where}.content"))
    if role not in ("user", "assistant"):
        raise ir.DecodeError(f"{where}.role: expected user, assistant or system, got {role!r}")
    if isinstance(content, str):
        return ir.Message(role, (ir.Text(content),))
    items = _list(content, f"{where}.content")
    if role == "user":
        user = tuple(_user_block(b, f"{where}.content[{i}]") for i, b in enumerate(items))
        return ir.Message("user", user)
    assistant = tuple(_assistant_block(b, f"{where}.content[{i}]") for i, b in enumerate(items))
    seen: set[str] = set()
    for i, part in enumerate(assistant):
        if isinstance(part, ir.ToolCall):
            # Results are matched to calls by id: two calls with one id cannot both be answered.
            if part.id in seen:
                raise ir.DecodeError(f"{where}.content[{i}].id: duplicate tool_use id {part.id!r}")
            seen.add(part.id)
    return ir.Message("assistant", assistant)


def _user_block(raw: object, where: str) -> UserPart:
    block = _object(raw, where)
    kind = block.get("type")
    if kind == "text":
        return ir.Text(_str(block.get("text"), f"{where}.text"), _cache(block))
    if kind == "image":
        return _image(block, where)
    if kind == "document":
        return _document(block, where)
    if kind == "tool_result":
        return _tool_result(block, where)
    if kind in ("tool_use", "thinking", "redacted_thinking"):
        raise ir.DecodeError(f"{where}: a {kind} block belongs in an assistant message")
    raise ir.DecodeError(f"{where}: unknown block type {kind!r}")


def _assistant_block(raw: object, where: str) -> AssistantPart:
    block = _object(raw, where)
    kind = block.get("type")
    if kind == "text":
        return ir.Text(_str(block.get("text"), f"{where}.text"), _cache(block))
    if kind == "tool_use":
        call_input = _object(block.get("input"), f"{where}.input")
        return ir.ToolCall(
            id=_str(block.get("id"), f"{where}.id"),
            name=_str(block.get("name"), f"{where}.name"),
            arguments=compact_json(call_input),
        )
    if kind == "thinking":
        return ir.Thinking(
            text=_str(block.get("thinking"), f"{where}.thinking"),
            signature=_opt_str(block.get("signature"), f"{where}.signature") or None,
        )
    if kind == "redacted_thinking":
        return ir.Thinking(redacted=_str(block.get("data"), f"{where}.data"))
    if kind in ("image", "document", "tool_result"):
        raise ir.DecodeError(f"{where}: a {kind} block belongs in a user message")
    raise ir.DecodeError(f"{where}: unknown block type {kind!r}")


def _image(block: Mapping[str, Any], where: str) -> ir.Image:
    source = _object(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        return ir.Image(
            media_type=_str(source.get("media_type"), f"{where}.source.media_type"),
            data=_str(source.get("data"), f"{where}.source.data"),
            cache=_cache(block),
        )
    if kind == "url":
        return ir.Image(url=_str(source.get("url"), f"{where}.source.url"), cache=_cache(block))
    raise ir.DecodeError(f"{where}.source: unsupported image source type {kind!r}")


def _document(block: Mapping[str, Any], where: str) -> ir.Document:
    source = _object(block.get("source"), f"{where}.source")
    title = _opt_str(block.get("title"), f"{where}.title")
    cache = _cache(block)
    kind = source.get("type")
    if kind == "base64":
        return ir.Document(
            media_type=_str(source.get("media_type"), f"{where}.source.media_type"),
            data=_str(source.get("data"), f"{where}.source.data"),
            title=title,
            cache=cache,
        )
    if kind == "text":
        return ir.Document(
            media_type=_opt_str(source.get("media_type"), f"{where}.source.media_type"),
            text=_str(source.get("data"), f"{where}.source.data"),
            title=title,
            cache=cache,
        )
    if kind == "url":
        url = _str(source.get("url"), f"{where}.source.url")
        return ir.Document(url=url, title=title, cache=cache)
    if kind == "content":
        # A document given as content blocks: its text is what a model can read.
        content = source.get("content")
        if isinstance(content, str):
            text = content
        else:
            text = "\n\n".join(t.text for t in _text_blocks(content, f"{where}.source.content"))
        return ir.Document(media_type="text/plain", text=text, title=title, cache=cache)
    raise ir.DecodeError(f"{where}.source: unsupported document source type {kind!r}")


def _tool_result(block: Mapping[str, Any], where: str) -> ir.ToolResult:
    call_id = _str(block.get("tool_use_id"), f"{where}.tool_use_id")
    content = block.get("content")
    parts: list[ir.Text | ir.Image] = []
    if isinstance(content, str):
        parts.append(ir.Text(content))
    elif content is not None:
        for i, raw in enumerate(_list(content, f"{where}.content")):
            inner = _object(raw, f"{where}.content[{i}]")
            kind = inner.get("type")
            if kind == "text":
                parts.append(ir.Text(_str(inner.get("text"), f"{where}.content[{i}].text")))
            elif kind == "image":
                parts.append(_image(inner, f"{where}.content[{i}]"))
            elif kind == "document" and isinstance(inner.get("source"), Mapping):
                document = _document(inner, f"{where}.content[{i}]")
                if document.text is None:
                    raise ir.DecodeError(
                        f"{where}.content[{i}]: only text documents can be read in a tool result"
                    )
                parts.append(ir.Text(document.text))
            else:
                raise ir.DecodeError(f"{where}.content[{i}]: unknown block type {kind!r}")
    is_error = _opt_bool(block.get("is_error"), f"{where}.is_error") or False
    return ir.ToolResult(call_id, tuple(parts), is_error=is_error, cache=_cache(block))


# --- tools and options -------------------------------------------------------------------


def _tools(value: object, extras: dict[str, Any]) -> tuple[ir.ToolDef, ...]:
    if value is None:
        return ()
    tools = []
    server_tools = []
    for i, raw in enumerate(_list(value, "tools")):
        where = f"tools[{i}]"
        tool = _object(raw, where)
        kind = tool.get("type")
        if kind not in (None, "custom"):
            # Anthropic-defined tools (web_search_…, bash_…, text_editor_…) have no schema a
            # Chat provider could use; the encoder records each one it drops.
            server_tools.append(tool)
            continue
        schema = tool.get("input_schema")
        tools.append(
            ir.ToolDef(
                name=_str(tool.get("name"), f"{where}.name"),
                description=_opt_str(tool.get("description"), f"{where}.description") or "",
                parameters=_object(schema, f"{where}.input_schema"),
                cache=_cache(tool),
            )
        )
        for key in tool:
            if key not in _TOOL_KNOWN:
                extras.setdefault(f"tools[].{key}", tool[key])
    if server_tools:
        extras["server_tools"] = server_tools
    return tuple(tools)


def _tool_choice(value: object) -> ir.ToolChoice | None:
    if value is None:
        return None
    choice = _object(value, "tool_choice")
    kind = choice.get("type")
    disable = _opt_bool(
        choice.get("disable_parallel_tool_use"), "tool_choice.disable_parallel_tool_use"
    )
    parallel = False if disable else None
    if kind == "tool":
        name = _str(choice.get("name"), "tool_choice.name")
        return ir.ToolChoice(ir.ToolChoiceMode.TOOL, name, parallel)
    if kind not in ("auto", "any", "none"):
        raise ir.DecodeError(f"tool_choice.type: expected auto, any, tool or none, got {kind!r}")
    return ir.ToolChoice(ir.ToolChoiceMode(kind), None, parallel)


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(
        _str(s, f"stop_sequences[{i}]") for i, s in enumerate(_list(value, "stop_sequences"))
    )


def _thinking(value: object, output_config: object) -> tuple[ir.ThinkingConfig | None, Any]:
    """The thinking config, and an effort that had nowhere to go (thinking disabled)."""
    raw_effort = None
    if output_config is not None:
        raw_effort = _object(output_config, "output_config").get("effort")
    effort = parse_effort(raw_effort)
    if raw_effort is not None and effort is None:
        raise ir.DecodeError(f"output_config.effort: unknown effort {raw_effort!r}")
    if value is None:
        # An effort without a thinking config still says how hard to work; the encoder
        # decides what its protocol makes of it.
        config = ir.ThinkingConfig(enabled=False, effort=effort) if effort is not None else None
        return config, None
    thinking = _object(value, "thinking")
    kind = thinking.get("type")
    if kind == "enabled":
        budget = _opt_int(thinking.get("budget_tokens"), "thinking.budget_tokens")
        return ir.ThinkingConfig(enabled=True, budget_tokens=budget, effort=effort), None
    if kind in ("adaptive", "between_tools"):
        return ir.ThinkingConfig(enabled=True, effort=effort, adaptive=True), None
    if kind == "disabled":
        return ir.ThinkingConfig(enabled=False), raw_effort
    raise ir.DecodeError(f"thinking.type: expected enabled, adaptive or disabled, got {kind!r}")


def _output_format(value: object, extras: dict[str, Any]) -> ir.OutputFormat | None:
    if value is None:
        return None
    config = _object(value, "output_config")
    for key in config:
        if key not in ("effort", "format"):
            extras[f"output_config.{key}"] = config[key]
    raw = config.get("format")
    if raw is None:
        return None
    fmt = _object(raw, "output_config.format")
    if fmt.get("type") != "json_schema":
        raise ir.DecodeError(f"output_config.format.type: unknown format {fmt.get('type')!r}")
    return ir.OutputFormat(schema=_object(fmt.get("schema"), "output_config.format.schema"))


def _user(value: object, extras: dict[str, Any]) -> str | None:
    if value is None:
        return None
    metadata = _object(value, "metadata")
    rest = {k: v for k, v in metadata.items() if k != "user_id"}
    if rest:
        extras["metadata"] = rest
    return _opt_str(metadata.get("user_id"), "metadata.user_id")
