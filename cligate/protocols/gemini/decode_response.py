"""A Gemini ``GenerateContentResponse`` (or error body) → ``ir.Response`` / ``ir.ErrorInfo``.

The first candidate's parts become parts in order: text (``thought: true`` parts are
thinking; adjacent parts of one kind are joined), ``functionCall`` a tool call whose
``thoughtSignature`` goes into ``ToolCall.signature`` so the next turn can send it back. A
call without an id (Gemini often gives none) gets one made from the answer's id, unique in
the conversation. Parts a client of another protocol has no block for (inline media, code
execution) are left out, as is a text part's signature (Gemini does not require it back).

A finish reason that names no stop a client knows (``MALFORMED_FUNCTION_CALL`` and the other
tool failures) ends the turn; when the answer is then empty, a line of text says why, so the
user does not face a blank answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.openai_chat.decode_response import made_up_call_id

_MAX_ERROR_TEXT = 2_000  # a non-JSON error body (an HTML page) is cut to this many characters

FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "MODEL_ARMOR",
        "LANGUAGE",
    }
)
# Finish reasons that say the model's turn failed rather than ended.
FAILED = frozenset(
    {
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
        "MALFORMED_RESPONSE",
    }
)

Part = ir.Text | ir.Thinking | ir.ToolCall


def decode_response(body: Mapping[str, Any]) -> ir.Response:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("answer: expected a JSON object")
    candidates = body.get("candidates")
    answer_id = _str(body.get("responseId"))
    model = _str(body.get("modelVersion"))
    usage = usage_from(body.get("usageMetadata"))
    if not isinstance(candidates, list) or not candidates:
        error = body.get("error")
        if error is not None:
            raise ir.DecodeError(f"the provider answered with an error: {_error_text(error)}")
        if block_reason(body) is not None:
            return ir.Response(answer_id, model, (), ir.StopReason.CONTENT_FILTER, usage)
        raise ir.DecodeError("answer.candidates: expected a non-empty list")
    candidate = candidates[0] if isinstance(candidates[0], Mapping) else {}
    parts: list[Part] = []
    calls = 0
    for raw in candidate_parts(candidate):
        part = decode_part(raw, answer_id, calls)
        if part is None:
            continue
        if isinstance(part, ir.ToolCall):
            calls += 1
            parts.append(part)
        elif parts and type(parts[-1]) is type(part) and not isinstance(part, ir.ToolCall):
            parts[-1] = _joined(parts[-1], part)
        else:
            parts.append(part)
    finish = candidate.get("finishReason")
    if not parts:
        note = failure_note(finish, candidate.get("finishMessage"))
        if note:
            parts.append(ir.Text(note))
    return ir.Response(
        id=answer_id,
        model=model,
        parts=tuple(parts),
        stop_reason=stop_reason(finish, calls > 0),
        usage=usage,
    )


def candidate_parts(candidate: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    if not isinstance(parts, list):
        return []
    return [p for p in parts if isinstance(p, Mapping)]


def decode_part(raw: Mapping[str, Any], answer_id: str, n: int) -> Part | None:
    """One part; ``n`` numbers the calls of the answer (for made-up ids)."""
    call = raw.get("functionCall")
    if isinstance(call, Mapping):
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = made_up_call_id(answer_id, n)
        signature = raw.get("thoughtSignature")
        return ir.ToolCall(
            call_id,
            _str(call.get("name")),
            arguments_json(call.get("args")),
            signature=signature if isinstance(signature, str) and signature else None,
        )
    text = raw.get("text")
    if isinstance(text, str) and text:
        return ir.Thinking(text) if raw.get("thought") is True else ir.Text(text)
    return None


def arguments_json(args: object) -> str:
    """A call's ``args`` object as compact JSON text (``{}`` when it has none)."""
    if args is None:
        return "{}"
    try:
        return json.dumps(args, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return "{}"


def _joined(before: Part, after: Part) -> Part:
    if isinstance(before, ir.Text) and isinstance(after, ir.Text):
        return ir.Text(before.text + after.text)
    if isinstance(before, ir.Thinking) and isinstance(after, ir.Thinking):
        return ir.Thinking(before.text + after.text)
    return after  # unreachable: only parts of one kind are joined


def stop_reason(finish: object, has_calls: bool) -> ir.StopReason:
    if finish == "MAX_TOKENS":
        return ir.StopReason.MAX_TOKENS
    if isinstance(finish, str) and finish in FILTERED:
        return ir.StopReason.CONTENT_FILTER
    return ir.StopReason.TOOL_USE if has_calls else ir.StopReason.END


def failure_note(finish: object, message: object) -> str:
    """Text for an empty answer whose finish reason says the turn failed."""
    if not isinstance(finish, str) or finish not in FAILED:
        return ""
    detail = f": {message}" if isinstance(message, str) and message else ""
    return f"[Gemini ended the turn with {finish}{detail}]"


def block_reason(body: Mapping[str, Any]) -> str | None:
    feedback = body.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
    return reason if isinstance(reason, str) and reason else None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from(raw: object) -> ir.Usage | None:
    """Gemini counts the prompt with its cached part (as the neutral form does) and thoughts
    apart from the answer (the neutral form counts them in the output)."""
    if not isinstance(raw, Mapping):
        return None
    thoughts = _count(raw.get("thoughtsTokenCount"))
    return ir.Usage(
        input_tokens=_count(raw.get("promptTokenCount"))
        + _count(raw.get("toolUsePromptTokenCount")),
        output_tokens=_count(raw.get("candidatesTokenCount")) + thoughts,
        cache_read_tokens=_count(raw.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


# --- errors ------------------------------------------------------------------------------


def decode_error(status: int, body: bytes) -> ir.ErrorInfo:
    """Google's ``{error: {code, message, status}}`` (alone or in a list), or any text;
    never raises."""
    try:
        value: object = json.loads(body)
    except (ValueError, RecursionError):
        text = body.decode("utf-8", errors="replace").strip()[:_MAX_ERROR_TEXT]
        return ir.ErrorInfo(status, text or f"HTTP {status}")
    return error_info(status, value)


def error_info(status: int, value: object) -> ir.ErrorInfo:
    if isinstance(value, list) and value:
        value = value[0]  # Gemini sometimes wraps the error object in a list
    if not isinstance(value, Mapping):
        return ir.ErrorInfo(status, _error_text(value) or f"HTTP {status}")
    error = value.get("error")
    if isinstance(error, Mapping):
        message = _error_text(error.get("message")) or _error_text(error)
        kind = error.get("status")
        if not isinstance(kind, str) or not kind:
            code = error.get("code")
            kind = str(code) if isinstance(code, int | str) and code != "" else None
        return ir.ErrorInfo(status, message or f"HTTP {status}", kind)
    if isinstance(error, str) and error:
        return ir.ErrorInfo(status, _error_text(value.get("message")) or error)
    text = _error_text(value.get("message"))
    return ir.ErrorInfo(status, text or _error_text(value) or f"HTTP {status}")


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
