"""OpenAI Responses, as Codex speaks it: requests read into a `Turn`, replies written as a
response object (JSON) or its event stream."""

from __future__ import annotations

import time
from typing import Any

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.answers import Answer, dumps, json_answer, split_text, sse_answer, sse_event
from cligate.selftest.scripts import Reply, ToolCall
from cligate.selftest.turns import ToolDecl, Turn, dicts, json_format, text_of

_RESULT_ITEMS = ("function_call_output", "custom_tool_call_output")


def parse(body: dict[str, Any], size: int) -> Turn:
    items = dicts(body.get("input"))
    results: list[str] = []
    for item in reversed(items):  # the results after the last model output
        if item.get("type") in _RESULT_ITEMS:
            results.append(text_of(item.get("output")))
        elif item.get("role") not in ("developer", "system"):
            break
    text = body.get("text")
    return Turn(
        WireProtocol.OPENAI_RESPONSES,
        str(body.get("model", "")),
        body.get("stream") is True,
        tuple(_tools(dicts(body.get("tools")))),
        tuple(reversed(results)) or None,
        json_format(text.get("format") if isinstance(text, dict) else None),
        size,
    )


def _tools(items: list[dict[str, Any]], depth: int = 0) -> list[ToolDecl]:
    found: list[ToolDecl] = []
    for tool in items:
        kind, name = tool.get("type"), tool.get("name")
        if kind == "namespace" and depth < 4:
            found.extend(_tools(dicts(tool.get("tools")), depth + 1))
        elif kind == "function" and isinstance(name, str):
            params = tool.get("parameters")
            found.append(ToolDecl(name, params if isinstance(params, dict) else {}))
        elif kind == "custom" and isinstance(name, str):
            found.append(ToolDecl(name, freeform=True))
    return found


def render(turn: Turn, reply: Reply) -> Answer:
    tokens = max(1, turn.size // 4), 1 + len(reply.text) // 4
    usage = {
        "input_tokens": tokens[0],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": tokens[1],
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": sum(tokens),
    }
    output = []
    if reply.text:
        output.append(_message("msg_selftest", reply.text))
    if reply.call is not None:
        output.append(_call("fc_selftest", reply.call))
    if not turn.stream:
        return json_answer(_response(turn, "completed", output, usage))
    events = _Events()
    events.emit("response.created", response=_response(turn, "in_progress", [], None))
    events.emit("response.in_progress", response=_response(turn, "in_progress", [], None))
    for index, item in enumerate(output):
        events.emit("response.output_item.added", output_index=index, item=_opening(item))
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            _text_events(events, where, reply.text)
        elif item["type"] == "function_call":
            for piece in split_text(item["arguments"]):
                events.emit("response.function_call_arguments.delta", **where, delta=piece)
            done = {"name": item["name"], "arguments": item["arguments"]}
            events.emit("response.function_call_arguments.done", **where, **done)
        else:
            for piece in split_text(item["input"]):
                events.emit("response.custom_tool_call_input.delta", **where, delta=piece)
            events.emit("response.custom_tool_call_input.done", **where, input=item["input"])
        events.emit("response.output_item.done", output_index=index, item=item)
    events.emit("response.completed", response=_response(turn, "completed", output, usage))
    return sse_answer(events.framed)


class _Events:
    """Numbered Responses stream events."""

    def __init__(self) -> None:
        self.framed: list[bytes] = []

    def emit(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "sequence_number": len(self.framed), **fields}
        self.framed.append(sse_event(kind, payload))


def _text_events(events: _Events, where: dict[str, Any], text: str) -> None:
    part = {"type": "output_text", "text": "", "annotations": []}
    events.emit("response.content_part.added", **where, content_index=0, part=part)
    for piece in split_text(text):
        delta = {"delta": piece, "logprobs": []}
        events.emit("response.output_text.delta", **where, content_index=0, **delta)
    events.emit("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
    done = dict(part, text=text)
    events.emit("response.content_part.done", **where, content_index=0, part=done)


def _opening(item: dict[str, Any]) -> dict[str, Any]:
    """An output item as ``output_item.added`` announces it: in progress, still empty."""
    empty: dict[str, dict[str, Any]] = {
        "message": {"content": []},
        "function_call": {"arguments": ""},
    }
    return {**item, "status": "in_progress", **empty.get(item["type"], {"input": ""})}


def _response(
    turn: Turn, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": "resp_selftest",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": turn.model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }


def _message(item_id: str, text: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}]
    return {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": content,
    }


def _call(item_id: str, call: ToolCall) -> dict[str, Any]:
    item = {"id": item_id, "status": "completed", "call_id": call.call_id, "name": call.name}
    if call.freeform_input is not None:
        return {**item, "type": "custom_tool_call", "input": call.freeform_input}
    return {**item, "type": "function_call", "arguments": dumps(call.arguments).decode()}
