"""Review findings for Chat client → Anthropic provider: each test is a bug a real client hit."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import openai

from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
from cligate.protocols.anthropic.encode_request import encode_request
from cligate.protocols.capabilities import Decisions, protocol_defaults
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.decode_request import decode_request
from cligate.protocols.openai_chat.encode_stream import ChatStreamEncoder

MODEL = "claude-test"
ANTHROPIC = replace(
    protocol_defaults(WireProtocol.ANTHROPIC, "anthropic:claude-test"), max_output_tokens=32000
)
HI = {"role": "user", "content": "hi"}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {},
            "required": [],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def translate(body: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    decisions = Decisions()
    out = encode_request(decode_request(body), MODEL, ANTHROPIC, decisions)
    return out, decisions.summary()


def call(call_id: str, name: str = "get_time", arguments: str = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _texts(body: dict[str, Any]) -> list[str]:
    found = [b["text"] for b in body.get("system", [])]
    for message in body["messages"]:
        for block in message["content"]:
            found += [b["text"] for b in block.get("content", []) if b["type"] == "text"]
            if block["type"] == "text":
                found.append(block["text"])
    return found


# --- requests Anthropic would refuse --------------------------------------------------------


def test_whitespace_only_text_is_not_sent() -> None:
    # Anthropic: "text content blocks must contain non-whitespace text". Models often answer
    # "\n\n" before their tool calls and clients (opencode, LangChain) send that back.
    body, _ = translate(
        {
            "messages": [
                {"role": "system", "content": [{"type": "text", "text": " \n"}]},
                {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": " "}]},
                {"role": "assistant", "content": "\n\n", "tool_calls": [call("call_1")]},
                {"role": "tool", "tool_call_id": "call_1", "content": "\n"},
                {"role": "assistant", "content": "  "},
                {"role": "user", "content": "next"},
            ],
            "tools": [TOOL],
        }
    )  # fmt: skip
    assert all(text.strip() for text in _texts(body)), _texts(body)
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "call_1", "name": "get_time", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1"},
                {"type": "text", "text": "next"},
            ],
        },
    ]
    assert "system" not in body


def test_thinking_is_off_for_a_prefilled_final_assistant_turn() -> None:
    # Anthropic: "When thinking is enabled, a final assistant message must start with a
    # thinking block". aider prefills the assistant turn to continue a cut-off answer.
    body, decisions = translate(
        {
            "messages": [HI, {"role": "assistant", "content": "Here is the diff:"}],
            "reasoning_effort": "high",
        }
    )
    assert body["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Here is the diff:"}],
    }
    assert "thinking" not in body
    assert any(d.startswith("thinking-not-supported") for d in decisions)


def test_repeated_tool_call_ids_are_made_unique() -> None:
    # Anthropic: "tool_use ids must be unique" across the request. History made by another
    # provider (grok's call_0, Kimi's functions.X:0) repeats ids from turn to turn.
    body, _ = translate(
        {
            "messages": [
                HI,
                {"role": "assistant", "content": None, "tool_calls": [call("call_0")]},
                {"role": "tool", "tool_call_id": "call_0", "content": "10:00"},
                {"role": "assistant", "content": None, "tool_calls": [call("call_0")]},
                {"role": "tool", "tool_call_id": "call_0", "content": "10:05"},
            ],
            "tools": [TOOL],
        }
    )
    messages = body["messages"]
    first, second = messages[1]["content"][0]["id"], messages[3]["content"][0]["id"]
    assert first == "call_0"
    assert second != first
    assert messages[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": first,
            "content": [{"type": "text", "text": "10:00"}],
        }
    ]
    assert messages[4]["content"] == [
        {"type": "tool_result", "tool_use_id": second, "content": [{"type": "text", "text": "10:05"}]}
    ]  # fmt: skip


# --- streams the openai SDK must read -------------------------------------------------------


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    },
}
# What Anthropic streams for a call without arguments: input {} and one empty fragment.
NO_ARGUMENTS = sse(
    START,
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_time", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "input_json_delta", "partial_json": ""},
    },
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 5},
    },
    {"type": "message_stop"},
)


def run(transcript: bytes) -> bytes:
    decoder = AnthropicStreamDecoder()
    encoder = ChatStreamEncoder("gpt-4.1", 1_700_000_000, include_usage=True)
    out = b"".join(encoder.encode(e) for e in decoder.feed(transcript))
    return out + b"".join(encoder.encode(e) for e in decoder.finish())


def streamed(body: bytes) -> openai.OpenAI:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body
        )
    )
    return openai.OpenAI(
        api_key="x", base_url="http://test/v1", http_client=httpx.Client(transport=transport)
    )


def test_streamed_call_without_arguments_has_an_empty_object() -> None:
    # OpenAI sends "{}" for a call without arguments; clients json.loads it, and the SDK's
    # stream helper does so itself for strict tools.
    client = streamed(run(NO_ARGUMENTS))
    with client.chat.completions.stream(
        model="gpt-4.1",
        messages=[HI],
        tools=[TOOL],  # type: ignore[list-item]
    ) as stream:
        completion = stream.get_final_completion()
    calls = completion.choices[0].message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in calls] == [("get_time", "{}")]
    assert calls[0].function.parsed_arguments == {}


def test_message_level_cache_hint_is_kept() -> None:
    # opencode (AI SDK openai-compatible) puts cache_control on the message when its content is
    # a string; dropping it loses prompt caching and bills the whole prompt every turn.
    body, _ = translate(
        {
            "messages": [
                {"role": "system", "content": "Big prompt", "cache_control": {"type": "ephemeral"}},
                {"role": "user", "content": "hi", "cache_control": {"type": "ephemeral"}},
            ]
        }
    )
    cached = {"type": "ephemeral"}
    assert body["system"] == [{"type": "text", "text": "Big prompt", "cache_control": cached}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": cached}]}
    ]
