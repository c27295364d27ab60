"""Anthropic Messages, as Claude Code speaks it: requests read into a `Turn`, replies written
as a message (JSON) or its event stream."""

from __future__ import annotations

from typing import Any

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.answers import Answer, dumps, json_answer, split_text, sse_answer, sse_event
from cligate.selftest.scripts import Reply
from cligate.selftest.turns import ToolDecl, Turn, dicts, json_format, text_of


def parse(body: dict[str, Any], size: int) -> Turn:
    tools = tuple(
        ToolDecl(t["name"], t["input_schema"] if isinstance(t.get("input_schema"), dict) else {})
        for t in dicts(body.get("tools"))
        if isinstance(t.get("name"), str)
    )
    results: tuple[str, ...] | None = None
    # Claude Code may put a "system" message after the user's turn: look past it.
    latest = [m for m in dicts(body.get("messages")) if m.get("role") != "system"][-1:]
    if latest and latest[0].get("role") == "user":
        blocks = [b for b in dicts(latest[0].get("content")) if b.get("type") == "tool_result"]
        results = tuple(text_of(b.get("content")) for b in blocks) or None
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else body.get("output_format")
    return Turn(
        WireProtocol.ANTHROPIC,
        str(body.get("model", "")),
        body.get("stream") is True,
        tools,
        results,
        json_format(fmt),
        size,
    )


def render(turn: Turn, reply: Reply) -> Answer:
    usage = {"input_tokens": max(1, turn.size // 4), "output_tokens": 1 + len(reply.text) // 4}
    call = reply.call
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    if call is not None:
        content.append({"type": "tool_use", "id": call.call_id, "name": call.name})
        content[-1]["input"] = call.arguments
    message: dict[str, Any] = {
        "id": "msg_selftest",
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": content,
        "stop_reason": "tool_use" if call is not None else "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }
    if not turn.stream:
        return json_answer(message)
    start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
    events = [sse_event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(content):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in split_text(reply.text)]
        else:
            opening = dict(block, input={})
            json_text = dumps(block["input"]).decode()
            deltas = [
                {"type": "input_json_delta", "partial_json": p} for p in split_text(json_text)
            ]
        events.append(_block_event("content_block_start", index, content_block=opening))
        events.extend(_block_event("content_block_delta", index, delta=d) for d in deltas)
        events.append(_block_event("content_block_stop", index))
    final = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append(
        sse_event("message_delta", {"type": "message_delta", "delta": final, "usage": usage})
    )
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    return sse_answer(events)


def count_tokens(size: int) -> Answer:
    return json_answer({"input_tokens": max(1, size // 4)})


def _block_event(name: str, index: int, **fields: Any) -> bytes:
    return sse_event(name, {"type": name, "index": index, **fields})
