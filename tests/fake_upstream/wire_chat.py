"""OpenAI Chat Completions answers (JSON and SSE chunks ending with `data: [DONE]`)."""

from __future__ import annotations

import time
from typing import Any

from .model import Reply, Turn, Usage
from .scripts import fresh_id
from .wire import Rendered, json_answer, split_text, sse_answer, sse_data, text_pieces

DONE = b"data: [DONE]\n\n"


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total,
    }


def render(turn: Turn, reply: Reply, usage: Usage, include_usage: bool) -> Rendered:
    cid = fresh_id("chatcmpl-")
    created = int(time.time())
    calls = reply.tool_calls
    finish = "tool_calls" if calls else "stop"
    if not turn.stream:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
        }
        if reply.reasoning:
            message["reasoning_content"] = reply.reasoning
        if calls:
            message["tool_calls"] = [
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json},
                }
                for call in calls
            ]
        return json_answer(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": turn.model,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
                "usage": _usage(usage),
            }
        )

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        payload: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": turn.model,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            ],
        }
        if include_usage:
            payload["usage"] = None
        return sse_data(payload)

    events = [chunk({"role": "assistant", "content": ""})]
    for piece in split_text(reply.reasoning):  # DeepSeek / Qwen style thinking, before the text
        events.append(chunk({"reasoning_content": piece}))
    for piece in text_pieces(reply):
        events.append(chunk({"content": piece}))
    for index, call in enumerate(calls):  # each call's fragments together, indices 0..n-1
        head = {
            "index": index,
            "id": call.call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [head]}))
        for piece in split_text(call.arguments_json, 2):
            fragment = {"index": index, "function": {"arguments": piece}}
            events.append(chunk({"tool_calls": [fragment]}))
    events.append(chunk({}, finish))
    if include_usage:
        events.append(
            sse_data(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": turn.model,
                    "choices": [],
                    "usage": _usage(usage),
                }
            )
        )
    events.append(DONE)
    return sse_answer(events)
