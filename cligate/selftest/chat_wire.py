"""OpenAI Chat Completions, as opencode, Qwen Code, aider, Crush and OpenClaw speak it: requests
read into a `Turn`, replies written as a completion (JSON) or its chunk stream."""

from __future__ import annotations

import time
from typing import Any

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.answers import Answer, dumps, json_answer, split_text, sse_answer
from cligate.selftest.scripts import Reply
from cligate.selftest.turns import ToolDecl, Turn, dicts, json_format, text_of

_RESULT_ROLES = ("tool", "function")  # "function": the pre-tools name some clients still send
_DONE = b"data: [DONE]\n\n"


def parse(body: dict[str, Any], size: int) -> Turn:
    tools = tuple(
        ToolDecl(f["name"], f["parameters"] if isinstance(f.get("parameters"), dict) else {})
        for f in (t.get("function") for t in dicts(body.get("tools")))
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    )
    results = _latest_results(dicts(body.get("messages")))
    return Turn(
        WireProtocol.OPENAI_CHAT,
        str(body.get("model", "")),
        body.get("stream") is True,
        tools,
        tuple(results) or None,
        json_format(body.get("response_format")),
        size,
    )


def include_usage(body: dict[str, Any]) -> bool:
    """Whether a stream must end with a usage chunk (``stream_options.include_usage``)."""
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _latest_results(messages: list[dict[str, Any]]) -> list[str]:
    """The tool results after the model's last message. User messages after them still count
    as the same turn: OpenClaw appends its "internal context" note after the results."""
    results: list[str] = []
    for message in reversed(messages):
        role = message.get("role")
        if role in _RESULT_ROLES:
            results.append(text_of(message.get("content")))
        elif role in ("system", "developer") or (role == "user" and not results):
            continue
        else:
            break
    return results[::-1]


def render(turn: Turn, reply: Reply, usage_chunk: bool) -> Answer:
    prompt, output = max(1, turn.size // 4), 1 + len(reply.text) // 4
    usage = {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output}
    calls: list[dict[str, Any]] = []
    if reply.call is not None:
        arguments = dumps(reply.call.arguments).decode()
        function = {"name": reply.call.name, "arguments": arguments}
        calls.append({"id": reply.call.call_id, "type": "function", "function": function})
    finish = "tool_calls" if calls else "stop"
    head = {"id": "chatcmpl-selftest", "created": int(time.time()), "model": turn.model}
    if not turn.stream:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        return json_answer(
            {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        )

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        payload: dict[str, Any] = {**head, "object": "chat.completion.chunk", "choices": [choice]}
        if usage_chunk:  # OpenAI sends "usage": null on every chunk but the last then
            payload["usage"] = None
        return _data(payload)

    events = [chunk({"role": "assistant", "content": ""})]
    events.extend(chunk({"content": piece}) for piece in split_text(reply.text))
    for index, call in enumerate(calls):  # the name first, then the arguments in pieces
        opening = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
        events.append(chunk({"tool_calls": [opening]}))
        for piece in split_text(call["function"]["arguments"]):
            events.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    events.append(chunk({}, finish))
    if usage_chunk:
        events.append(
            _data({**head, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        )
    events.append(_DONE)
    return sse_answer(events)


def _data(payload: Any) -> bytes:
    """A bare ``data:`` event, LF-framed as OpenAI sends it."""
    return b"data: " + dumps(payload) + b"\n\n"
