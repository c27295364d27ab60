"""Gemini SSE → neutral events → Anthropic and Responses SSE: scripted transcripts, split at
every byte, read back by the official anthropic SDK; garbage never raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_stream import AnthropicStreamEncoder
from cligate.protocols.codecs import ClientView
from cligate.protocols.gemini.decode_stream import GeminiStreamDecoder
from cligate.protocols.openai_responses.encode_stream import ResponsesStreamEncoder
from cligate.protocols.translate import StreamTranslator

Json = dict[str, Any]
VIEW = ClientView(model="gpt-5.5", created=1_700_000_000)


def chunk(*parts: Json, finish: str | None = None, usage: Json | None = None) -> bytes:
    candidate: Json = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    payload: Json = {"candidates": [candidate], "responseId": "r1", "modelVersion": "gemini-x"}
    if usage:
        payload["usageMetadata"] = usage
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\r\n\r\n"


def usage(prompt: int, out: int, cached: int = 0, thoughts: int = 0) -> Json:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": out,
        "cachedContentTokenCount": cached,
        "thoughtsTokenCount": thoughts,
        "totalTokenCount": prompt + out + thoughts,
    }


def call(name: str, args: Json, call_id: str | None = None, sig: str | None = None) -> Json:
    function: Json = {"name": name, "args": args}
    if call_id:
        function["id"] = call_id
    part: Json = {"functionCall": function}
    if sig:
        part["thoughtSignature"] = sig
    return part


TEXT = (
    chunk({"text": "Hel"})
    + chunk({"text": "lo é"})
    + chunk({"text": "!"}, finish="STOP", usage=usage(10, 3))
)
THOUGHTS_THEN_TEXT = (
    chunk({"text": "Thinking about ", "thought": True})
    + chunk({"text": "é.", "thought": True})
    + chunk({"text": "Answer: 42"}, finish="STOP", usage=usage(7, 2, thoughts=5))
)
TWO_CALLS_ONE_EVENT = chunk({"text": "Let me check."}) + chunk(
    call("Bash", {"command": "ls"}, "call_a", "c2lnMQ=="),
    call("Read", {"path": "notes/é.txt"}, "call_b"),
    finish="STOP",
    usage=usage(100, 20, cached=60),
)
TWO_CALLS_SEPARATE = (
    chunk(call("Bash", {"command": "pwd"}, sig="c2ln"))
    + chunk(call("Read", {"path": "a.txt"}))
    + chunk(finish="STOP")
    + b'data: {"candidates": [{"content": {"parts": []}}], '
    b'"usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 4}}\r\n\r\n'
)
SAFETY = chunk({"text": "I can"}) + chunk(finish="SAFETY", usage=usage(5, 2))
ERROR = (
    chunk({"text": "partial"})
    + b'data: {"error": {"code": 503, "message": "The model is overloaded.",'
    b' "status": "UNAVAILABLE"}}\r\n\r\n'
)
CUT = chunk({"text": "half an ans"}) + chunk({"text": "wer"})
MALFORMED = chunk({"text": "a"}) + b"data: {not json\r\n\r\n" + chunk({"text": "b"}, finish="STOP")

TRANSCRIPTS = {
    "text": TEXT,
    "thoughts-then-text": THOUGHTS_THEN_TEXT,
    "two-calls-one-event": TWO_CALLS_ONE_EVENT,
    "two-calls-separate": TWO_CALLS_SEPARATE,
    "safety": SAFETY,
    "error": ERROR,
    "cut": CUT,
    "malformed": MALFORMED,
}


def decode(data: bytes, cuts: list[int] | None = None) -> list[ir.StreamEvent]:
    decoder = GeminiStreamDecoder()
    events: list[ir.StreamEvent] = []
    previous = 0
    for cut in [*(cuts or []), len(data)]:
        events += decoder.feed(data[previous:cut])
        previous = cut
    return events + decoder.finish()


STARTED = ir.StreamStarted("r1", "gemini-x")


def test_text() -> None:
    assert decode(TEXT) == [
        STARTED,
        ir.TextDelta("Hel"),
        ir.TextDelta("lo é"),
        ir.TextDelta("!"),
        ir.StreamFinished(ir.StopReason.END, ir.Usage(10, 3)),
    ]


def test_thoughts_then_text() -> None:
    assert decode(THOUGHTS_THEN_TEXT) == [
        STARTED,
        ir.ThinkingDelta("Thinking about "),
        ir.ThinkingDelta("é."),
        ir.TextDelta("Answer: 42"),
        ir.StreamFinished(ir.StopReason.END, ir.Usage(7, 7, reasoning_tokens=5)),
    ]


def test_two_calls_in_one_event() -> None:
    assert decode(TWO_CALLS_ONE_EVENT) == [
        STARTED,
        ir.TextDelta("Let me check."),
        ir.ToolCallDelta(0, "call_a", "Bash", '{"command":"ls"}', signature="c2lnMQ=="),
        ir.ToolCallDelta(1, "call_b", "Read", '{"path":"notes/é.txt"}'),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(100, 20, cache_read_tokens=60)),
    ]


def test_two_calls_in_separate_events_and_usage_after_the_finish() -> None:
    events = decode(TWO_CALLS_SEPARATE)
    calls = [e for e in events if isinstance(e, ir.ToolCallDelta)]
    assert [(c.index, c.name, c.arguments, c.signature) for c in calls] == [
        (0, "Bash", '{"command":"pwd"}', "c2ln"),
        (1, "Read", '{"path":"a.txt"}', None),
    ]
    assert calls[0].id and calls[1].id and calls[0].id != calls[1].id
    assert events[-1] == ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(9, 4))


@pytest.mark.parametrize(
    ("name", "ending"),
    [
        ("safety", ir.StreamFinished(ir.StopReason.CONTENT_FILTER, ir.Usage(5, 2))),
        (
            "error",
            ir.StreamFailed(ir.ErrorInfo(503, "The model is overloaded.", "UNAVAILABLE")),
        ),
        (
            "cut",
            ir.StreamFailed(
                ir.ErrorInfo(
                    502,
                    "the provider's stream ended before the answer was complete",
                    unreadable=True,
                )
            ),
        ),
        (
            "malformed",
            ir.StreamFailed(
                ir.ErrorInfo(502, "malformed JSON in the stream: {not json", unreadable=True)
            ),
        ),
    ],
)
def test_endings(name: str, ending: ir.StreamEvent) -> None:
    events = decode(TRANSCRIPTS[name])
    assert events[-1] == ending
    assert sum(isinstance(e, ir.StreamFinished | ir.StreamFailed) for e in events) == 1


def test_blocked_prompt_and_failed_turns() -> None:
    blocked = b'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}\n\n'
    assert decode(blocked) == [
        ir.StreamStarted("", ""),
        ir.StreamFinished(ir.StopReason.CONTENT_FILTER, None),
    ]
    malformed_call = chunk(finish="MALFORMED_FUNCTION_CALL")
    assert decode(malformed_call)[1:] == [
        ir.TextDelta("[Gemini ended the turn with MALFORMED_FUNCTION_CALL]"),
        ir.StreamFinished(ir.StopReason.END, None),
    ]


def test_error_statuses() -> None:
    named = b'data: [{"error": {"message": "slow down", "status": "RESOURCE_EXHAUSTED"}}]\n\n'
    assert decode(named) == [ir.StreamFailed(ir.ErrorInfo(429, "slow down", "RESOURCE_EXHAUSTED"))]
    odd = b'data: {"error": "text"}\n\ndata: {"candidates": []}\n\n'
    assert decode(odd) == [ir.StreamFailed(ir.ErrorInfo(502, "text"))]


# --- through the client encoders, split anywhere -------------------------------------------


def translate(data: bytes, encoder: Any, cuts: list[int] | None = None) -> bytes:
    translator = StreamTranslator(GeminiStreamDecoder(), encoder, "gemini")
    out, previous = b"", 0
    for cut in [*(cuts or []), len(data)]:
        out += translator.feed(data[previous:cut])
        previous = cut
    out += translator.finish()
    assert translator.finished
    return out


def _anthropic() -> AnthropicStreamEncoder:
    return AnthropicStreamEncoder("claude-x")


def _responses() -> ResponsesStreamEncoder:
    return ResponsesStreamEncoder(VIEW)


ENCODERS: dict[str, Callable[[], AnthropicStreamEncoder | ResponsesStreamEncoder]] = {
    "anthropic": _anthropic,
    "responses": _responses,
}


@pytest.mark.parametrize("client", ENCODERS)
@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_gives_the_same_output(name: str, client: str) -> None:
    data = TRANSCRIPTS[name]
    whole = translate(data, ENCODERS[client]())
    for cut in range(len(data) + 1):
        assert translate(data, ENCODERS[client](), [cut]) == whole, f"split at byte {cut}"
    assert translate(data, ENCODERS[client](), list(range(1, len(data)))) == whole


def responses_events(out: bytes) -> list[Json]:
    return [
        json.loads(line[len(b"data: ") :])
        for line in out.split(b"\n")
        if line.startswith(b"data: ")
    ]


def test_responses_client_gets_calls_and_usage() -> None:
    events = responses_events(translate(TWO_CALLS_ONE_EVENT, ResponsesStreamEncoder(VIEW)))
    done = events[-1]
    assert done["type"] == "response.completed"
    calls = [i for i in done["response"]["output"] if i["type"] == "function_call"]
    assert [(c["call_id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("call_a", "Bash", {"command": "ls"}),
        ("call_b", "Read", {"path": "notes/é.txt"}),
    ]
    assert done["response"]["usage"]["input_tokens_details"]["cached_tokens"] == 60


def sdk_message(data: bytes) -> anthropic.types.Message:
    body = translate(data, AnthropicStreamEncoder("claude-x"))

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = anthropic.Anthropic(api_key="x", base_url="http://test", http_client=http)
    with client.messages.stream(
        model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


def test_anthropic_sdk_reads_text_and_two_calls() -> None:
    message = sdk_message(TWO_CALLS_ONE_EVENT)
    text, bash, read = message.content
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Let me check."
    assert isinstance(bash, anthropic.types.ToolUseBlock)
    assert isinstance(read, anthropic.types.ToolUseBlock)
    assert (bash.id, bash.name, bash.input) == ("call_a", "Bash", {"command": "ls"})
    assert (read.id, read.name, read.input) == ("call_b", "Read", {"path": "notes/é.txt"})
    assert message.stop_reason == "tool_use"
    assert message.usage.cache_read_input_tokens == 60
    assert message.usage.input_tokens == 40 and message.usage.output_tokens == 20


def test_anthropic_sdk_reads_thoughts_then_text() -> None:
    message = sdk_message(THOUGHTS_THEN_TEXT)
    thinking, text = message.content
    assert isinstance(thinking, anthropic.types.ThinkingBlock)
    assert thinking.thinking == "Thinking about é."
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Answer: 42"
    assert message.stop_reason == "end_turn"


def test_anthropic_sdk_reads_separate_calls_and_refusals() -> None:
    message = sdk_message(TWO_CALLS_SEPARATE)
    inputs = [b.input for b in message.content if isinstance(b, anthropic.types.ToolUseBlock)]
    assert inputs == [{"command": "pwd"}, {"path": "a.txt"}]
    assert sdk_message(SAFETY).stop_reason == "refusal"


def test_anthropic_sdk_raises_on_errors_and_cuts() -> None:
    for data, match in ((ERROR, "overloaded"), (CUT, "stream ended before"), (MALFORMED, "JSON")):
        with pytest.raises(anthropic.APIStatusError, match=match):
            sdk_message(data)


# --- garbage ------------------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
PART = st.fixed_dictionaries(
    {},
    optional={
        "text": JSON_VALUE,
        "thought": JSON_VALUE,
        "functionCall": st.fixed_dictionaries(
            {}, optional={"name": JSON_VALUE, "id": JSON_VALUE, "args": JSON_VALUE}
        ),
        "thoughtSignature": JSON_VALUE,
    },
)
RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "candidates": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "content": st.fixed_dictionaries(
                        {}, optional={"parts": st.lists(PART, max_size=3)}
                    ),
                    "finishReason": st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "X"])
                    | JSON_VALUE,
                },
            ),
            max_size=2,
        ),
        "usageMetadata": JSON_VALUE,
        "promptFeedback": JSON_VALUE,
        "error": JSON_VALUE,
        "responseId": JSON_VALUE,
    },
)


def _sse(value: Any) -> bytes:
    return b"data: " + json.dumps(value).encode() + b"\n\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=st.lists(
        st.one_of(st.binary(max_size=40), RESPONSE.map(_sse), JSON_VALUE.map(_sse)), max_size=8
    ),
    cut=st.integers(0, 40),
)
def test_garbage_never_raises(chunks: list[bytes], cut: int) -> None:
    data = b"".join(chunks)
    events = decode(data, [min(cut, len(data))])
    endings = [e for e in events if isinstance(e, ir.StreamFinished | ir.StreamFailed)]
    assert len(endings) == 1 and events[-1] is endings[0]
    calls = [e for e in events if isinstance(e, ir.ToolCallDelta)]
    assert [c.index for c in calls] == list(range(len(calls)))
    for encoder in (AnthropicStreamEncoder("claude-x"), ResponsesStreamEncoder(VIEW)):
        translator = StreamTranslator(GeminiStreamDecoder(), encoder, "gemini")
        translator.feed(data)
        translator.finish()
        assert translator.finished
