"""Chat Completions SSE → Anthropic SSE: scripted transcripts, split at every byte, read back
by the official anthropic SDK."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_stream import AnthropicStreamEncoder
from cligate.protocols.openai_chat.decode_response import made_up_call_id
from cligate.protocols.openai_chat.decode_stream import ChatStreamDecoder
from cligate.protocols.sse import SseParser


def data(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
) -> bytes:
    payload: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-x",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }
    if usage is not None:
        payload["usage"] = usage
    return data(payload)


def usage_chunk(prompt: int, completion: int, cached: int = 0) -> bytes:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    return data({"id": "chatcmpl-1", "model": "gpt-x", "choices": [], "usage": usage})


def tool(index: int | None, arguments: str, call_id: str | None = None, name: str | None = None):
    call: dict[str, Any] = {"function": {"arguments": arguments}}
    if index is not None:
        call["index"] = index
    if call_id is not None:
        call["id"], call["type"] = call_id, "function"
    if name is not None:
        call["function"]["name"] = name
    return chunk({"tool_calls": [call]})


DONE = b"data: [DONE]\n\n"

TEXT_ONLY = b"".join(
    [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Héllo, "}),
        chunk({"content": "wörld 😀"}),
        chunk(finish="stop"),
        usage_chunk(12, 5),
        DONE,
    ]
)
REASONING_THEN_TEXT = b"".join(
    [
        chunk({"role": "assistant", "reasoning_content": "Let me think"}),
        chunk({"reasoning_content": " about é."}),
        chunk({"content": "Answer: 42"}),
        chunk(finish="stop", usage={"prompt_tokens": 7, "completion_tokens": 9}),
        DONE,
    ]
)
TEXT_THEN_TWO_TOOLS = b"".join(
    [
        chunk({"role": "assistant", "content": "Let me check."}),
        tool(0, "", "call_a", "Bash"),
        tool(0, '{"comm'),
        tool(0, 'and": "ls"}'),
        tool(1, '{"path"', "call_b", "Read"),
        tool(1, ': "notes/é.txt"}'),
        chunk(finish="tool_calls"),
        usage_chunk(100, 20, cached=60),
        DONE,
    ]
)
INTERLEAVED_TOOLS = b"".join(
    [
        tool(0, "", "call_a", "Bash"),
        tool(1, "", "call_b", "Read"),
        tool(0, '{"command":'),
        tool(1, '{"path":'),
        tool(0, ' "pwd"}'),
        tool(1, ' "a.txt"}'),
        chunk(finish="stop"),  # a server that says "stop" next to tool calls
        DONE,
    ]
)
USAGE_TRAILING = b"".join(
    [
        chunk({"content": "cut"}),
        chunk(finish="length"),
        usage_chunk(30, 1),
        DONE,
    ]
)
FINISH_WITHOUT_DONE = b"".join([chunk({"content": "ok"}), chunk(finish="stop")])
ERROR_MID_STREAM = b"".join(
    [
        chunk({"content": "partial"}),
        data({"error": {"message": "upstream overloaded", "type": "server_error", "code": 529}}),
        chunk({"content": "never"}),
    ]
)
MALFORMED = chunk({"content": "a"}) + b"data: {not json\n\n" + chunk({"content": "b"})
CUT_OFF = chunk({"content": "half an ans"})

TRANSCRIPTS = {
    "text_only": TEXT_ONLY,
    "reasoning_then_text": REASONING_THEN_TEXT,
    "text_then_two_tools": TEXT_THEN_TWO_TOOLS,
    "interleaved_tools": INTERLEAVED_TOOLS,
    "usage_trailing": USAGE_TRAILING,
    "finish_without_done": FINISH_WITHOUT_DONE,
    "error_mid_stream": ERROR_MID_STREAM,
    "malformed": MALFORMED,
    "cut_off": CUT_OFF,
}


def translate(pieces: list[bytes]) -> bytes:
    decoder = ChatStreamDecoder()
    encoder = AnthropicStreamEncoder("claude-x", "msg_1")
    out = []
    for piece in pieces:
        out.extend(encoder.encode(event) for event in decoder.feed(piece))
    out.extend(encoder.encode(event) for event in decoder.finish())
    return b"".join(out)


def events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    parser = SseParser()
    parsed = parser.feed(raw) + parser.finish()
    return [(e.event, json.loads(e.data)) for e in parsed]


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_gives_the_same_output(name: str) -> None:
    transcript = TRANSCRIPTS[name]
    whole = translate([transcript])
    for at in range(len(transcript) + 1):
        assert translate([transcript[:at], transcript[at:]]) == whole, f"split at {at}"
    assert translate([transcript[i : i + 1] for i in range(len(transcript))]) == whole


def test_text_only_events() -> None:
    got = events(translate([TEXT_ONLY]))
    assert [kind for kind, _ in got] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = got[0][1]["message"]
    assert start["id"] == "msg_1" and start["model"] == "claude-x" and start["content"] == []
    assert got[1][1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    assert got[3][1]["delta"] == {"type": "text_delta", "text": "wörld 😀"}
    assert got[5][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {
            "input_tokens": 12,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 5,
        },
    }


def test_two_tools_events_exact() -> None:
    got = events(translate([TEXT_THEN_TWO_TOOLS]))
    assert [payload for _, payload in got][1:] == [
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "Let me check."},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "call_a", "name": "Bash", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"comm'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": 'and": "ls"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "call_b", "name": "Read", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"path": "notes/é.txt"}'},
        },
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {
                "input_tokens": 40,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 60,
                "output_tokens": 20,
            },
        },
        {"type": "message_stop"},
    ]


def test_interleaved_tools_are_not_merged() -> None:
    got = events(translate([INTERLEAVED_TOOLS]))
    blocks: dict[int, str] = {}
    for _, payload in got:
        if payload["type"] == "content_block_delta":
            blocks[payload["index"]] = (
                blocks.get(payload["index"], "") + payload["delta"]["partial_json"]
            )
    assert blocks == {0: '{"command": "pwd"}', 1: '{"path": "a.txt"}'}
    assert got[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_error_mid_stream_ends_with_an_error_event() -> None:
    got = events(translate([ERROR_MID_STREAM]))
    assert got[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "upstream overloaded"}},
    )
    assert not any(p.get("delta", {}).get("text") == "never" for _, p in got)


@pytest.mark.parametrize(
    ("name", "needle"),
    [("malformed", "malformed JSON in the stream"), ("cut_off", "ended before the answer")],
)
def test_broken_streams_fail_cleanly(name: str, needle: str) -> None:
    got = events(translate([TRANSCRIPTS[name]]))
    kind, payload = got[-1]
    assert kind == "error" and needle in payload["error"]["message"]
    assert payload["error"]["type"] == "api_error"


def test_finish_without_done_still_finishes() -> None:
    got = events(translate([FINISH_WITHOUT_DONE]))
    assert [k for k, _ in got][-2:] == ["message_delta", "message_stop"]
    assert got[-2][1]["usage"] == {"output_tokens": 0}


# --- the encoder on its own ---------------------------------------------------------------


def test_encoder_lazy_start_empty_answer_and_nothing_after_stop() -> None:
    encoder = AnthropicStreamEncoder("claude-x")
    raw = encoder.encode(ir.StreamFinished(ir.StopReason.TOOL_USE))
    got = events(raw)
    assert [k for k, _ in got] == [
        "message_start",
        "content_block_start",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert got[0][1]["message"]["id"] == "msg_cligate"
    assert got[3][1]["delta"]["stop_reason"] == "end_turn"  # no tool_use block: never tool_use
    assert encoder.finished
    assert encoder.encode(ir.TextDelta("late")) == b""
    assert encoder.fail(ir.ErrorInfo(500, "x")) == b""
    assert encoder.keepalive() == b""


def test_encoder_blocks_switch_kinds_and_thinking_shape() -> None:
    encoder = AnthropicStreamEncoder("claude-x", "abc")
    raw = b"".join(
        encoder.encode(e)
        for e in [
            ir.StreamStarted("up", "m", ir.Usage(input_tokens=50, cache_read_tokens=20)),
            ir.ThinkingDelta("hm"),
            ir.ThinkingSignature("sig"),
            ir.RedactedThinking("opaque"),
            ir.TextDelta("hi"),
            ir.ToolCallDelta(0, name="Bash", arguments='{"a":1}'),  # no id yet: waits
            ir.ToolCallDelta(0, id="tc_1"),
            ir.StreamFinished(ir.StopReason.END, ir.Usage(50, 3, cache_read_tokens=20)),
        ]
    )
    got = [p for _, p in events(raw)]
    assert got[0]["message"]["id"] == "msg_abc"
    assert got[0]["message"]["usage"]["input_tokens"] == 30
    assert got[0]["message"]["usage"]["cache_read_input_tokens"] == 20
    assert got[1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert got[3]["delta"] == {"type": "signature_delta", "signature": "sig"}
    assert got[5]["content_block"] == {"type": "redacted_thinking", "data": "opaque"}
    kinds = [(p["type"], p.get("index")) for p in got]
    assert kinds == [
        ("message_start", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_stop", 1),
        ("content_block_start", 2),
        ("content_block_delta", 2),
        ("content_block_stop", 2),
        ("content_block_start", 3),
        ("content_block_delta", 3),
        ("content_block_stop", 3),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert got[10]["content_block"]["id"] == "tc_1"
    assert got[-2]["delta"]["stop_reason"] == "tool_use"


def test_encoder_keepalive_is_a_ping() -> None:
    assert AnthropicStreamEncoder("m").keepalive() == b'event: ping\ndata: {"type":"ping"}\n\n'


def test_decoder_without_index_tells_calls_apart_by_id() -> None:
    decoder = ChatStreamDecoder()
    got = decoder.feed(
        tool(None, '{"a":', "x1", "A") + tool(None, "1}") + tool(None, "{}", "x2", "B") + DONE
    )
    calls = [e for e in got if isinstance(e, ir.ToolCallDelta)]
    assert calls == [
        ir.ToolCallDelta(0, "x1", "A", '{"a":'),
        ir.ToolCallDelta(0, None, None, "1}"),
        ir.ToolCallDelta(1, "x2", "B", "{}"),
    ]
    assert got[-1] == ir.StreamFinished(ir.StopReason.TOOL_USE, None)


def test_decoder_gives_missing_ids_and_reasoning_alias() -> None:
    decoder = ChatStreamDecoder()
    got = decoder.feed(
        chunk({"reasoning": "r"}) + tool(3, "{}", None, "T") + chunk(finish="tool_calls") + DONE
    )
    assert got[1] == ir.ThinkingDelta("r")
    assert got[2] == ir.ToolCallDelta(0, made_up_call_id("chatcmpl-1", 0), "T", "{}")


def test_made_up_call_ids_are_unique_across_answers_and_stable_for_one() -> None:
    assert made_up_call_id("chatcmpl-1", 0) == made_up_call_id("chatcmpl-1", 0)
    ids = {made_up_call_id(answer, n) for answer in ("chatcmpl-1", "chatcmpl-2") for n in (0, 1)}
    assert len(ids) == 4 and all(i.startswith("call_") and len(i) <= 40 for i in ids)
    # An answer without an id of its own still gets ids no other answer has.
    assert made_up_call_id("", 0) != made_up_call_id("", 0)


# --- the official SDK reads what the encoder writes ---------------------------------------


def sdk_client(body: bytes, content_type: str) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": content_type}, content=body)

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return anthropic.Anthropic(api_key="x", base_url="http://test", http_client=http)


def final_message(transcript: bytes) -> anthropic.types.Message:
    client = sdk_client(translate([transcript]), "text/event-stream")
    with client.messages.stream(
        model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


def test_sdk_reads_text_and_two_tool_calls() -> None:
    message = final_message(TEXT_THEN_TWO_TOOLS)
    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use"]
    text, bash, read = message.content
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Let me check."
    assert isinstance(bash, anthropic.types.ToolUseBlock)
    assert isinstance(read, anthropic.types.ToolUseBlock)
    assert (bash.id, bash.name, bash.input) == ("call_a", "Bash", {"command": "ls"})
    assert (read.id, read.name, read.input) == ("call_b", "Read", {"path": "notes/é.txt"})
    assert message.stop_reason == "tool_use"
    assert message.usage.input_tokens == 40
    assert message.usage.cache_read_input_tokens == 60
    assert message.usage.output_tokens == 20


def test_sdk_reads_interleaved_tools() -> None:
    message = final_message(INTERLEAVED_TOOLS)
    inputs = [b.input for b in message.content if isinstance(b, anthropic.types.ToolUseBlock)]
    assert inputs == [{"command": "pwd"}, {"path": "a.txt"}]


def test_sdk_reads_thinking_then_text() -> None:
    message = final_message(REASONING_THEN_TEXT)
    thinking, text = message.content
    assert isinstance(thinking, anthropic.types.ThinkingBlock)
    assert thinking.thinking == "Let me think about é." and thinking.signature == ""
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Answer: 42"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (7, 9)


def test_sdk_reads_max_tokens_and_text() -> None:
    message = final_message(USAGE_TRAILING)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 1


def test_sdk_raises_on_stream_error() -> None:
    with pytest.raises(anthropic.APIStatusError, match="upstream overloaded"):
        final_message(ERROR_MID_STREAM)


def test_decoder_new_id_and_name_under_a_reused_index_is_a_new_call() -> None:
    # Some compatible servers number every call 0; a fresh id with a name starts a new one.
    decoder = ChatStreamDecoder()
    got = decoder.feed(tool(0, "{}", "a", "A") + tool(0, "{}", "a") + tool(0, "{}", "b", "B"))
    assert [e for e in got if isinstance(e, ir.ToolCallDelta)] == [
        ir.ToolCallDelta(0, "a", "A", "{}"),
        ir.ToolCallDelta(0, None, None, "{}"),
        ir.ToolCallDelta(1, "b", "B", "{}"),
    ]


def test_text_between_a_calls_fragments_loses_nothing() -> None:
    """Text in the middle of a call's arguments is written after the calls, whole."""
    transcript = b"".join(
        [
            chunk({"role": "assistant", "content": ""}),
            tool(0, '{"comm', "call_a", "Bash"),
            chunk({"content": "Running it. "}),
            tool(0, 'and": "ls"}'),
            chunk({"content": "Done."}),
            chunk(finish="tool_calls"),
            DONE,
        ]
    )
    message = final_message(transcript)
    assert [b.type for b in message.content] == ["tool_use", "text"]
    call, text = message.content
    assert isinstance(call, anthropic.types.ToolUseBlock) and call.input == {"command": "ls"}
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Running it. Done."
    assert message.stop_reason == "tool_use"
