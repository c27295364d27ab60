"""Claude Code → Chat provider: what real compatible servers send, read back by the official
anthropic SDK (regressions found in review)."""

from __future__ import annotations

import json

import anthropic

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_stream import AnthropicStreamEncoder
from cligate.protocols.openai_chat.decode_stream import ChatStreamDecoder
from tests.unit.protocols.test_claude_to_chat_stream import (
    DONE,
    chunk,
    data,
    events,
    final_message,
    tool,
    translate,
)


def tool_blocks(message: anthropic.types.Message) -> list[anthropic.types.ToolUseBlock]:
    return [b for b in message.content if isinstance(b, anthropic.types.ToolUseBlock)]


# --- finish reasons ----------------------------------------------------------------------


def test_empty_finish_reason_on_a_later_chunk_keeps_the_real_one() -> None:
    # Some gateways send "finish_reason": "" on every chunk that is not the last, including
    # the usage chunk after the real finish: "length" must still reach the client.
    transcript = b"".join(
        [
            data({"id": "c", "choices": [{"index": 0, "delta": {"content": "cut"}}]}),
            chunk(finish="length"),
            data(
                {
                    "id": "c",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": ""}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 2},
                }
            ),
            DONE,
        ]
    )
    assert final_message(transcript).stop_reason == "max_tokens"


def test_empty_finish_reason_alone_is_not_a_finish() -> None:
    # A body cut off after chunks with "finish_reason": "" was never finished.
    transcript = data({"id": "c", "choices": [{"index": 0, "delta": {"content": "hal"}}]})
    transcript += data(
        {"id": "c", "choices": [{"index": 0, "delta": {"content": "f"}, "finish_reason": ""}]}
    )
    kind, payload = events(translate([transcript]))[-1]
    assert kind == "error" and "ended before the answer" in payload["error"]["message"]


# --- tool calls without index or id ------------------------------------------------------


def test_parallel_calls_without_index_or_id_are_not_merged() -> None:
    # Servers that send each call whole, with neither index nor id (some local servers).
    calls = [
        {"function": {"name": "Read", "arguments": '{"path": "a"}'}},
        {"function": {"name": "Read", "arguments": '{"path": "b"}'}},
    ]
    transcript = chunk({"tool_calls": calls}) + chunk(finish="tool_calls") + DONE
    message = final_message(transcript)
    blocks = tool_blocks(message)
    assert [b.input for b in blocks] == [{"path": "a"}, {"path": "b"}]
    assert len({b.id for b in blocks}) == 2
    assert message.stop_reason == "tool_use"


def test_fragments_without_index_or_id_still_continue_their_call() -> None:
    transcript = (
        tool(None, '{"path":', None, "Read") + tool(None, ' "a"}') + chunk(finish="tool_calls")
    )
    message = final_message(transcript + DONE)
    assert [b.input for b in tool_blocks(message)] == [{"path": "a"}]


# --- arguments that are not a JSON object ------------------------------------------------


def test_arguments_that_are_not_json_do_not_crash_the_sdk() -> None:
    transcript = tool(0, "ls ", "c1", "Bash") + tool(0, "-la") + chunk(finish="tool_calls") + DONE
    message = final_message(transcript)
    (block,) = tool_blocks(message)
    assert block.input == {"_raw_arguments": "ls -la"}
    assert message.stop_reason == "tool_use"


def test_arguments_encoded_twice_reach_the_client_as_an_object() -> None:
    arguments = json.dumps(json.dumps({"command": "ls"}))
    half = len(arguments) // 2
    transcript = tool(0, arguments[:half], "c1", "Bash") + tool(0, arguments[half:])
    message = final_message(transcript + chunk(finish="tool_calls") + DONE)
    assert [b.input for b in tool_blocks(message)] == [{"command": "ls"}]


def test_object_arguments_still_stream_as_they_come() -> None:
    encoder = AnthropicStreamEncoder("m", "msg_1")
    encoder.encode(ir.ToolCallDelta(0, "c1", "Bash", ' {"command":'))
    raw = encoder.encode(ir.ToolCallDelta(0, arguments=' "ls"}'))
    assert [p["delta"]["partial_json"] for _, p in events(raw)] == [' "ls"}']


def test_whitespace_only_arguments_are_an_empty_input() -> None:
    transcript = tool(0, " ", "c1", "Bash") + chunk(finish="tool_calls") + DONE
    assert [b.input for b in tool_blocks(final_message(transcript))] == [{}]


# --- odd lines in the stream -------------------------------------------------------------


def test_empty_data_line_is_not_malformed_json() -> None:
    transcript = chunk({"content": "a"}) + b"data: \n\n" + chunk(finish="stop") + DONE
    message = final_message(transcript)
    assert [b.type for b in message.content] == ["text"]
    assert message.stop_reason == "end_turn"


def test_decoder_ignores_blank_data() -> None:
    assert ChatStreamDecoder().feed(b"data:\n\n") == []
