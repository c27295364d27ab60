"""Properties of the Chat → Anthropic direction over generated requests and garbage."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
from cligate.protocols.anthropic.encode_request import encode_request
from cligate.protocols.capabilities import Decisions, StrictModeError, protocol_defaults
from cligate.protocols.ir import DecodeError
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.decode_request import decode_request
from cligate.protocols.openai_chat.encode_stream import ChatStreamEncoder

PROFILE = replace(protocol_defaults(WireProtocol.ANTHROPIC, "anthropic:t"), max_output_tokens=8000)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

IDS = st.sampled_from(["call_1", "call_2", "functions.Bash:0", "call|x", "toolu_cgx_!", "c 3"])
WORDS = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(allow_nan=False) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=8,
)
CACHE = st.sampled_from([{}, {"cache_control": {"type": "ephemeral"}}])
TEXT_PART = st.builds(lambda t, c: {"type": "text", "text": t, **c}, WORDS, CACHE)
IMAGE_PART = st.builds(
    lambda url, c: {"type": "image_url", "image_url": {"url": url}, **c},
    st.sampled_from(
        ["data:image/png;base64,iVBO", "https://x.test/a.png", "data:image/tiff;base64,AA"]
    ),
    CACHE,
)
USER_CONTENT = WORDS | st.lists(TEXT_PART | IMAGE_PART, max_size=3)
ARGUMENTS = st.one_of(
    st.dictionaries(WORDS, JSON, max_size=3).map(json.dumps),
    st.sampled_from(["", "{", "[1]", "null", "not json"]),
)
TOOL_CALL = st.builds(
    lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
    IDS,
    st.sampled_from(["read", "bash"]),
    ARGUMENTS,
)


@st.composite
def message(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(["system", "developer", "user", "assistant", "tool"]))
    if role in ("system", "developer"):
        return {"role": role, "content": draw(WORDS | st.lists(TEXT_PART, max_size=2))}
    if role == "user":
        return {"role": role, "content": draw(USER_CONTENT)}
    if role == "tool":
        content = draw(WORDS | st.lists(TEXT_PART, max_size=2))
        return {"role": role, "tool_call_id": draw(IDS), "content": content}
    out: dict[str, Any] = {"role": role, "content": draw(st.none() | WORDS)}
    calls = draw(st.lists(TOOL_CALL, max_size=3, unique_by=lambda c: c["id"]))
    if calls:
        out["tool_calls"] = calls
    if draw(st.booleans()):
        out["reasoning_content"] = draw(WORDS)
    return out


OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "tools": st.just(
            [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}]
        ),
        "tool_choice": st.sampled_from(
            ["auto", "none", "required", {"type": "function", "function": {"name": "read"}}]
        ),
        "parallel_tool_calls": st.booleans(),
        "max_tokens": st.integers(1, 200_000),
        "max_completion_tokens": st.integers(1, 200_000),
        "temperature": st.floats(0, 2),
        "top_p": st.floats(0, 1),
        "top_k": st.integers(1, 100),
        "stop": st.one_of(WORDS, st.lists(WORDS, max_size=3)),
        "stream": st.booleans(),
        "reasoning_effort": st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh"]),
        "response_format": st.sampled_from(
            [{"type": "json_object"}, {"type": "json_schema", "json_schema": {"name": "a"}}]
        ),
        "user": WORDS,
        "seed": st.integers(),
        "n": st.just(1),
    },
)
REQUESTS = st.builds(
    lambda messages, options: {"model": "gpt", "messages": messages, **options},
    st.lists(message(), min_size=1, max_size=8),
    OPTIONS,
)


def check_anthropic_body(body: dict[str, Any]) -> None:
    messages = body["messages"]
    assert messages and messages[0]["role"] == "user"
    for index, item in enumerate(messages):
        assert item["role"] == ("user" if index % 2 == 0 else "assistant")
        assert item["content"], "no empty turns"
        for block in item["content"]:
            assert block["type"] != "text" or block["text"], "no empty text blocks"
    for index, item in enumerate(messages):
        uses = {b["id"] for b in item["content"] if b["type"] == "tool_use"}
        if item["role"] == "assistant":
            if not uses:
                continue
            answer = messages[index + 1]["content"]  # a user turn always follows tool calls
            assert uses <= {b["tool_use_id"] for b in answer if b["type"] == "tool_result"}
            continue
        results = [b for b in item["content"] if b["type"] == "tool_result"]
        previous = messages[index - 1]["content"] if index else []
        called = {b["id"] for b in previous if b["type"] == "tool_use"}
        assert {b["tool_use_id"] for b in results} <= called
        assert item["content"][: len(results)] == results, "tool results come first"
    assert isinstance(body["max_tokens"], int) and 0 < body["max_tokens"] <= 8000
    thinking = body.get("thinking", {})
    if thinking.get("type") == "enabled":
        assert 1024 <= thinking["budget_tokens"] < body["max_tokens"]
        assert "top_k" not in body and body.get("temperature", 1) == 1
    assert body.get("temperature", 0) <= 1
    marked = json.dumps(body).count('"cache_control"')
    assert marked <= 4


@SETTINGS
@given(REQUESTS, st.booleans())
def test_generated_requests_translate_to_valid_anthropic(
    chat: dict[str, Any], strict: bool
) -> None:
    try:
        request = decode_request(chat)
        body = encode_request(request, "claude", PROFILE, Decisions(strict=strict))
    except StrictModeError:
        assert strict
        return
    except DecodeError:
        return  # e.g. an unsupported image type in a data URL is refused by name
    check_anthropic_body(body)


CHAT_KEYS = st.sampled_from(
    ["messages", "model", "tools", "tool_choice", "max_tokens", "temperature", "stop",
     "reasoning_effort", "response_format", "stream", "user", "top_k", "parallel_tool_calls"]
)  # fmt: skip


@SETTINGS
@given(
    st.one_of(
        JSON,
        st.dictionaries(CHAT_KEYS, JSON, max_size=5),
        st.builds(
            lambda ms: {"messages": ms},
            st.lists(st.dictionaries(st.sampled_from(["role", "content", "tool_calls",
                                                      "tool_call_id"]), JSON), max_size=3),
        ),
    )
)  # fmt: skip
def test_garbage_is_a_decode_error(garbage: Any) -> None:
    try:
        request = decode_request(garbage)
    except DecodeError:
        return
    encode_request(request, "claude", PROFILE, Decisions())  # what decodes also encodes


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=4))
def test_stream_garbage_never_raises(data: bytes, cuts: list[int]) -> None:
    decoder = AnthropicStreamDecoder()
    encoder = ChatStreamEncoder("m", 0, include_usage=True)
    previous = 0
    for cut in sorted(c for c in cuts if c <= len(data)):
        for event in decoder.feed(data[previous:cut]):
            encoder.encode(event)
        previous = cut
    for event in [*decoder.feed(data[previous:]), *decoder.finish()]:
        encoder.encode(event)
    assert encoder.finished
