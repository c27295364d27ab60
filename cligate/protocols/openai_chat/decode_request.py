"""Read a Chat Completions request body into the neutral form.

Choices where the protocol leaves room:
- Leading system/developer messages form ``Request.system``; later ones stay in place as
  ``Message(role="system")`` (the target's encoder decides where they can go).
- Consecutive ``tool`` messages become one user message of ``ToolResult`` parts.
- ``input_audio`` parts, ``file_id`` files and the legacy ``functions`` / ``function_call`` /
  ``role: "function"`` are refused with a ``DecodeError``: the neutral form has no audio, a file
  id names a file only OpenAI holds, and an answer cannot be written back in the legacy shape,
  so a silent stand-in would mislead the model or the client.
- Tools other than ``function`` go to ``extras["tools"]``, an unknown ``tool_choice`` shape to
  ``extras["tool_choice"]``; ``stream_options`` goes to ``extras["stream_options"]`` for the
  answer's encoder (include_usage). Every other unknown field goes to ``extras`` by name.
- Per-message ``name`` fields are not kept: no other protocol has participant names.
- A ``cache_control`` on a message itself (not on a part) marks the message's last part.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from cligate.protocols import ir
from cligate.protocols.fields import optional_bool, optional_number, optional_string
from cligate.protocols.thinking import parse_effort

_KNOWN = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop",
        "stream",
        "reasoning_effort",
        "response_format",
        "user",
    }
)
_LEGACY = ("functions", "function_call")


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("the request body is not a JSON object")
    for key in _LEGACY:
        if body.get(key) is not None:
            raise ir.DecodeError(f"{key}: the legacy functions API is not supported; use 'tools'")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise ir.DecodeError("model: must be a string")
    system, messages = _messages(body.get("messages"))
    tools, other_tools = _tools(body.get("tools"))
    extras: dict[str, Any] = {
        key: value for key, value in body.items() if key not in _KNOWN and value is not None
    }
    if other_tools:
        extras["tools"] = other_tools
    tool_choice = _tool_choice(body, extras)
    return ir.Request(
        model=model,
        messages=messages,
        system=system,
        tools=tools,
        tool_choice=tool_choice,
        max_tokens=_max_tokens(body),
        temperature=optional_number(body, "temperature"),
        top_p=optional_number(body, "top_p"),
        top_k=_int(body, "top_k"),
        stop=_stop(body.get("stop")),
        stream=optional_bool(body, "stream") or False,
        thinking=_thinking(body.get("reasoning_effort")),
        output_format=_output_format(body.get("response_format")),
        user=optional_string(body, "user"),
        extras=extras,
    )


# --- messages ------------------------------------------------------------------------------


def _messages(raw: object) -> tuple[tuple[ir.Text, ...], tuple[ir.Message, ...]]:
    if not isinstance(raw, list) or not raw:
        raise ir.DecodeError("messages: must be a non-empty list")
    system: list[ir.Text] = []
    messages: list[ir.Message] = []
    results: list[ir.ToolResult] = []  # a run of tool messages, flushed as one user turn
    leading = True
    for index, message in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise ir.DecodeError(f"{where}: must be an object")
        role = message.get("role")
        if role != "tool" and results:
            messages.append(ir.Message("user", tuple(results)))
            results = []
        if role in ("system", "developer"):
            texts = _cache_last(_text_only(message.get("content"), where), message)
            if leading:
                system.extend(texts)
            else:
                messages.append(ir.Message("system", texts))
            continue
        leading = False
        if role == "user":
            parts = _cache_last(_user_parts(message.get("content"), where), message)
            messages.append(ir.Message("user", parts))
        elif role == "assistant":
            parts = _cache_last(_assistant_parts(message, where), message)
            messages.append(ir.Message("assistant", parts))
        elif role == "tool":
            results.append(_tool_result(message, where))
        elif role == "function":
            raise ir.DecodeError(f"{where}: the legacy 'function' role is not supported")
        else:
            raise ir.DecodeError(f"{where}.role: unknown role {role!r}")
    if results:
        messages.append(ir.Message("user", tuple(results)))
    return tuple(system), tuple(messages)


def _cache(part: Mapping[str, Any]) -> bool:
    # Anthropic-style hints (OpenRouter convention) and OpenAI's own explicit breakpoints.
    return isinstance(part.get("cache_control"), Mapping) or isinstance(
        part.get("prompt_cache_breakpoint"), Mapping
    )


_CacheablePart = ir.Text | ir.Image | ir.Document | ir.ToolResult
_P = TypeVar("_P", bound=ir.Part)


def _cache_last(parts: tuple[_P, ...], message: Mapping[str, Any]) -> tuple[_P, ...]:
    """A hint on the message itself (the AI SDK's openai-compatible provider puts it there when
    the content is a string) marks its last part that can carry one, as Anthropic's SDKs do."""
    if not _cache(message):
        return parts
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        if isinstance(part, _CacheablePart):
            marked = dataclasses.replace(part, cache=True)
            return (*parts[:index], marked, *parts[index + 1 :])
    return parts


def _text_only(content: object, where: str) -> tuple[ir.Text, ...]:
    if isinstance(content, str):
        return (ir.Text(content),) if content else ()
    if not isinstance(content, list):
        raise ir.DecodeError(f"{where}.content: must be a string or a list of parts")
    texts = []
    for index, part in enumerate(content):
        text = _text_part(part, f"{where}.content[{index}]")
        if text is None:
            raise ir.DecodeError(f"{where}.content[{index}]: only text parts are allowed here")
        texts.append(text)
    return tuple(texts)


def _text_part(part: object, where: str) -> ir.Text | None:
    """A text part as Text, None for another part type."""
    if not isinstance(part, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    kind = part.get("type")
    if kind not in ("text", "refusal"):
        return None
    text = part.get(kind)
    if not isinstance(text, str):
        raise ir.DecodeError(f"{where}: '{kind}' must be a string")
    return ir.Text(text, cache=_cache(part))


def _user_parts(content: object, where: str) -> tuple[ir.Part, ...]:
    if isinstance(content, str):
        return (ir.Text(content),) if content else ()
    if not isinstance(content, list):
        raise ir.DecodeError(f"{where}.content: must be a string or a list of parts")
    parts: list[ir.Part] = []
    for index, part in enumerate(content):
        here = f"{where}.content[{index}]"
        text = _text_part(part, here)
        if text is not None:
            parts.append(text)
            continue
        kind = part.get("type")  # a Mapping: _text_part checked
        if kind == "image_url":
            parts.append(_image(part, here))
        elif kind == "file":
            parts.append(_file(part, here))
        elif kind == "input_audio":
            raise ir.DecodeError(f"{here}: audio input cannot be translated for this provider")
        else:
            raise ir.DecodeError(f"{here}.type: unknown part type {kind!r}")
    return tuple(parts)


def _data_url(url: str, where: str) -> tuple[str, str]:
    """(media type, base64 data) of a ``data:`` URL."""
    header, comma, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding.lower() != "base64" or not media_type:
        raise ir.DecodeError(f"{where}: only base64 data URLs with a media type are supported")
    return media_type.lower(), data


def _image(part: Mapping[str, Any], where: str) -> ir.Image:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else image
    if not isinstance(url, str) or not url:
        raise ir.DecodeError(f"{where}.image_url: 'url' is missing")
    if url.startswith("data:"):
        media_type, data = _data_url(url, f"{where}.image_url.url")
        if media_type == "image/jpg":  # a common misspelling the targets refuse
            media_type = "image/jpeg"
        return ir.Image(media_type=media_type, data=data, cache=_cache(part))
    return ir.Image(url=url, cache=_cache(part))


def _file(part: Mapping[str, Any], where: str) -> ir.Document:
    file = part.get("file")
    if not isinstance(file, Mapping):
        raise ir.DecodeError(f"{where}: 'file' is missing")
    name = file.get("filename")
    title = name if isinstance(name, str) and name else None
    data = file.get("file_data")
    if not isinstance(data, str) or not data:
        if file.get("file_id") is not None:
            raise ir.DecodeError(f"{where}.file: 'file_id' cannot be resolved; send file_data")
        raise ir.DecodeError(f"{where}.file: 'file_data' is missing")
    if data.startswith("data:"):
        media_type, data = _data_url(data, f"{where}.file.file_data")
    elif title and title.lower().endswith((".txt", ".md")):
        media_type = "text/plain"
    else:
        media_type = "application/pdf"  # OpenAI's file inputs are PDFs
    if media_type == "application/pdf":
        return ir.Document(media_type=media_type, data=data, title=title, cache=_cache(part))
    if media_type.startswith("text/"):
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ir.DecodeError(f"{where}.file.file_data: not base64 UTF-8 text") from None
        return ir.Document(media_type="text/plain", text=text, title=title, cache=_cache(part))
    raise ir.DecodeError(f"{where}.file: unsupported file type {media_type!r}")


def _assistant_parts(message: Mapping[str, Any], where: str) -> tuple[ir.Part, ...]:
    parts: list[ir.Part] = []
    # DeepSeek/Qwen send reasoning back as reasoning_content, OpenRouter as reasoning.
    for key in ("reasoning_content", "reasoning"):
        reasoning = message.get(key)
        if isinstance(reasoning, str) and reasoning:
            parts.append(ir.Thinking(text=reasoning))
            break
    content = message.get("content")
    if content is not None:
        parts.extend(t for t in _text_only(content, where) if t.text)
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        parts.append(ir.Text(refusal))
    if message.get("function_call") is not None:
        raise ir.DecodeError(f"{where}.function_call: the legacy functions API is not supported")
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise ir.DecodeError(f"{where}.tool_calls: must be a list")
        parts.extend(_tool_call(call, f"{where}.tool_calls[{i}]") for i, call in enumerate(calls))
    return tuple(parts)


def _tool_call(call: object, where: str) -> ir.ToolCall:
    if not isinstance(call, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise ir.DecodeError(f"{where}: 'id' is missing")
    if call.get("type") == "custom":
        custom = call.get("custom")
        if not isinstance(custom, Mapping) or not isinstance(custom.get("name"), str):
            raise ir.DecodeError(f"{where}.custom: 'name' is missing")
        text = custom.get("input")
        return ir.ToolCall(call_id, custom["name"], text if isinstance(text, str) else "", "custom")
    function = call.get("function")
    if not isinstance(function, Mapping):
        raise ir.DecodeError(f"{where}: 'function' is missing")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ir.DecodeError(f"{where}.function: 'name' is missing")
    arguments = function.get("arguments")
    if arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):
        raise ir.DecodeError(f"{where}.function: 'arguments' must be a string")
    return ir.ToolCall(call_id, name, arguments)


def _tool_result(message: Mapping[str, Any], where: str) -> ir.ToolResult:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise ir.DecodeError(f"{where}: 'tool_call_id' is missing")
    content = message.get("content")
    parts: list[ir.Text | ir.Image] = []
    if isinstance(content, list):
        # Chat allows only text here; images are accepted since some clients send them.
        for index, part in enumerate(content):
            here = f"{where}.content[{index}]"
            text = _text_part(part, here)
            if text is not None:
                parts.append(text)
            elif part.get("type") == "image_url":
                parts.append(_image(part, here))
            else:
                raise ir.DecodeError(f"{here}: only text and image parts are allowed here")
    elif isinstance(content, str):
        parts.append(ir.Text(content))
    elif content is not None:
        raise ir.DecodeError(f"{where}.content: must be a string or a list of parts")
    return ir.ToolResult(call_id, tuple(parts), cache=_cache(message))


# --- tools ---------------------------------------------------------------------------------


def _tools(raw: object) -> tuple[tuple[ir.ToolDef, ...], list[Any]]:
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        raise ir.DecodeError("tools: must be a list")
    tools: list[ir.ToolDef] = []
    others: list[Any] = []
    for index, tool in enumerate(raw):
        where = f"tools[{index}]"
        if not isinstance(tool, Mapping):
            raise ir.DecodeError(f"{where}: must be an object")
        if tool.get("type", "function") != "function":
            others.append(tool)
            continue
        function = tool.get("function")
        if not isinstance(function, Mapping):
            raise ir.DecodeError(f"{where}: 'function' is missing")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ir.DecodeError(f"{where}.function: 'name' is missing")
        description = function.get("description")
        if description is not None and not isinstance(description, str):
            raise ir.DecodeError(f"{where}.function: 'description' must be a string")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, Mapping):
            raise ir.DecodeError(f"{where}.function: 'parameters' must be an object")
        tools.append(ir.ToolDef(name, description or "", parameters or {}, cache=_cache(tool)))
    return tuple(tools), others


def _tool_choice(body: Mapping[str, Any], extras: dict[str, Any]) -> ir.ToolChoice | None:
    raw = body.get("tool_choice")
    parallel = optional_bool(body, "parallel_tool_calls")
    mode, name = None, None
    if isinstance(raw, str):
        modes = {"auto": ir.ToolChoiceMode.AUTO, "none": ir.ToolChoiceMode.NONE}
        modes["required"] = ir.ToolChoiceMode.ANY
        if raw not in modes:
            raise ir.DecodeError(f"tool_choice: unknown value {raw!r}")
        mode = modes[raw]
    elif isinstance(raw, Mapping) and raw.get("type") == "function":
        function = raw.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ir.DecodeError("tool_choice.function: 'name' is missing")
        mode = ir.ToolChoiceMode.TOOL
    elif isinstance(raw, Mapping):
        extras["tool_choice"] = raw  # allowed_tools, custom: no neutral form
    elif raw is not None:
        raise ir.DecodeError("tool_choice: must be a string or an object")
    if mode is None and parallel is None:
        return None
    return ir.ToolChoice(mode or ir.ToolChoiceMode.AUTO, name, parallel)


# --- options -------------------------------------------------------------------------------


def _int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ir.DecodeError(f"{key}: must be an integer")
    return value


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    # max_completion_tokens is the current name; max_tokens the deprecated one.
    for key in ("max_completion_tokens", "max_tokens"):
        value = _int(body, key)
        if value is not None:
            if value < 1:
                raise ir.DecodeError(f"{key}: must be at least 1")
            return value
    return None


def _stop(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return tuple(raw)
    raise ir.DecodeError("stop: must be a string or a list of strings")


def _thinking(raw: object) -> ir.ThinkingConfig | None:
    if raw is None:
        return None
    if raw == "none":
        return ir.ThinkingConfig(enabled=False)
    effort = parse_effort(raw)
    if effort is None:
        raise ir.DecodeError(f"reasoning_effort: unknown value {raw!r}")
    return ir.ThinkingConfig(enabled=effort is not ir.Effort.MINIMAL, effort=effort)


def _output_format(raw: object) -> ir.OutputFormat | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ir.DecodeError("response_format: must be an object")
    kind = raw.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ir.OutputFormat(schema=None)
    if kind != "json_schema":
        raise ir.DecodeError(f"response_format.type: unknown value {kind!r}")
    spec = raw.get("json_schema")
    if not isinstance(spec, Mapping):
        raise ir.DecodeError("response_format: 'json_schema' is missing")
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, Mapping):
        raise ir.DecodeError("response_format.json_schema: 'schema' must be an object")
    name, strict = spec.get("name"), spec.get("strict")
    # No schema: any JSON, the same as json_object.
    return ir.OutputFormat(
        schema=schema,
        name=name if isinstance(name, str) else None,
        strict=strict if isinstance(strict, bool) else None,
    )
