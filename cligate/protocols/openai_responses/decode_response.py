"""An OpenAI Responses answer (or error body) → the neutral ``ir.Response`` / ``ir.ErrorInfo``.

Output items become parts in order: a ``message``'s ``output_text`` (or ``refusal``) is text, a
``reasoning`` item is thinking (its summary as text, ``encrypted_content`` kept so the next turn
can send it back), ``function_call`` and ``custom_tool_call`` items are tool calls.

Hosted tool items (``web_search_call``, ``file_search_call``, ``code_interpreter_call``, …) are
left out: the provider ran them itself and the model's text already says what they found; a
client of another protocol has no block to show them in and nothing to answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.openai_chat.decode_response import arguments_text, made_up_call_id
from cligate.protocols.openai_chat.decode_response import (  # the same error shapes as Chat
    decode_error as decode_error,
)

_MAX_ERROR_TEXT = 2_000  # a non-JSON error body (an HTML page) is cut to this many characters
_SEPARATOR = "\n\n"
INCOMPLETE_REASONS = {
    "max_output_tokens": ir.StopReason.MAX_TOKENS,
    "content_filter": ir.StopReason.CONTENT_FILTER,
}

Part = ir.Text | ir.Thinking | ir.ToolCall


def decode_response(body: Mapping[str, Any]) -> ir.Response:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("answer: expected a JSON object")
    output = body.get("output")
    if body.get("status") == "failed" or not isinstance(output, list):
        error = body.get("error")
        if error is not None:
            # A failed response, or a server that answers 200 with an error object.
            raise ir.DecodeError(f"the provider answered with an error: {_error_text(error)}")
        if not isinstance(output, list):
            raise ir.DecodeError("answer.output: expected a list")
    answer_id = _str(body.get("id"))
    parts = output_parts(output, answer_id)
    has_calls = any(isinstance(p, ir.ToolCall) for p in parts)
    return ir.Response(
        id=answer_id,
        model=_str(body.get("model")),
        parts=tuple(parts),
        stop_reason=stop_reason(body, has_calls),
        usage=usage_from(body.get("usage")),
    )


def output_parts(output: list[Any], answer_id: str) -> list[Part]:
    parts: list[Part] = []
    calls = 0
    for item in output:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "message":
            text = message_text(item)
            if text:
                parts.append(ir.Text(text))
        elif kind == "reasoning":
            thinking = reasoning(item)
            if thinking is not None:
                parts.append(thinking)
        elif kind in ("function_call", "custom_tool_call"):
            parts.append(tool_call(item, answer_id, calls))
            calls += 1
    return parts


def message_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        # output_text (and the text of kinds not known yet), or a refusal
        value = part.get("refusal") if part.get("type") == "refusal" else part.get("text")
        if isinstance(value, str):
            texts.append(value)
    return "".join(texts)


def reasoning(item: Mapping[str, Any]) -> ir.Thinking | None:
    """The summary's text (or, from servers that show it, the reasoning text itself) and
    the encrypted content; None when the item holds neither."""
    text = _texts(item.get("summary"), "summary_text") or _texts(item.get("content"), None)
    encrypted = item.get("encrypted_content")
    encrypted = encrypted if isinstance(encrypted, str) and encrypted else None
    if not text and encrypted is None:
        return None
    return ir.Thinking(text=text, encrypted=encrypted)


def _texts(value: object, kind: str | None) -> str:
    if not isinstance(value, list):
        return ""
    texts = [
        p["text"]
        for p in value
        if isinstance(p, Mapping)
        and isinstance(p.get("text"), str)
        and (kind is None or p.get("type") in (kind, None))
    ]
    return _SEPARATOR.join(t for t in texts if t)


def tool_call(item: Mapping[str, Any], answer_id: str, n: int) -> ir.ToolCall:
    call_id = item.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        # The item's own id is what a later turn's output could name, failing a call id.
        item_id = item.get("id")
        call_id = item_id if isinstance(item_id, str) and item_id else made_up_call_id(answer_id, n)
    name = _str(item.get("name"))
    if item.get("type") == "custom_tool_call":
        return ir.ToolCall(call_id, name, arguments_text(item.get("input")), kind="custom")
    return ir.ToolCall(call_id, name, arguments_text(item.get("arguments")))


def stop_reason(response: Mapping[str, Any], has_calls: bool) -> ir.StopReason:
    """``incomplete`` says why; a completed answer with calls is tool use."""
    if response.get("status") == "incomplete":
        details = response.get("incomplete_details")
        why = details.get("reason") if isinstance(details, Mapping) else None
        reason = INCOMPLETE_REASONS.get(why) if isinstance(why, str) else None
        if reason is not None:
            return reason
    return ir.StopReason.TOOL_USE if has_calls else ir.StopReason.END


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from(raw: object) -> ir.Usage | None:
    """Responses counts as the neutral form does: ``input_tokens`` holds the cached ones."""
    if not isinstance(raw, Mapping):
        return None
    given = raw.get("input_tokens_details")
    inputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    given = raw.get("output_tokens_details")
    outputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    return ir.Usage(
        input_tokens=_count(raw.get("input_tokens")),
        output_tokens=_count(raw.get("output_tokens")),
        cache_read_tokens=_count(inputs.get("cached_tokens")),
        cache_write_tokens=_count(inputs.get("cache_write_tokens")),
        reasoning_tokens=_count(outputs.get("reasoning_tokens")),
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


# --- errors ------------------------------------------------------------------------------


def _error_text(error: object) -> str:
    if isinstance(error, Mapping):
        message, code = error.get("message"), error.get("code")
        if isinstance(message, str) and message:
            return f"{message} ({code})" if isinstance(code, str) and code else message
    return str(error)[:_MAX_ERROR_TEXT]
