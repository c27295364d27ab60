"""OpenAI Responses answers (JSON and SSE), including codex's custom (freeform) tool calls."""

from __future__ import annotations

import time
from typing import Any

from .model import Reply, ToolCall, Turn, Usage
from .scripts import fresh_id
from .wire import Rendered, json_answer, split_text, sse_answer, sse_event, text_pieces


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total,
    }


def _response(
    turn: Turn, rid: str, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": turn.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "metadata": {},
    }


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if text else []
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _call_item(item_id: str, call: ToolCall, status: str, done: bool) -> dict[str, Any]:
    if call.kind == "custom":
        return {
            "id": item_id,
            "type": "custom_tool_call",
            "status": status,
            "call_id": call.call_id,
            "name": call.name,
            "input": call.input if done else "",
        }
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call.call_id,
        "name": call.name,
        "arguments": call.arguments_json if done else "",
    }


def render(turn: Turn, reply: Reply, usage: Usage) -> Rendered:
    rid = fresh_id("resp_")
    msg_id = fresh_id("msg_")
    calls = [(fresh_id("ctc_" if c.kind == "custom" else "fc_"), c) for c in reply.tool_calls]
    output: list[dict[str, Any]] = []
    if reply.text:
        output.append(_message_item(msg_id, reply.text, "completed"))
    for item_id, call in calls:
        output.append(_call_item(item_id, call, "completed", True))
    if not turn.stream:
        return json_answer(_response(turn, rid, "completed", output, _usage(usage)))

    seq = 0
    events: list[bytes] = []

    def emit(name: str, payload: dict[str, Any]) -> None:
        nonlocal seq
        events.append(sse_event(name, {"type": name, "sequence_number": seq, **payload}))
        seq += 1

    started = _response(turn, rid, "in_progress", [], None)
    emit("response.created", {"response": started})
    emit("response.in_progress", {"response": started})
    index = 0
    if reply.text:
        text = reply.text
        where = {"item_id": msg_id, "output_index": index, "content_index": 0}
        emit(
            "response.output_item.added",
            {"output_index": index, "item": _message_item(msg_id, "", "in_progress")},
        )
        emit(
            "response.content_part.added",
            {**where, "part": {"type": "output_text", "text": "", "annotations": []}},
        )
        for piece in text_pieces(reply):
            emit("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
        emit("response.output_text.done", {**where, "text": text, "logprobs": []})
        emit(
            "response.content_part.done",
            {**where, "part": {"type": "output_text", "text": text, "annotations": []}},
        )
        emit(
            "response.output_item.done",
            {"output_index": index, "item": _message_item(msg_id, text, "completed")},
        )
        index += 1
    for call_id, call in calls:
        where = {"item_id": call_id, "output_index": index}
        emit(
            "response.output_item.added",
            {"output_index": index, "item": _call_item(call_id, call, "in_progress", False)},
        )
        if call.kind == "custom":
            for piece in split_text(call.input, 2):
                emit("response.custom_tool_call_input.delta", {**where, "delta": piece})
            emit("response.custom_tool_call_input.done", {**where, "input": call.input})
        else:
            args = call.arguments_json
            for piece in split_text(args, 2):
                emit("response.function_call_arguments.delta", {**where, "delta": piece})
            emit(
                "response.function_call_arguments.done",
                {**where, "name": call.name, "arguments": args},
            )
        emit(
            "response.output_item.done",
            {"output_index": index, "item": _call_item(call_id, call, "completed", True)},
        )
        index += 1
    emit(
        "response.completed", {"response": _response(turn, rid, "completed", output, _usage(usage))}
    )
    return sse_answer(events)
