"""Anthropic Messages answers (JSON and SSE)."""

from __future__ import annotations

from typing import Any

from .model import Reply, Turn, Usage
from .scripts import fresh_id
from .wire import Rendered, json_answer, split_text, sse_answer, sse_event, text_pieces


def _usage(usage: Usage, output: int) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output,
    }


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.call_id, "name": call.name, "input": call.arguments}
        )
    return blocks


def render(turn: Turn, reply: Reply, usage: Usage) -> Rendered:
    message: dict[str, Any] = {
        "id": fresh_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": _blocks(reply),
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": _usage(usage, usage.output_tokens),
    }
    if not turn.stream:
        return json_answer(message)
    head = dict(message, content=[], stop_reason=None, usage=_usage(usage, 1))
    events = [
        sse_event("message_start", {"type": "message_start", "message": head}),
        sse_event("ping", {"type": "ping"}),
    ]
    index = 0
    if reply.text:
        events.append(_start(index, {"type": "text", "text": ""}))
        for piece in text_pieces(reply):
            events.append(_delta(index, {"type": "text_delta", "text": piece}))
        events.append(_stop(index))
        index += 1
    for call in reply.tool_calls:
        block = {"type": "tool_use", "id": call.call_id, "name": call.name, "input": {}}
        events.append(_start(index, block))
        for piece in split_text(call.arguments_json, 2):
            events.append(_delta(index, {"type": "input_json_delta", "partial_json": piece}))
        events.append(_stop(index))
        index += 1
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": _usage(usage, usage.output_tokens),
    }
    events.append(sse_event("message_delta", delta))
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    return sse_answer(events)


def _start(index: int, block: dict[str, Any]) -> bytes:
    payload = {"type": "content_block_start", "index": index, "content_block": block}
    return sse_event("content_block_start", payload)


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return sse_event(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def _stop(index: int) -> bytes:
    return sse_event("content_block_stop", {"type": "content_block_stop", "index": index})


def count_tokens(turn: Turn) -> Rendered:
    """POST /v1/messages/count_tokens."""
    return json_answer({"input_tokens": max(1, turn.body_size // 4)})
