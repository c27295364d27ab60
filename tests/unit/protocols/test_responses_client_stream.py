"""Chat Completions and Anthropic SSE → neutral events → a Responses stream for Codex: split at
every byte, checked event by event, and read by the official openai SDK offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import openai
import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
from cligate.protocols.codecs import ClientView, StreamDecoder, codec_for
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.decode_stream import ChatStreamDecoder
from cligate.protocols.openai_responses.encode_stream import ResponsesStreamEncoder
from cligate.protocols.translate import StreamTranslator

CREATED = 1_700_000_000
VIEW = ClientView(model="gpt-5.5", created=CREATED, custom_tools=frozenset({"apply_patch"}))
PATCH = "*** Begin Patch\n*** Add File: out.txt\n+hello ☃\n*** End Patch\n"

# --- Chat Completions transcripts ------------------------------------------------------------


def chat(*chunks: dict[str, Any], done: bool = True) -> bytes:
    out = b"".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n".encode() for c in chunks)
    return out + (b"data: [DONE]\n\n" if done else b"")


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> Any:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1,
            "model": "qwen", "choices": choices, **extra}  # fmt: skip


def call(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id is not None:
        entry.update(id=call_id, type="function")
        entry["function"]["name"] = name
    return {"tool_calls": [entry]}


USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
         "prompt_tokens_details": {"cached_tokens": 100},
         "completion_tokens_details": {"reasoning_tokens": 12}}  # fmt: skip

CHAT_TEXT = chat(
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Héllo"}),
    chunk({"content": " wörld 𝄞"}),
    chunk({}, "stop"),
)
CHAT_REASONING = chat(
    chunk({"role": "assistant", "reasoning_content": "Think"}),
    chunk({"reasoning_content": "ing…"}),
    chunk({"content": "Answer"}),
    chunk({}, "stop"),
    chunk(usage=USAGE),
)
CHAT_PARALLEL = chat(
    chunk({"role": "assistant", "content": "Both."}),
    chunk(call(0, "call_A", "exec_command", '{"cmd": ')),
    chunk(call(1, "call_B", "exec_command", '{"cmd": "ls b"}')),
    chunk(call(0, None, None, '"ls a"}')),
    chunk({"content": "After."}),
    chunk({}, "tool_calls"),
)
CHAT_PATCH = chat(
    chunk({"role": "assistant", "content": None}),
    chunk(call(0, "call_P", "apply_patch", '{"input": "*** Begin Patch\\n*** Add')),
    chunk(call(0, None, None, ' File: out.txt\\n+hello \u2603\\n*** End Patch\\n"}')),
    chunk({}, "tool_calls"),
)
CHAT_LENGTH = chat(chunk({"content": "cut sh"}), chunk({}, "length"), chunk(usage=USAGE))
CHAT_CUT = chat(chunk({"content": "half an ans"}), done=False)
CHAT_ERROR = chat(
    chunk({"content": "partial"}),
    {
        "error": {
            "message": "Rate limited",
            "type": "rate_limit_error",
            "code": "rate_limit_exceeded",
        }
    },
)
CHAT_EMPTY = chat(chunk({"role": "assistant", "content": ""}), chunk({}, "stop"))

# --- Anthropic transcripts -------------------------------------------------------------------


def anthropic(*events: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
        for name, data in events
    )


START = ("message_start", {"type": "message_start", "message": {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude", "content": [],
    "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}})  # fmt: skip
STOP = ("message_stop", {"type": "message_stop"})


def block(index: int, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_start", {"type": "content_block_start", "index": index,
                                   "content_block": content}  # fmt: skip


def delta(index: int, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": content}


def stop(index: int) -> tuple[str, dict[str, Any]]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


def finished(reason: str, output: int) -> tuple[str, dict[str, Any]]:
    return "message_delta", {"type": "message_delta", "usage": {"output_tokens": output},
                             "delta": {"stop_reason": reason, "stop_sequence": None}}  # fmt: skip


ANTHROPIC_TEXT = anthropic(
    START,
    block(0, {"type": "text", "text": ""}),
    delta(0, {"type": "text_delta", "text": "Hi ☃"}),
    stop(0),
    finished("end_turn", 5),
    STOP,
)
ANTHROPIC_THINKING = anthropic(
    START,
    block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Let me think."}),
    delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}),
    stop(0),
    block(1, {"type": "redacted_thinking", "data": "EmwKAhgB"}),
    stop(1),
    block(2, {"type": "text", "text": "4"}),
    stop(2),
    finished("end_turn", 20),
    STOP,
)
ANTHROPIC_TOOL = anthropic(
    START,
    block(0, {"type": "tool_use", "id": "toolu_A", "name": "exec_command", "input": {}}),
    delta(0, {"type": "input_json_delta", "partial_json": '{"cmd": "echo'}),
    delta(0, {"type": "input_json_delta", "partial_json": ' hi"}'}),
    stop(0),
    block(1, {"type": "tool_use", "id": "toolu_P", "name": "apply_patch", "input": {}}),
    delta(1, {"type": "input_json_delta", "partial_json": json.dumps({"input": PATCH})}),
    stop(1),
    finished("tool_use", 40),
    STOP,
)

TRANSCRIPTS: dict[str, tuple[Callable[[], StreamDecoder], bytes]] = {
    "chat-text": (ChatStreamDecoder, CHAT_TEXT),
    "chat-reasoning": (ChatStreamDecoder, CHAT_REASONING),
    "chat-parallel": (ChatStreamDecoder, CHAT_PARALLEL),
    "chat-patch": (ChatStreamDecoder, CHAT_PATCH),
    "chat-length": (ChatStreamDecoder, CHAT_LENGTH),
    "chat-cut": (ChatStreamDecoder, CHAT_CUT),
    "chat-error": (ChatStreamDecoder, CHAT_ERROR),
    "chat-empty": (ChatStreamDecoder, CHAT_EMPTY),
    "anthropic-text": (AnthropicStreamDecoder, ANTHROPIC_TEXT),
    "anthropic-thinking": (AnthropicStreamDecoder, ANTHROPIC_THINKING),
    "anthropic-tool": (AnthropicStreamDecoder, ANTHROPIC_TOOL),
}


def run(name: str, cuts: list[int] | None = None) -> bytes:
    decoder, transcript = TRANSCRIPTS[name]
    translator = StreamTranslator(decoder(), ResponsesStreamEncoder(VIEW), "p")
    out, previous = b"", 0
    for cut in [*(cuts or []), len(transcript)]:
        out += translator.feed(transcript[previous:cut])
        previous = cut
    out += translator.finish()
    assert translator.finished
    return out


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_gives_the_same_output(name: str) -> None:
    transcript = TRANSCRIPTS[name][1]
    whole = run(name)
    for cut in range(len(transcript) + 1):
        assert run(name, [cut]) == whole, f"split at byte {cut}"
    assert run(name, list(range(1, len(transcript)))) == whole  # one byte at a time


def events(output: bytes) -> list[dict[str, Any]]:
    parsed = []
    for raw in output.split(b"\n\n"):
        if not raw:
            continue
        name, data = raw.split(b"\n")
        assert name.startswith(b"event: ") and data.startswith(b"data: ")
        event = json.loads(data[6:])
        assert event["type"] == name[7:].decode()
        parsed.append(event)
    assert [e["sequence_number"] for e in parsed] == list(range(len(parsed)))
    return parsed


def kinds(output: bytes) -> list[str]:
    return [e["type"].removeprefix("response.") for e in events(output)]


def test_text_events() -> None:
    out = events(run("chat-text"))
    assert [e["type"].removeprefix("response.") for e in out] == [
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "completed",
    ]
    assert out[0]["response"]["id"] == "resp_chatcmpl-7"
    assert out[0]["response"]["status"] == "in_progress"
    assert out[0]["response"]["created_at"] == CREATED
    assert out[0]["response"]["model"] == "gpt-5.5"
    assert out[2]["item"] == {"id": "msg_chatcmpl7_0", "type": "message", "role": "assistant",
                              "status": "in_progress", "content": []}  # fmt: skip
    assert out[4]["delta"] == "Héllo"
    assert out[6]["text"] == "Héllo wörld 𝄞"
    done = out[-1]["response"]
    assert done["status"] == "completed"
    assert done["output"] == [out[8]["item"]]
    assert done["output"][0]["content"] == [
        {"type": "output_text", "text": "Héllo wörld 𝄞", "annotations": []}
    ]


def test_parallel_calls_come_one_after_another_and_text_after_them() -> None:
    out = events(run("chat-parallel"))
    added = [e["item"] for e in out if e["type"] == "response.output_item.added"]
    assert [(i["type"], i.get("call_id")) for i in added] == [
        ("message", None),
        ("function_call", "call_A"),
        ("function_call", "call_B"),
        ("message", None),
    ]
    assert [e["output_index"] for e in out if e["type"] == "response.output_item.done"] == [
        0,
        1,
        2,
        3,
    ]
    final = out[-1]["response"]["output"]
    assert [i.get("arguments") for i in final] == [None, '{"cmd": "ls a"}', '{"cmd": "ls b"}', None]
    assert final[3]["content"][0]["text"] == "After."


def test_custom_tool_call_is_unwrapped() -> None:
    out = events(run("chat-patch"))
    assert [e["type"].removeprefix("response.") for e in out[2:]] == [
        "output_item.added",
        "custom_tool_call_input.delta",
        "custom_tool_call_input.done",
        "output_item.done",
        "completed",
    ]
    assert out[2]["item"] == {"id": "ctc_chatcmpl7_0", "type": "custom_tool_call",
                              "call_id": "call_P", "name": "apply_patch", "input": ""}  # fmt: skip
    assert out[3]["delta"] == PATCH
    assert out[5]["item"]["input"] == PATCH


def test_anthropic_thinking_carries_the_signature() -> None:
    out = events(run("anthropic-thinking"))
    final = out[-1]["response"]["output"]
    assert final == [
        {"id": "rs_msg01_0", "type": "reasoning",
         "summary": [{"type": "summary_text", "text": "Let me think."}],
         "encrypted_content": "cligate:signature:EqQBCgIYAhIM"},
        {"id": "rs_msg01_1", "type": "reasoning", "summary": [],
         "encrypted_content": "cligate:redacted:EmwKAhgB"},
        {"id": "msg_msg01_2", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "4", "annotations": []}]},
    ]  # fmt: skip
    assert out[-1]["response"]["id"] == "resp_msg_01"


def test_length_is_incomplete_with_usage() -> None:
    out = events(run("chat-length"))
    assert out[-1]["type"] == "response.incomplete"
    response = out[-1]["response"]
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["usage"] == {
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 0},
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 12},
        "total_tokens": 150,
    }


def test_cut_and_error_end_in_response_failed() -> None:
    cut = events(run("chat-cut"))
    assert cut[-1]["type"] == "response.failed"
    assert cut[-1]["response"]["status"] == "failed"
    assert cut[-1]["response"]["id"] == cut[0]["response"]["id"]
    assert cut[-1]["response"]["error"]["code"] == "server_error"
    assert "stream ended before" in cut[-1]["response"]["error"]["message"]
    error = events(run("chat-error"))
    assert error[-1]["type"] == "response.failed"
    assert "Rate limited" in error[-1]["response"]["error"]["message"]
    assert error[-1]["response"]["error"]["message"].startswith("cligate: provider 'p'")


def test_empty_answer_gets_one_empty_message() -> None:
    out = events(run("chat-empty"))
    assert out[-1]["response"]["output"] == [
        {"id": "msg_chatcmpl7_0", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "", "annotations": []}]}
    ]  # fmt: skip


def test_encoder_alone_fail_keepalive_and_nothing_after_the_end() -> None:
    encoder = ResponsesStreamEncoder(VIEW)
    assert encoder.keepalive() == b": keep-alive\n\n"
    failed = events(encoder.fail(ir.ErrorInfo(429, "slow down")))
    assert [e["type"] for e in failed] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    assert failed[-1]["response"]["error"] == {
        "code": "rate_limit_exceeded",
        "message": "slow down",
    }
    assert encoder.finished
    assert encoder.encode(ir.TextDelta("late")) == b""
    assert encoder.fail(ir.ErrorInfo(500, "again")) == b""
    assert encoder.keepalive() == b""


def test_encrypted_reasoning_without_text_gets_its_own_item() -> None:
    encoder = ResponsesStreamEncoder(VIEW)
    out = b"".join(
        encoder.encode(e)
        for e in [
            ir.StreamStarted("resp_abc", "gpt-5"),
            ir.EncryptedReasoning("gAAAA"),
            ir.ThinkingDelta("sum"),
            ir.EncryptedReasoning("gBBBB"),
            ir.ToolCallDelta(0, "c1", "apply_patch", "*** raw", kind="custom"),
            ir.ToolCallDelta(0, arguments=" patch"),
            ir.StreamFinished(ir.StopReason.TOOL_USE),
        ]
    )
    parsed = events(out)
    assert parsed[0]["response"]["id"] == "resp_abc"
    final = parsed[-1]["response"]["output"]
    assert final[0] == {"id": "rs_abc_0", "type": "reasoning", "summary": [],
                        "encrypted_content": "gAAAA"}  # fmt: skip
    assert final[1]["summary"] == [{"type": "summary_text", "text": "sum"}]
    assert final[1]["encrypted_content"] == "gBBBB"
    assert final[2]["input"] == "*** raw patch"
    deltas = [e["delta"] for e in parsed if e["type"] == "response.custom_tool_call_input.delta"]
    assert deltas == ["*** raw", " patch"]  # a native custom call streams as it comes


# --- the official SDK reads the result -------------------------------------------------------


def client(body: bytes, content_type: str = "text/event-stream") -> openai.OpenAI:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": content_type}, content=body)

    return openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def sdk_final(name: str) -> Any:
    with client(run(name)).responses.stream(model="gpt-5.5", input="hi") as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


def sdk_events(name: str) -> list[Any]:
    with client(run(name)).responses.stream(model="gpt-5.5", input="hi") as stream:
        return list(stream)


def test_sdk_reads_text() -> None:
    response = sdk_final("chat-text")
    assert response.status == "completed"
    assert response.output_text == "Héllo wörld 𝄞"


def test_sdk_reads_reasoning_and_usage() -> None:
    response = sdk_final("chat-reasoning")
    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert [s.text for s in reasoning.summary] == ["Thinking…"]
    assert message.type == "message"
    assert response.output_text == "Answer"
    assert response.usage is not None
    assert response.usage.input_tokens == 120
    assert response.usage.input_tokens_details.cached_tokens == 100
    assert response.usage.output_tokens_details.reasoning_tokens == 12
    assert response.usage.total_tokens == 150


def test_sdk_reads_parallel_function_calls() -> None:
    response = sdk_final("chat-parallel")
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == [
        ("call_A", "exec_command", {"cmd": "ls a"}),
        ("call_B", "exec_command", {"cmd": "ls b"}),
    ]
    assert response.output_text == "Both.After."


def test_sdk_reads_the_custom_tool_call() -> None:
    response = sdk_final("chat-patch")
    (patch,) = response.output
    assert patch.type == "custom_tool_call"
    assert patch.name == "apply_patch"
    assert patch.call_id == "call_P"
    assert patch.input == PATCH


def test_sdk_reads_anthropic_streams() -> None:
    assert sdk_final("anthropic-text").output_text == "Hi ☃"
    thinking = sdk_final("anthropic-thinking")
    assert thinking.output[0].type == "reasoning"
    assert thinking.output[0].encrypted_content == "cligate:signature:EqQBCgIYAhIM"
    assert thinking.output_text == "4"
    tools = sdk_final("anthropic-tool").output
    assert tools[0].type == "function_call"
    assert json.loads(tools[0].arguments) == {"cmd": "echo hi"}
    assert tools[1].type == "custom_tool_call"
    assert tools[1].input == PATCH


def test_sdk_reads_incomplete_and_failed() -> None:
    incomplete = sdk_events("chat-length")[-1]
    assert incomplete.type == "response.incomplete"
    assert incomplete.response.incomplete_details.reason == "max_output_tokens"
    failed = sdk_events("chat-error")[-1]
    assert failed.type == "response.failed"
    assert failed.response.error is not None
    assert "Rate limited" in failed.response.error.message
    with (
        pytest.raises(RuntimeError, match=r"response\.completed"),
        client(run("chat-cut")).responses.stream(model="gpt-5.5", input="hi") as stream,
    ):
        stream.get_final_response()


def test_through_the_codec_registry() -> None:
    client = codec_for(WireProtocol.OPENAI_RESPONSES)
    for protocol, name in [(WireProtocol.OPENAI_CHAT, "chat-patch"),
                           (WireProtocol.ANTHROPIC, "anthropic-tool")]:  # fmt: skip
        translator = StreamTranslator.between(client, codec_for(protocol), VIEW, "p")
        out = translator.feed(TRANSCRIPTS[name][1]) + translator.finish()
        assert out == run(name)
