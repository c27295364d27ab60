"""Anthropic SSE → neutral events → Chat Completions chunks, split at every byte, and read by
the official openai SDK offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
from cligate.protocols.openai_chat.encode_stream import ChatStreamEncoder

CREATED = 1_700_000_000


def sse(*events: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
        for name, data in events
    )


def start(usage: dict[str, int] | None = None) -> tuple[str, dict[str, Any]]:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "usage": usage or {"input_tokens": 12, "output_tokens": 1},
    }
    return "message_start", {"type": "message_start", "message": message}


def block(index: int, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_start", {
        "type": "content_block_start",
        "index": index,
        "content_block": content,
    }


def delta(index: int, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": content}


def stop_block(index: int) -> tuple[str, dict[str, Any]]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


def message_delta(reason: str, output: int, **usage: int) -> tuple[str, dict[str, Any]]:
    return "message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": None},
        "usage": {"output_tokens": output, **usage},
    }


STOP = ("message_stop", {"type": "message_stop"})
PING = ("ping", {"type": "ping"})

TEXT = sse(
    start(),
    block(0, {"type": "text", "text": ""}),
    PING,
    delta(0, {"type": "text_delta", "text": "Héllo"}),
    delta(0, {"type": "text_delta", "text": " wörld ☃ 𝄞"}),
    stop_block(0),
    message_delta("end_turn", 7),
    STOP,
)
THINKING = sse(
    start(),
    block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Let me think… "}),
    delta(0, {"type": "thinking_delta", "thinking": "ok."}),
    delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}),
    stop_block(0),
    block(1, {"type": "redacted_thinking", "data": "EmwKAhgB"}),
    stop_block(1),
    block(2, {"type": "text", "text": "Answer: 4"}),
    stop_block(2),
    message_delta("end_turn", 20),
    STOP,
)
TOOLS = sse(
    start(),
    block(0, {"type": "text", "text": ""}),
    delta(0, {"type": "text_delta", "text": "Reading both."}),
    stop_block(0),
    block(1, {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {}}),
    delta(1, {"type": "input_json_delta", "partial_json": ""}),
    delta(1, {"type": "input_json_delta", "partial_json": '{"path": "a'}),
    delta(1, {"type": "input_json_delta", "partial_json": '.py"}'}),
    stop_block(1),
    block(2, {"type": "tool_use", "id": "toolu_B", "name": "read_file", "input": {}}),
    delta(2, {"type": "input_json_delta", "partial_json": '{"path": "ü.py"}'}),
    stop_block(2),
    message_delta("tool_use", 40),
    STOP,
)
CACHE_USAGE = sse(
    start({"input_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 20,
           "output_tokens": 1}),
    block(0, {"type": "text", "text": "cached"}),
    stop_block(0),
    message_delta("max_tokens", 30, input_tokens=5),
    STOP,
)  # fmt: skip
ERROR = sse(
    start(),
    block(0, {"type": "text", "text": ""}),
    delta(0, {"type": "text_delta", "text": "partial"}),
    ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    delta(0, {"type": "text_delta", "text": "never seen"}),
)
NO_STOP = sse(
    start(),
    block(0, {"type": "text", "text": "done"}),
    stop_block(0),
    message_delta("end_turn", 3),
)
CUT = sse(
    start(), block(0, {"type": "text", "text": ""}), delta(0, {"type": "text_delta", "text": "cu"})
)
SERVER_TOOL = sse(
    start(),
    block(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
    delta(0, {"type": "input_json_delta", "partial_json": '{"query": "x"}'}),
    stop_block(0),
    block(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
    stop_block(1),
    block(2, {"type": "tool_use", "id": "toolu_C", "name": "lookup", "input": {"q": "é"}}),
    stop_block(2),
    message_delta("tool_use", 9),
    STOP,
)  # fmt: skip
MALFORMED = sse(start()) + b'event: content_block_delta\ndata: {"type": "content_bl\n\n'

TRANSCRIPTS = {
    "text": TEXT,
    "thinking": THINKING,
    "tools": TOOLS,
    "cache-usage": CACHE_USAGE,
    "error": ERROR,
    "no-message-stop": NO_STOP,
    "cut": CUT,
    "server-tool": SERVER_TOOL,
    "malformed": MALFORMED,
}


def run(transcript: bytes, cuts: list[int], include_usage: bool = True) -> bytes:
    decoder = AnthropicStreamDecoder()
    encoder = ChatStreamEncoder("gpt-4.1", CREATED, include_usage)
    out = b""
    previous = 0
    for cut in [*cuts, len(transcript)]:
        out += b"".join(encoder.encode(e) for e in decoder.feed(transcript[previous:cut]))
        previous = cut
    return out + b"".join(encoder.encode(e) for e in decoder.finish())


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_gives_the_same_output(name: str) -> None:
    transcript = TRANSCRIPTS[name]
    whole = run(transcript, [])
    for cut in range(len(transcript) + 1):
        assert run(transcript, [cut]) == whole, f"split at byte {cut}"
    assert run(transcript, list(range(1, len(transcript)))) == whole  # one byte at a time


def chunks(output: bytes) -> list[Any]:
    lines = [line for line in output.split(b"\n\n") if line]
    assert all(line.startswith(b"data: ") for line in lines)
    return [
        line[6:].decode() if line == b"data: [DONE]" else json.loads(line[6:]) for line in lines
    ]


def deltas(output: bytes) -> list[Any]:
    return [
        c["choices"][0]["delta"] if c != "[DONE]" and c["choices"] else c for c in chunks(output)
    ]


def test_text_chunks() -> None:
    parsed = chunks(run(TEXT, []))
    assert parsed[0] == {
        "id": "chatcmpl-msg_01",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4.1",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
             "finish_reason": None}
        ],
    }  # fmt: skip
    assert [c["choices"][0]["delta"] for c in parsed[1:3]] == [
        {"content": "Héllo"},
        {"content": " wörld ☃ 𝄞"},
    ]
    assert parsed[3]["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    assert parsed[4]["choices"] == []
    assert parsed[4]["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 7,
        "total_tokens": 19,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    assert parsed[5] == "[DONE]"
    assert {(c["id"], c["created"], c["model"]) for c in parsed[:5]} == {
        ("chatcmpl-msg_01", CREATED, "gpt-4.1")
    }


def test_thinking_goes_to_reasoning_content_and_signatures_vanish() -> None:
    assert deltas(run(THINKING, [], include_usage=False)) == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "Let me think… "},
        {"reasoning_content": "ok."},
        {"content": "Answer: 4"},
        {},
        "[DONE]",
    ]


def test_tool_calls_are_numbered_and_streamed() -> None:
    assert deltas(run(TOOLS, [], include_usage=False))[1:] == [
        {"content": "Reading both."},
        {"tool_calls": [{"index": 0, "id": "toolu_A", "type": "function",
                         "function": {"name": "read_file", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"path": "a'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '.py"}'}}]},
        {"tool_calls": [{"index": 1, "id": "toolu_B", "type": "function",
                         "function": {"name": "read_file", "arguments": ""}}]},
        {"tool_calls": [{"index": 1, "function": {"arguments": '{"path": "ü.py"}'}}]},
        {},
        "[DONE]",
    ]  # fmt: skip
    assert chunks(run(TOOLS, []))[-3]["choices"][0]["finish_reason"] == "tool_calls"


def test_server_tools_are_skipped_and_start_input_is_kept() -> None:
    assert deltas(run(SERVER_TOOL, [], include_usage=False))[1:] == [
        {"tool_calls": [{"index": 0, "id": "toolu_C", "type": "function",
                         "function": {"name": "lookup", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"q":"é"}'}}]},
        {},
        "[DONE]",
    ]  # fmt: skip


def test_cache_usage_is_merged() -> None:
    parsed = chunks(run(CACHE_USAGE, []))
    assert parsed[-3]["choices"][0]["finish_reason"] == "length"
    assert parsed[-2]["usage"] == {
        "prompt_tokens": 125,
        "completion_tokens": 30,
        "total_tokens": 155,
        "prompt_tokens_details": {"cached_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def test_error_mid_stream_ends_it() -> None:
    parsed = chunks(run(ERROR, []))
    assert parsed[1]["choices"][0]["delta"] == {"content": "partial"}
    assert parsed[2] == {
        "error": {
            "message": "Overloaded",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        }
    }
    assert len(parsed) == 3


def test_decoder_error_statuses() -> None:
    for kind, status in [
        ("overloaded_error", 529),
        ("rate_limit_error", 429),
        ("api_error", 500),
        ("invalid_request_error", 400),
        ("something_new", 500),
    ]:
        events = AnthropicStreamDecoder().feed(
            sse(("error", {"type": "error", "error": {"type": kind, "message": "m"}}))
        )
        assert events == [ir.StreamFailed(ir.ErrorInfo(status, "m", kind))]


def test_stream_without_message_stop() -> None:
    # the stop reason came: only the closing event was lost
    assert deltas(run(NO_STOP, [], include_usage=False))[-2:] == [{}, "[DONE]"]
    # cut in the middle: a failure, never a clean finish
    parsed = chunks(run(CUT, []))
    assert parsed[-1]["error"]["code"] == "server_error"
    assert "ended before the answer was complete" in parsed[-1]["error"]["message"]


def test_malformed_json_fails_without_raising() -> None:
    events = AnthropicStreamDecoder().feed(MALFORMED)
    assert isinstance(events[-1], ir.StreamFailed)
    assert events[-1].error.status == 502
    decoder = AnthropicStreamDecoder()
    assert decoder.feed(b"data: [1, 2]\n\n")[0].__class__ is ir.StreamFailed
    assert decoder.finish() == []


def test_encoder_odds_and_ends() -> None:
    encoder = ChatStreamEncoder("m", CREATED, include_usage=False, completion_id="chatcmpl-x")
    assert encoder.keepalive() == b": keep-alive\n\n"
    assert encoder.encode(ir.ThinkingSignature("s")) == b""
    assert encoder.encode(ir.RedactedThinking("d")) == b""
    first = encoder.encode(ir.TextDelta("a"))  # no StreamStarted: the role chunk comes first
    assert [c["choices"][0]["delta"] for c in chunks(first)] == [
        {"role": "assistant", "content": ""},
        {"content": "a"},
    ]
    assert chunks(first)[0]["id"] == "chatcmpl-x"
    # stop_reason tool_use with no call written is an ordinary stop (pitfall 12)
    end = encoder.encode(ir.StreamFinished(ir.StopReason.TOOL_USE))
    assert chunks(end)[0]["choices"][0]["finish_reason"] == "stop"
    assert encoder.finished
    assert encoder.encode(ir.TextDelta("late")) == b""
    assert encoder.fail(ir.ErrorInfo(500, "x")) == b""
    assert encoder.keepalive() == b""


# --- the official SDK reads the result -----------------------------------------------------


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> openai.OpenAI:
    transport = httpx.MockTransport(handler)
    return openai.OpenAI(
        api_key="x", base_url="http://test/v1", http_client=httpx.Client(transport=transport)
    )


def streamed(body: bytes) -> openai.OpenAI:
    return client_for(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body
        )
    )


def final(transcript: bytes, snapshot: bool = False) -> Any:
    client = streamed(run(transcript, []))
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    stream = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        state.handle_chunk(chunk)
    # get_final_completion refuses a "length" finish by design; the snapshot still has it all
    return state.current_completion_snapshot if snapshot else state.get_final_completion()


def test_sdk_reads_text() -> None:
    completion = final(TEXT)
    assert completion.id == "chatcmpl-msg_01"
    assert completion.choices[0].message.content == "Héllo wörld ☃ 𝄞"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 7)


def test_sdk_reads_tool_calls() -> None:
    completion = final(TOOLS)
    message = completion.choices[0].message
    assert message.content == "Reading both."
    assert [
        (c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls
    ] == [
        ("toolu_A", "read_file", {"path": "a.py"}),
        ("toolu_B", "read_file", {"path": "ü.py"}),
    ]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage is not None and completion.usage.total_tokens == 52


def test_sdk_reads_thinking_and_cache_usage() -> None:
    completion = final(THINKING)
    assert completion.choices[0].message.content == "Answer: 4"
    assert getattr(completion.choices[0].message, "reasoning_content", None) == "Let me think… ok."
    truncated = final(CACHE_USAGE, snapshot=True)
    assert truncated.choices[0].finish_reason == "length"
    usage = truncated.usage
    assert usage is not None and usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 100


def test_sdk_stream_helper() -> None:
    client = streamed(run(TOOLS, []))
    with client.chat.completions.stream(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "hi"}],
        stream_options={"include_usage": True},
    ) as stream:
        completion = stream.get_final_completion()
    assert [
        c.function.parsed_arguments for c in completion.choices[0].message.tool_calls or []
    ] == [
        None,
        None,
    ]  # not strict tools: the SDK leaves parsing to the caller
    assert completion.choices[0].message.tool_calls is not None
    assert json.loads(completion.choices[0].message.tool_calls[1].function.arguments) == {
        "path": "ü.py"
    }


def test_sdk_raises_on_stream_error() -> None:
    client = streamed(run(ERROR, []))
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError, match="Overloaded"):
        for _ in stream:
            pass
