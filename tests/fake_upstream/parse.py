"""Read a request body of each protocol into a protocol-neutral `Turn`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Protocol, ToolSpec, Turn

_MAX_NESTING = 6
_SKIP_KEYS = frozenset({"type", "id", "source", "cache_control", "is_error"})


def parse_turn(protocol: Protocol, body: Any, path: str, body_size: int) -> Turn:
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    if protocol == "anthropic":
        return _anthropic(data, body_size)
    if protocol == "responses":
        return _responses(data, body_size)
    if protocol == "chat":
        return _chat(data, body_size)
    return _gemini(data, path, body_size)


def gemini_model(path: str) -> str:
    """The model segment of /v1beta/models/{model}:{method}."""
    tail = path.rsplit("/models/", 1)[-1]
    return tail.split(":", 1)[0]


# ---------------------------------------------------------------------------- helpers


def _id(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text_of(content: Any, depth: int = 0) -> str:
    """Text of a tool-result payload: a string, a list of text parts, or a dict of strings."""
    if depth > _MAX_NESTING:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (_text_of(item, depth + 1) for item in content)
        return " ".join(p for p in parts if p)
    if isinstance(content, dict):
        for key in ("text", "output", "content", "result"):
            if key in content:
                return _text_of(content[key], depth + 1)
        parts = (_text_of(v, depth + 1) for k, v in content.items() if k not in _SKIP_KEYS)
        return " ".join(p for p in parts if p)
    if content is None or isinstance(content, bool):
        return ""
    if isinstance(content, int | float):
        return str(content)
    return ""


def _function_specs(items: Iterable[dict[str, Any]], depth: int = 0) -> list[ToolSpec]:
    """Tools of the Responses API (`tools` and `additional_tools` items), namespaces flattened."""
    out: list[ToolSpec] = []
    if depth > _MAX_NESTING:
        return out
    for tool in items:
        kind = tool.get("type")
        name = tool.get("name")
        if kind == "namespace":
            out.extend(_function_specs(_dicts(tool.get("tools")), depth + 1))
        elif kind == "custom" and isinstance(name, str):
            out.append(ToolSpec(name=name, kind="custom"))
        elif kind == "function" and isinstance(name, str):
            params = tool.get("parameters")
            out.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    return out


def _schema_request(fmt: Any) -> tuple[bool, dict[str, Any] | None]:
    """(wants_json, schema) from an OpenAI/Anthropic style `format` object."""
    if not isinstance(fmt, dict):
        return False, None
    kind = fmt.get("type")
    if kind == "json_schema":
        inner = fmt.get("json_schema")
        holder = inner if isinstance(inner, dict) else fmt
        schema = holder.get("schema")
        return True, schema if isinstance(schema, dict) else {}
    if kind == "json_object":
        return True, {}
    return False, None


# ---------------------------------------------------------------------------- protocols


def _anthropic(body: dict[str, Any], size: int) -> Turn:
    tools = []
    for tool in _dicts(body.get("tools")):
        name = tool.get("name")
        if isinstance(name, str):
            schema = tool.get("input_schema")
            tools.append(ToolSpec(name=name, schema=schema if isinstance(schema, dict) else {}))
    messages = _dicts(body.get("messages"))
    results: tuple[str, ...] | None = None
    result_ids: tuple[str, ...] = ()
    for message in reversed(messages):
        role = message.get("role")
        if role == "system":  # Claude Code inserts these after a user turn
            continue
        if role == "user":
            blocks = _anthropic_results(message)
            results = tuple(_text_of(b.get("content")) for b in blocks) or None
            result_ids = tuple(_id(b.get("tool_use_id")) for b in blocks)
        break
    call_ids: list[str] = []
    every_result: list[str] = []
    for message in messages:
        if message.get("role") == "assistant":
            blocks = _dicts(message.get("content"))
            call_ids.extend(_id(b.get("id")) for b in blocks if b.get("type") == "tool_use")
        elif message.get("role") == "user":
            every_result.extend(_text_of(b.get("content")) for b in _anthropic_results(message))
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    wants_json, schema = _schema_request(fmt if fmt is not None else body.get("output_format"))
    return Turn(
        protocol="anthropic",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=results,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=result_ids,
        call_ids=tuple(call_ids),
        all_tool_results=tuple(every_result),
    )


def _anthropic_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in _dicts(message.get("content")) if b.get("type") == "tool_result"]


_RESULT_ITEMS = ("function_call_output", "custom_tool_call_output")
_CALL_ITEMS = ("function_call", "custom_tool_call")


def _responses(body: dict[str, Any], size: int) -> Turn:
    items = _dicts(body.get("input"))
    tools = _function_specs(_dicts(body.get("tools")))
    for item in items:
        if item.get("type") == "additional_tools":  # codex "responses lite"
            tools.extend(_function_specs(_dicts(item.get("tools"))))
    found: list[str] = []
    found_ids: list[str] = []
    for item in reversed(items):
        kind = item.get("type")
        if kind in _RESULT_ITEMS:
            found.append(_text_of(item.get("output")))
            found_ids.append(_id(item.get("call_id")))
            continue
        if kind in ("message", None) and item.get("role") in ("developer", "system"):
            continue
        if kind in ("additional_tools", "configuration_update"):
            continue
        break
    text = body.get("text")
    wants_json, schema = _schema_request(text.get("format") if isinstance(text, dict) else None)
    return Turn(
        protocol="responses",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=tuple(reversed(found)) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(reversed(found_ids)),
        call_ids=tuple(_id(i.get("call_id")) for i in items if i.get("type") in _CALL_ITEMS),
        all_tool_results=tuple(
            _text_of(i.get("output")) for i in items if i.get("type") in _RESULT_ITEMS
        ),
    )


def _chat(body: dict[str, Any], size: int) -> Turn:
    tools: list[ToolSpec] = []
    for tool in _dicts(body.get("tools")):
        fn = tool.get("function")
        if tool.get("type", "function") == "function" and isinstance(fn, dict):
            name = fn.get("name")
            params = fn.get("parameters")
            if isinstance(name, str):
                tools.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    messages = _dicts(body.get("messages"))
    found: list[str] = []
    found_ids: list[str] = []
    for message in reversed(messages):
        role = message.get("role")
        if role in ("tool", "function"):
            found.append(_text_of(message.get("content")))
            found_ids.append(_id(message.get("tool_call_id")))
            continue
        if role in ("system", "developer"):
            continue
        break
    call_ids = [
        _id(call.get("id"))
        for message in messages
        if message.get("role") == "assistant"
        for call in _dicts(message.get("tool_calls"))
    ]
    every_result = [
        _text_of(m.get("content")) for m in messages if m.get("role") in ("tool", "function")
    ]
    wants_json, schema = _schema_request(body.get("response_format"))
    return Turn(
        protocol="chat",
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        tools=tuple(tools),
        tool_results=tuple(reversed(found)) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(reversed(found_ids)),
        call_ids=tuple(call_ids),
        all_tool_results=tuple(every_result),
        tool_pairing_errors=chat_pairing_errors(messages),
    )


def chat_pairing_errors(messages: list[dict[str, Any]]) -> tuple[str, ...]:
    """Where a Chat history breaks the tool-call pairing OpenAI enforces (it answers 400).

    An assistant message with `tool_calls` must be followed directly by one `tool` message per
    call id (in any order), and each `tool` message must answer a call of that message.
    """
    problems: list[str] = []
    open_ids: list[str] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if isinstance(call_id, str) and call_id in open_ids:
                open_ids.remove(call_id)
            else:
                problems.append(f"messages[{index}]: tool_call_id {call_id!r} answers no open call")
            continue
        if open_ids:
            problems.append(f"messages[{index}] ({role}): calls {open_ids} are still unanswered")
            open_ids = []
        if role == "assistant":
            ids = [call.get("id") for call in _dicts(message.get("tool_calls"))]
            if any(not isinstance(i, str) or not i for i in ids):
                problems.append(f"messages[{index}]: a tool call without an id")
            open_ids = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i]
            for call_id in open_ids:
                if ids.count(call_id) > 1:
                    problems.append(f"messages[{index}]: tool call id {call_id!r} repeats")
    if open_ids:
        problems.append(f"the last assistant calls {open_ids} are unanswered")
    return tuple(problems)


def _gemini(body: dict[str, Any], path: str, size: int) -> Turn:
    tools: list[ToolSpec] = []
    for group in _dicts(body.get("tools")):
        for decl in _dicts(group.get("functionDeclarations")):
            name = decl.get("name")
            # Google reads proto field names in either case; google-genai sends snake_case.
            keys = ("parametersJsonSchema", "parameters_json_schema", "parameters")
            params = next((decl[k] for k in keys if isinstance(decl.get(k), dict)), None)
            if isinstance(name, str):
                tools.append(ToolSpec(name=name, schema=params if isinstance(params, dict) else {}))
    contents = _dicts(body.get("contents"))
    found: list[str] = []
    found_ids: list[str] = []
    if contents:
        for part in _dicts(contents[-1].get("parts")):
            response = part.get("functionResponse")
            if isinstance(response, dict):
                found.append(_text_of(response.get("response")))
                found_ids.append(_id(response.get("id")))
    parts = [part for content in contents for part in _dicts(content.get("parts"))]
    calls = [p["functionCall"] for p in parts if isinstance(p.get("functionCall"), dict)]
    responses = [
        p["functionResponse"] for p in parts if isinstance(p.get("functionResponse"), dict)
    ]
    config = body.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    wants_json = config.get("responseMimeType") == "application/json"
    schema: dict[str, Any] | None = None
    if wants_json:
        raw = config.get("responseJsonSchema", config.get("responseSchema"))
        schema = raw if isinstance(raw, dict) else {}
    return Turn(
        protocol="gemini",
        model=gemini_model(path),
        stream=":streamGenerateContent" in path,
        tools=tuple(tools),
        tool_results=tuple(found) if found else None,
        json_schema=schema,
        wants_json=wants_json,
        body_size=size,
        tool_result_ids=tuple(found_ids),
        call_ids=tuple(_id(c.get("id")) for c in calls),
        all_tool_results=tuple(_text_of(r.get("response")) for r in responses),
    )
