"""Gemini generateContent / streamGenerateContent answers."""

from __future__ import annotations

from typing import Any

from .model import Reply, Turn, Usage
from .scripts import fresh_id
from .wire import JSON_TYPE, Rendered, dumps, json_answer, split_text, sse_answer, sse_data


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens,
        "totalTokenCount": usage.total,
    }


def _chunk(
    turn: Turn, rid: str, parts: list[dict[str, Any]], finish: bool, usage: Usage
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    out: dict[str, Any] = {"candidates": [candidate]}
    if finish:
        candidate["finishReason"] = "STOP"
        out["usageMetadata"] = _usage(usage)
    out["modelVersion"] = turn.model
    out["responseId"] = rid
    return out


def render(turn: Turn, reply: Reply, usage: Usage, sse: bool) -> Rendered:
    """`sse` is False for generateContent and for streamGenerateContent without ?alt=sse."""
    rid = fresh_id("resp_")
    parts: list[dict[str, Any]] = []
    if reply.text:
        parts.extend({"text": piece} for piece in split_text(reply.text))
    for call in reply.tool_calls:
        parts.append(
            {"functionCall": {"id": call.call_id, "name": call.name, "args": call.arguments}}
        )
    if not parts:
        parts.append({"text": ""})
    if not turn.stream:
        merged: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
        merged.extend(p for p in parts if "functionCall" in p)
        return json_answer(_chunk(turn, rid, merged or parts, True, usage))
    chunks = [_chunk(turn, rid, [part], i == len(parts) - 1, usage) for i, part in enumerate(parts)]
    if not sse:
        return Rendered(status=200, headers=(JSON_TYPE,), body=dumps(chunks))
    return sse_answer([sse_data(chunk, crlf=True) for chunk in chunks])
