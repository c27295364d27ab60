"""Token counts from each protocol's answers, whole and streamed (split at every byte)."""

from __future__ import annotations

import json

import pytest

from cligate.observe.usage import StreamUsage, TokenCounts, counts_from_body
from cligate.protocols.kinds import WireProtocol

A, CHAT, RESP, GEM = (
    WireProtocol.ANTHROPIC,
    WireProtocol.OPENAI_CHAT,
    WireProtocol.OPENAI_RESPONSES,
    WireProtocol.GEMINI,
)

WHOLE = [
    pytest.param(
        A,
        {
            "type": "message",
            "content": [{"type": "text", "text": 'the "usage" word'}],
            "usage": {
                "input_tokens": 12,
                "output_tokens": 30,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 200,
            },
        },
        TokenCounts(input=12, output=30, cache_read=1000, cache_write=200),
        id="anthropic",
    ),
    pytest.param(
        CHAT,
        {
            "choices": [],
            "usage": {
                "prompt_tokens": 1500,
                "completion_tokens": 80,
                "prompt_tokens_details": {"cached_tokens": 1024},
                "completion_tokens_details": {"reasoning_tokens": 64},
            },
        },
        TokenCounts(input=476, output=80, cache_read=1024, reasoning=64),
        id="chat",
    ),
    pytest.param(
        CHAT,
        {"usage": {"prompt_tokens": 100, "completion_tokens": 5, "prompt_cache_hit_tokens": 60}},
        TokenCounts(input=40, output=5, cache_read=60),
        id="chat-deepseek-cache-names",
    ),
    pytest.param(
        RESP,
        {
            "object": "response",
            "usage": {
                "input_tokens": 900,
                "output_tokens": 300,
                "input_tokens_details": {"cached_tokens": 800},
                "output_tokens_details": {"reasoning_tokens": 256},
            },
        },
        TokenCounts(input=100, output=300, cache_read=800, reasoning=256),
        id="responses",
    ),
    pytest.param(
        GEM,
        {
            "candidates": [],
            "usageMetadata": {
                "promptTokenCount": 700,
                "candidatesTokenCount": 40,
                "thoughtsTokenCount": 100,
                "cachedContentTokenCount": 500,
                "toolUsePromptTokenCount": 10,
            },
        },
        TokenCounts(input=210, output=140, cache_read=500, reasoning=100),
        id="gemini",
    ),
    pytest.param(A, {"type": "message", "content": []}, None, id="no-usage"),
]


@pytest.mark.parametrize(("protocol", "body", "expected"), WHOLE)
def test_whole_answers(protocol: WireProtocol, body: dict[str, object], expected: object) -> None:
    assert counts_from_body(protocol, json.dumps(body).encode()) == expected


def sse(events: list[tuple[str | None, dict[str, object] | str]]) -> bytes:
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        body = data if isinstance(data, str) else json.dumps(data)
        out.append(f"{head}data: {body}\n\n")
    return "".join(out).encode()


STREAMS = [
    pytest.param(
        A,
        sse(
            [
                (
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "usage": {
                                "input_tokens": 25,
                                "output_tokens": 1,
                                "cache_read_input_tokens": 4000,
                                "cache_creation_input_tokens": 0,
                            }
                        },
                    },
                ),
                ("ping", {"type": "ping"}),
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "delta": {"text": 'a "usage" word'}},
                ),
                (
                    "message_delta",
                    {"type": "message_delta", "delta": {}, "usage": {"output_tokens": 321}},
                ),
                ("message_stop", {"type": "message_stop"}),
            ]
        ),
        TokenCounts(input=25, output=321, cache_read=4000),
        id="anthropic",
    ),
    pytest.param(
        CHAT,
        sse(
            [
                (None, {"choices": [{"delta": {"content": "hi"}}], "usage": None}),
                (None, {"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": None}),
                (None, {"choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 7}}),
                (None, "[DONE]"),
            ]
        ),
        TokenCounts(input=50, output=7),
        id="chat",
    ),
    pytest.param(
        CHAT,
        sse([(None, {"choices": [{"delta": {"content": "hi"}}]}), (None, "[DONE]")]),
        None,
        id="chat-without-include-usage",
    ),
    pytest.param(
        RESP,
        sse(
            [
                ("response.created", {"type": "response.created", "response": {"usage": None}}),
                ("response.output_text.delta", {"type": "response.output_text.delta"}),
                (
                    "response.completed",
                    {
                        "type": "response.completed",
                        "response": {
                            "output": [{"type": "message", "content": [{"text": "x" * 5000}]}],
                            "usage": {
                                "input_tokens": 60,
                                "output_tokens": 9,
                                "output_tokens_details": {"reasoning_tokens": 4},
                            },
                        },
                    },
                ),
            ]
        ),
        TokenCounts(input=60, output=9, reasoning=4),
        id="responses",
    ),
    pytest.param(
        GEM,
        sse(
            [
                (None, {"candidates": [], "usageMetadata": {"promptTokenCount": 80}}),
                (
                    None,
                    {
                        "candidates": [],
                        "usageMetadata": {"promptTokenCount": 80, "candidatesTokenCount": 12},
                    },
                ),
            ]
        ),
        TokenCounts(input=80, output=12),
        id="gemini",
    ),
]


@pytest.mark.parametrize(("protocol", "stream", "expected"), STREAMS)
def test_streams_split_at_every_byte(
    protocol: WireProtocol, stream: bytes, expected: TokenCounts | None
) -> None:
    whole = StreamUsage(protocol)
    whole.feed(stream)
    assert whole.counts() == expected
    step = max(1, len(stream) // 400)  # every byte for small streams, bounded for large
    for cut in range(1, len(stream), step):
        split = StreamUsage(protocol)
        split.feed(stream[:cut])
        split.feed(stream[cut:])
        assert split.counts() == expected, cut
    bytewise = StreamUsage(protocol)
    for index in range(len(stream)):
        bytewise.feed(stream[index : index + 1])
    assert bytewise.counts() == expected


def test_a_stream_whose_last_line_has_no_newline_still_counts() -> None:
    usage = StreamUsage(CHAT)
    usage.feed(b'data: {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}')
    assert usage.counts() == TokenCounts(input=3, output=2)


def test_garbage_gives_no_counts_and_no_error() -> None:
    for protocol in WireProtocol:
        usage = StreamUsage(protocol)
        usage.feed(b'data: {"usage": {broken\n\ndata: "usage"\n\n')
        assert usage.counts() is None
        assert counts_from_body(protocol, b'{"usage": [1, 2') is None
        assert counts_from_body(protocol, b'["usage"]') is None
