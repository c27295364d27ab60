"""Gemini generateContent / streamGenerateContent answers."""

from __future__ import annotations

from typing import Any

from .model import Reply, Turn, Usage, thought_signature
from .scripts import fresh_id
from .wire import (
    JSON_TYPE,
    Rendered,
    dumps,
    json_answer,
    split_text,
    sse_answer,
    sse_data,
    text_pieces,
)


def _usage(usage: Usage, thoughts: int) -> dict[str, Any]:
    """Like Gemini: thinking tokens are counted apart from the candidates' tokens."""
    out = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens - thoughts,
        "totalTokenCount": usage.total,
    }
    if thoughts:
        out["thoughtsTokenCount"] = thoughts
    return out


def _chunk(
    turn: Turn,
    rid: str,
    parts: list[dict[str, Any]],
    finish: bool,
    usage: dict[str, Any],
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    out: dict[str, Any] = {"candidates": [candidate]}
    if finish:
        candidate["finishReason"] = "STOP"
        out["usageMetadata"] = usage
    out["modelVersion"] = turn.model
    out["responseId"] = rid
    return out


def render(
    turn: Turn,
    reply: Reply,
    usage: Usage,
    sse: bool,
    *,
    call_ids: bool = True,
    signatures: bool = True,
) -> Rendered:
    """`sse` is False for generateContent and for streamGenerateContent without ?alt=sse.

    `reasoning` comes first as thought parts (`"thought": true`), counted in
    `thoughtsTokenCount` rather than `candidatesTokenCount`, as Gemini does.
    `call_ids=False` leaves the `id` out of function calls, as Gemini models often do;
    `signatures` puts a thought signature on the first function call of the answer, as
    Gemini's thinking models do (see `model.thought_signature`).
    """
    rid = fresh_id("resp_")
    thoughts = [{"text": piece, "thought": True} for piece in split_text(reply.reasoning)]
    texts = [{"text": piece} for piece in text_pieces(reply)]
    calls: list[dict[str, Any]] = []
    for index, call in enumerate(reply.tool_calls):
        function: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call_ids:
            function = {"id": call.call_id, **function}
        part: dict[str, Any] = {"functionCall": function}
        if signatures and index == 0:
            part["thoughtSignature"] = thought_signature(call.call_id)
        calls.append(part)
    metadata = _usage(usage, min(usage.output_tokens, len(reply.reasoning) // 4))
    if not turn.stream:
        merged: list[dict[str, Any]] = []
        if reply.reasoning:
            merged.append({"text": reply.reasoning, "thought": True})
        if reply.text:
            merged.append({"text": reply.text})
        merged.extend(calls)
        return json_answer(_chunk(turn, rid, merged or [{"text": ""}], True, metadata))
    parts = [*thoughts, *texts, *calls] or [{"text": ""}]
    chunks = [
        _chunk(turn, rid, [part], i == len(parts) - 1, metadata) for i, part in enumerate(parts)
    ]
    if not sse:
        return Rendered(status=200, headers=(JSON_TYPE,), body=dumps(chunks))
    return sse_answer([sse_data(chunk, crlf=True) for chunk in chunks])
