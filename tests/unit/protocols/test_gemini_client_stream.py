"""Chat Completions, Anthropic and Responses SSE → neutral events → a Gemini stream for Gemini
CLI: split at every byte, checked event by event, and read by the official google-genai SDK
offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
from cligate.protocols.codecs import ClientView, StreamDecoder, codec_for
from cligate.protocols.gemini.encode_stream import KEEPALIVE, GeminiStreamEncoder
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.decode_stream import ChatStreamDecoder
from cligate.protocols.openai_responses.decode_stream import ResponsesStreamDecoder
from cligate.protocols.translate import StreamTranslator
from tests.unit.protocols import test_responses_upstream_stream as responses_sse
from tests.unit.protocols.test_responses_client_stream import (
    ANTHROPIC_TEXT,
    ANTHROPIC_THINKING,
    ANTHROPIC_TOOL,
    CHAT_CUT,
    CHAT_EMPTY,
    CHAT_ERROR,
    CHAT_LENGTH,
    CHAT_PARALLEL,
    CHAT_REASONING,
    CHAT_TEXT,
    PATCH,
)

VIEW = ClientView(model="gemini-2.5-pro", created=1, input_tokens_estimate=77)

TRANSCRIPTS: dict[str, tuple[Callable[[], StreamDecoder], bytes]] = {
    "chat-text": (ChatStreamDecoder, CHAT_TEXT),
    "chat-reasoning": (ChatStreamDecoder, CHAT_REASONING),
    "chat-parallel": (ChatStreamDecoder, CHAT_PARALLEL),
    "chat-length": (ChatStreamDecoder, CHAT_LENGTH),
    "chat-cut": (ChatStreamDecoder, CHAT_CUT),
    "chat-error": (ChatStreamDecoder, CHAT_ERROR),
    "chat-empty": (ChatStreamDecoder, CHAT_EMPTY),
    "anthropic-text": (AnthropicStreamDecoder, ANTHROPIC_TEXT),
    "anthropic-thinking": (AnthropicStreamDecoder, ANTHROPIC_THINKING),
    "anthropic-tool": (AnthropicStreamDecoder, ANTHROPIC_TOOL),
    "responses-text": (ResponsesStreamDecoder, responses_sse.TEXT),
    "responses-reasoning": (ResponsesStreamDecoder, responses_sse.REASONING_THEN_TEXT),
    "responses-tools": (ResponsesStreamDecoder, responses_sse.TEXT_THEN_TWO_TOOLS),
    "responses-failed": (ResponsesStreamDecoder, responses_sse.FAILED),
}


def run(name: str, cuts: list[int] | None = None) -> bytes:
    decoder, transcript = TRANSCRIPTS[name]
    translator = StreamTranslator(decoder(), GeminiStreamEncoder(VIEW), "p")
    out, previous = b"", 0
    for cut in [*(cuts or []), len(transcript)]:
        out += translator.feed(transcript[previous:cut])
        previous = cut
    out += translator.finish()
    assert translator.finished
    return out


# Every transcript but the longest (its decoder's own tests split it at every byte).
@pytest.mark.parametrize("name", [name for name in TRANSCRIPTS if name != "responses-reasoning"])
def test_every_split_gives_the_same_output(name: str) -> None:
    transcript = TRANSCRIPTS[name][1]
    whole = run(name)
    for cut in range(len(transcript) + 1):
        assert run(name, [cut]) == whole, f"split at byte {cut}"
    assert run(name, list(range(1, len(transcript)))) == whole  # one byte at a time


def events(output: bytes) -> list[dict[str, Any]]:
    """Each event's JSON; every event is one compact ``data:`` line and nothing else."""
    assert output.endswith(b"\n\n")
    parsed = []
    for raw in output[:-2].split(b"\n\n"):
        assert raw.startswith(b"data: ") and b"\n" not in raw
        parsed.append(json.loads(raw[6:]))
    return parsed


def parts(event: dict[str, Any]) -> list[dict[str, Any]]:
    (candidate,) = event["candidates"]
    assert candidate["index"] == 0 and candidate["content"]["role"] == "model"
    return candidate["content"]["parts"]  # type: ignore[no-any-return]


def finish(event: dict[str, Any]) -> str | None:
    return event["candidates"][0].get("finishReason")  # type: ignore[no-any-return]


def test_text_events() -> None:
    out = events(run("chat-text"))
    assert [parts(e) for e in out] == [[{"text": "Héllo"}], [{"text": " wörld 𝄞"}], [{"text": ""}]]
    assert [finish(e) for e in out] == [None, None, "STOP"]
    assert all(
        e["modelVersion"] == "gemini-2.5-pro" and e["responseId"] == "chatcmpl-7" for e in out
    )
    assert "usageMetadata" not in out[0]
    # No usage from the provider: the prompt's estimate, so the CLI can judge its context.
    assert out[-1]["usageMetadata"] == {"promptTokenCount": 77, "candidatesTokenCount": 0, "totalTokenCount": 77}  # fmt: skip


def test_reasoning_then_text_with_usage() -> None:
    out = events(run("chat-reasoning"))
    assert [parts(e) for e in out] == [
        [{"text": "Think", "thought": True}],
        [{"text": "ing…", "thought": True}],
        [{"text": "Answer"}],
        [{"text": ""}],
    ]
    assert out[-1]["usageMetadata"] == {
        "promptTokenCount": 120,
        "candidatesTokenCount": 18,
        "totalTokenCount": 150,
        "cachedContentTokenCount": 100,
        "thoughtsTokenCount": 12,
    }


def test_parallel_calls_come_whole_in_index_order() -> None:
    out = events(run("chat-parallel"))
    assert [parts(e) for e in out] == [
        [{"text": "Both."}],
        [
            {"functionCall": {"id": "call_A", "name": "exec_command", "args": {"cmd": "ls a"}}},
            {"functionCall": {"id": "call_B", "name": "exec_command", "args": {"cmd": "ls b"}}},
        ],
        [{"text": "After."}],
        [{"text": ""}],
    ]
    assert finish(out[-1]) == "STOP"


def test_anthropic_tool_calls_arrive_with_the_finish() -> None:
    out = events(run("anthropic-tool"))
    assert len(out) == 1
    assert parts(out[0]) == [
        {"functionCall": {"id": "toolu_A", "name": "exec_command", "args": {"cmd": "echo hi"}}},
        {"functionCall": {"id": "toolu_P", "name": "apply_patch", "args": {"input": PATCH}}},
    ]
    assert finish(out[0]) == "STOP"
    assert out[0]["responseId"] == "msg_01"
    assert out[0]["usageMetadata"]["promptTokenCount"] == 12


def test_anthropic_thinking_carries_its_signature() -> None:
    out = events(run("anthropic-thinking"))
    assert [parts(e) for e in out] == [
        [{"text": "Let me think.", "thought": True}],
        [{"text": "", "thought": True, "thoughtSignature": "EqQBCgIYAhIM"}],
        [{"text": "4"}],  # the redacted thinking has no Gemini form
        [{"text": ""}],
    ]


def test_responses_streams() -> None:
    text = events(run("responses-text"))
    assert "".join(p.get("text", "") for e in text for p in parts(e)) == "Héllo, wörld 😀"
    tools = events(run("responses-tools"))
    calls = [p["functionCall"] for e in tools for p in parts(e) if "functionCall" in p]
    assert calls == [
        {"id": "call_a", "name": "Bash", "args": {"command": "ls"}},
        {"id": "call_b", "name": "Read", "args": {"path": "notes/é.txt"}},
    ]
    reasoning = events(run("responses-reasoning"))
    assert parts(reasoning[0])[0]["thought"] is True


def test_length_is_max_tokens() -> None:
    out = events(run("chat-length"))
    assert finish(out[-1]) == "MAX_TOKENS"


@pytest.mark.parametrize(
    ("name", "code", "status"),
    [("chat-cut", 502, "UNAVAILABLE"), ("chat-error", 429, "RESOURCE_EXHAUSTED"),
     ("responses-failed", 429, "RESOURCE_EXHAUSTED")],
)  # fmt: skip
def test_cut_and_errors_end_in_an_error_object(name: str, code: int, status: str) -> None:
    out = events(run(name))
    error = out[-1]["error"]
    assert (error["code"], error["status"]) == (code, status)
    assert error["message"].startswith("cligate: ")
    assert all("error" not in e for e in out[:-1])


def test_empty_answer_is_one_event() -> None:
    (only,) = events(run("chat-empty"))
    assert parts(only) == [{"text": ""}] and finish(only) == "STOP"


def test_encoder_alone_fail_keepalive_and_nothing_after_the_end() -> None:
    encoder = GeminiStreamEncoder(VIEW)
    assert encoder.keepalive() == KEEPALIVE == b"\n"  # a blank line: the SDKs skip it
    assert encoder.encode(ir.ToolCallDelta(0, "c1", "f", '{"a"', signature="c2ln")) == b""
    assert encoder.encode(ir.ToolCallDelta(0, arguments=": 1}")) == b""
    assert encoder.encode(ir.EncryptedReasoning("enc")) != b""  # not a call: the call is whole
    assert encoder.encode(ir.ToolCallDelta(0, arguments="late")) == b""  # nowhere to go
    out = encoder.fail(ir.ErrorInfo(500, "cligate: boom"))
    assert json.loads(out[6:]) == {"error": {"code": 500, "message": "cligate: boom", "status": "INTERNAL"}}  # fmt: skip
    assert encoder.finished
    assert encoder.encode(ir.TextDelta("x")) == b"" and encoder.fail(ir.ErrorInfo(500, "x")) == b""
    assert encoder.keepalive() == b""


def test_calls_carry_their_signature_and_nameless_calls_are_left_out() -> None:
    encoder = GeminiStreamEncoder(VIEW)
    sequence: list[ir.StreamEvent] = [
        ir.ToolCallDelta(1, None, None, "{}"),
        ir.ToolCallDelta(0, "c1", "f", "", signature="c2ln"),
        ir.ToolCallDelta(2, None, "g", ""),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(5, 3)),
    ]
    out = b"".join(encoder.encode(e) for e in sequence)
    (only,) = events(out)
    assert parts(only) == [
        {"functionCall": {"id": "c1", "name": "f", "args": {}}, "thoughtSignature": "c2ln"},
        {"functionCall": {"id": "g_2", "name": "g", "args": {}}},
    ]
    assert encoder.encode(ir.StreamFinished(None)) == b""


def test_through_the_codec_registry() -> None:
    translator = StreamTranslator.between(
        codec_for(WireProtocol.GEMINI), codec_for(WireProtocol.OPENAI_CHAT), VIEW, "p"
    )
    out = translator.feed(CHAT_TEXT) + translator.finish()
    assert out == run("chat-text")


# --- the official SDK ------------------------------------------------------------------------


def sdk_chunks(body: bytes) -> list[types.GenerateContentResponse]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith(":streamGenerateContent")
        assert request.url.params["alt"] == "sse"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    transport = httpx.Client(transport=httpx.MockTransport(handler))
    options = types.HttpOptions(base_url="http://test", httpx_client=transport)
    client = genai.Client(api_key="x", http_options=options)
    return list(client.models.generate_content_stream(model="gemini-2.5-pro", contents="hi"))


def test_sdk_reads_text_and_usage() -> None:
    chunks = sdk_chunks(run("chat-reasoning"))
    assert "".join(c.text or "" for c in chunks) == "Answer"
    thoughts = [p.text for c in chunks for p in c.candidates[0].content.parts if p.thought]  # type: ignore[index, union-attr]
    assert thoughts == ["Think", "ing…"]
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    assert last.usage_metadata is not None
    assert (last.usage_metadata.prompt_token_count, last.usage_metadata.total_token_count) == (120, 150)  # fmt: skip
    assert last.usage_metadata.thoughts_token_count == 12


def test_sdk_reads_function_calls() -> None:
    chunks = sdk_chunks(run("chat-parallel"))
    calls = [call for c in chunks for call in c.function_calls or []]
    assert [(c.id, c.name, c.args) for c in calls] == [
        ("call_A", "exec_command", {"cmd": "ls a"}),
        ("call_B", "exec_command", {"cmd": "ls b"}),
    ]
    anthropic = [call for c in sdk_chunks(run("anthropic-tool")) for call in c.function_calls or []]
    assert [c.args for c in anthropic] == [{"cmd": "echo hi"}, {"input": PATCH}]


def test_sdk_reads_max_tokens_thinking_signatures_and_empty_answers() -> None:
    chunks = sdk_chunks(run("chat-length"))
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]
    signed = sdk_chunks(run("anthropic-thinking"))
    assert signed[1].candidates[0].content.parts[0].thought_signature  # type: ignore[index, union-attr]
    (empty,) = sdk_chunks(run("chat-empty"))
    assert empty.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]


@pytest.mark.parametrize(("name", "kind"), [("chat-cut", errors.ServerError), ("chat-error", errors.ClientError)])  # fmt: skip
def test_sdk_raises_the_error_object(name: str, kind: type[Exception]) -> None:
    with pytest.raises(kind, match="cligate: "):
        sdk_chunks(run(name))
