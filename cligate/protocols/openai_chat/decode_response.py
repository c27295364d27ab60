"""A Chat Completions answer (or error body) → the neutral ``ir.Response`` / ``ir.ErrorInfo``.

Compatible servers vary: thinking arrives as ``reasoning_content`` (DeepSeek, Qwen) or
``reasoning`` (OpenRouter), tool call ids may be empty, ``finish_reason`` may say "stop" next
to tool calls. The decoder evens that out so the client's encoder sees one shape.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.openai_chat.vocabulary import finish_reason, usage_from

_MAX_ERROR_TEXT = 2_000  # a non-JSON error body (an HTML page) is cut to this many characters


def decode_response(body: Mapping[str, Any]) -> ir.Response:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("answer: expected a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list):
        error = body.get("error")
        if error is not None:
            # Some servers answer 200 with an error object.
            raise ir.DecodeError(f"the provider answered with an error: {_error_text(error)}")
        raise ir.DecodeError("answer.choices: expected a list")
    choice = choices[0] if choices and isinstance(choices[0], Mapping) else {}
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    parts: list[ir.Text | ir.Thinking | ir.ToolCall] = []
    reasoning = reasoning_text(message)
    if reasoning:
        parts.append(ir.Thinking(reasoning))
    text = content_text(message.get("content"))
    if not text and isinstance(message.get("refusal"), str):
        text = message["refusal"]
    if text:
        parts.append(ir.Text(text))
    calls = _tool_calls(message, _str(body.get("id")))
    parts.extend(calls)
    return ir.Response(
        id=_str(body.get("id")),
        model=_str(body.get("model")),
        parts=tuple(parts),
        stop_reason=stop_reason(choice.get("finish_reason"), bool(calls)),
        usage=usage_from(body.get("usage")),
    )


def reasoning_text(holder: Mapping[str, Any]) -> str:
    """Thinking text from ``reasoning_content`` or ``reasoning``: the first non-empty one, as
    some servers send the same text in both."""
    for key in ("reasoning_content", "reasoning"):
        value = holder.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def content_text(content: object) -> str:
    """Message content as text: a string, or the text parts of a list (some servers)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return ""


def stop_reason(word: object, has_tool_calls: bool) -> ir.StopReason | None:
    """The finish reason; tool calls next to "stop" (or none at all) mean tool use."""
    reason = finish_reason(word)
    if has_tool_calls and reason in (ir.StopReason.END, None):
        return ir.StopReason.TOOL_USE
    return reason


def arguments_text(value: object) -> str:
    """Arguments are JSON text; a few servers send the object itself."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def made_up_call_id(answer_id: str, n: int) -> str:
    """An id for call ``n`` of an answer whose provider gave it none. It must be unique in the
    whole conversation (Anthropic refuses repeated tool_use ids, should the session move
    there), so it is derived from the answer's id — the same each time that answer is
    decoded — or random when the answer has no id either."""
    seed = hashlib.sha1(answer_id.encode()).hexdigest()[:8] if answer_id else secrets.token_hex(4)
    return f"call_{seed}_{n}"


def _tool_calls(message: Mapping[str, Any], answer_id: str) -> list[ir.ToolCall]:
    raw_calls = message.get("tool_calls")
    if not isinstance(raw_calls, list):
        raw_calls = []
    legacy = message.get("function_call")
    if not raw_calls and isinstance(legacy, Mapping):
        raw_calls = [{"function": legacy}]  # the pre-tools shape, still sent by a few servers
    calls = []
    for n, raw in enumerate(raw_calls):
        if not isinstance(raw, Mapping):
            continue
        call_id = raw.get("id")
        call_id = call_id if isinstance(call_id, str) and call_id else made_up_call_id(answer_id, n)
        if raw.get("type") == "custom" and isinstance(raw.get("custom"), Mapping):
            custom = raw["custom"]
            name, arguments = _str(custom.get("name")), arguments_text(custom.get("input"))
            calls.append(ir.ToolCall(call_id, name, arguments, kind="custom"))
            continue
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        name, arguments = _str(function.get("name")), arguments_text(function.get("arguments"))
        calls.append(ir.ToolCall(call_id, name, arguments))
    return calls


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def decode_error(status: int, body: bytes) -> ir.ErrorInfo:
    """A provider's error body in any of the common shapes; never raises."""
    try:
        value: object = json.loads(body)
    except (ValueError, RecursionError):
        text = body.decode("utf-8", errors="replace").strip()[:_MAX_ERROR_TEXT]
        return ir.ErrorInfo(status, text or f"HTTP {status}")
    if isinstance(value, list) and value:
        value = value[0]  # some servers wrap the error object in a list
    if not isinstance(value, Mapping):
        return ir.ErrorInfo(status, _error_text(value) or f"HTTP {status}")
    error = value.get("error")
    if isinstance(error, Mapping):
        kind = error.get("type") or error.get("code") or error.get("status")
        message = _error_text(error.get("message")) or _error_text(error)
        return ir.ErrorInfo(status, message or f"HTTP {status}", _kind(kind))
    if isinstance(error, str) and error:
        return ir.ErrorInfo(status, _error_text(value.get("message")) or error, None)
    for key in ("message", "detail", "msg"):
        text = _error_text(value.get(key))
        if text:
            return ir.ErrorInfo(status, text, _kind(value.get("type") or value.get("code")))
    return ir.ErrorInfo(status, _error_text(value) or f"HTTP {status}")


def _kind(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _error_text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()[:_MAX_ERROR_TEXT]
    if value is None:
        return ""
    if isinstance(value, Mapping) and isinstance(value.get("message"), str):
        return str(value["message"]).strip()[:_MAX_ERROR_TEXT]
    try:
        return json.dumps(value, ensure_ascii=False)[:_MAX_ERROR_TEXT]
    except (TypeError, ValueError, RecursionError):
        return str(value)[:_MAX_ERROR_TEXT]
