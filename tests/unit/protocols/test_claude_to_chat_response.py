"""Chat Completions answers and errors → Anthropic messages, read back by the official SDK."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_response import encode_response, tool_input
from cligate.protocols.openai_chat.decode_response import (
    decode_error,
    decode_response,
    made_up_call_id,
)


def chat_answer(
    message: dict[str, Any], finish: str | None = "stop", **more: Any
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "model": "gpt-x",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        **more,
    }


USAGE = {
    "prompt_tokens": 100,
    "completion_tokens": 30,
    "total_tokens": 130,
    "prompt_tokens_details": {"cached_tokens": 40},
    "completion_tokens_details": {"reasoning_tokens": 10},
}


def test_decode_text_reasoning_tools_and_usage() -> None:
    response = decode_response(
        chat_answer(
            {
                "role": "assistant",
                "content": "Doing it.",
                "reasoning_content": "plan",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "A", "arguments": "{}"}},
                    {"id": "", "type": "function", "function": {"name": "B", "arguments": ""}},
                    {"type": "function", "function": {"name": "C", "arguments": {"x": 1}}},
                ],
            },
            finish="stop",
            usage=USAGE,
        )
    )
    assert response == ir.Response(
        id="chatcmpl-9",
        model="gpt-x",
        parts=(
            ir.Thinking("plan"),
            ir.Text("Doing it."),
            ir.ToolCall("c1", "A", "{}"),
            # Made-up ids come from the answer's id: unique across a conversation.
            ir.ToolCall(made_up_call_id("chatcmpl-9", 1), "B", ""),
            ir.ToolCall(made_up_call_id("chatcmpl-9", 2), "C", '{"x":1}'),
        ),
        stop_reason=ir.StopReason.TOOL_USE,  # "stop" next to tool calls
        usage=ir.Usage(100, 30, cache_read_tokens=40, reasoning_tokens=10),
    )


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("stop", ir.StopReason.END),
        ("length", ir.StopReason.MAX_TOKENS),
        ("content_filter", ir.StopReason.CONTENT_FILTER),
        (None, None),
    ],
)
def test_decode_finish_reasons(finish: str | None, reason: ir.StopReason | None) -> None:
    response = decode_response(chat_answer({"role": "assistant", "content": "x"}, finish))
    assert response.stop_reason is reason


def test_decode_reasoning_alias_and_part_list_content() -> None:
    response = decode_response(
        chat_answer(
            {
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                "reasoning": "r",
            }
        )
    )
    assert response.parts == (ir.Thinking("r"), ir.Text("ab"))


def test_decode_rejects_non_answers() -> None:
    with pytest.raises(ir.DecodeError, match="quota"):
        decode_response({"error": {"message": "quota"}})
    with pytest.raises(ir.DecodeError, match="choices"):
        decode_response({"id": "x"})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            429,
            b'{"error": {"message": "slow down", "type": "rate_limit_error", "code": "rl"}}',
            ir.ErrorInfo(429, "slow down", "rate_limit_error"),
        ),
        (400, b'{"error": {"message": "bad", "code": 400}}', ir.ErrorInfo(400, "bad", "400")),
        (500, b'{"message": "boom"}', ir.ErrorInfo(500, "boom")),
        (422, b'{"detail": "nope"}', ir.ErrorInfo(422, "nope")),
        (
            422,
            b'{"detail": [{"loc": ["body"], "msg": "field required"}]}',
            ir.ErrorInfo(422, '[{"loc": ["body"], "msg": "field required"}]'),
        ),
        (401, b'{"error": "invalid key"}', ir.ErrorInfo(401, "invalid key")),
        (502, b"<html>Bad Gateway</html>", ir.ErrorInfo(502, "<html>Bad Gateway</html>")),
        (503, b"", ir.ErrorInfo(503, "HTTP 503")),
        (500, b"\xff\xfe", ir.ErrorInfo(500, "\ufffd\ufffd")),
        (500, b"[]", ir.ErrorInfo(500, "[]")),
        (500, b"[" * 100_000, ir.ErrorInfo(500, "[" * 2000)),
        (400, b'[{"error": {"message": "wrapped"}}]', ir.ErrorInfo(400, "wrapped")),
    ],
)
def test_decode_error_shapes(status: int, body: bytes, expected: ir.ErrorInfo) -> None:
    assert decode_error(status, body) == expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        ("  ", {}),
        ('"{\\"a\\": 1}"', {"a": 1}),  # an object encoded twice
        ('{"a": ', {"_raw_arguments": '{"a": '}),
        ("[1, 2]", {"_raw_arguments": "[1, 2]"}),
        ("not json", {"_raw_arguments": "not json"}),
    ],
)
def test_tool_input(arguments: str, expected: dict[str, Any]) -> None:
    assert tool_input(arguments) == expected


def test_encode_response_shape() -> None:
    message = encode_response(
        ir.Response(
            id="chatcmpl-9",
            model="claude-x",
            parts=(
                ir.Thinking("plan"),
                ir.Text("Doing it."),
                ir.ToolCall("functions.Bash:0", "Bash", '{"command": "ls"}'),
            ),
            stop_reason=ir.StopReason.END,
            usage=ir.Usage(100, 30, cache_read_tokens=40),
        )
    )
    assert message == {
        "id": "msg_chatcmpl-9",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": ""},
            {"type": "text", "text": "Doing it."},
            {
                "type": "tool_use",
                "id": "toolu_cgx_ZnVuY3Rpb25zLkJhc2g6MA",
                "name": "Bash",
                "input": {"command": "ls"},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 60,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 40,
            "output_tokens": 30,
        },
    }


def test_encode_empty_response_has_one_empty_text_block() -> None:
    message = encode_response(ir.Response("msg_1", "m", (), ir.StopReason.TOOL_USE))
    assert message["id"] == "msg_1"
    assert message["content"] == [{"type": "text", "text": ""}]
    assert message["stop_reason"] == "end_turn"


def test_sdk_reads_non_streamed_answer() -> None:
    chat = chat_answer(
        {
            "role": "assistant",
            "content": "Sure.",
            "reasoning_content": "think",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "Read", "arguments": '{"path": "a"}'},
                }
            ],
        },
        finish="tool_calls",
        usage=USAGE,
    )
    body = json.dumps(encode_response(decode_response(chat))).encode()

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "application/json"}, content=body)

    client = anthropic.Anthropic(
        api_key="x",
        base_url="http://test",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    message = client.messages.create(
        model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    tool = message.content[2]
    assert isinstance(tool, anthropic.types.ToolUseBlock)
    assert tool.input == {"path": "a"} and tool.id == "call_1"
    assert message.stop_reason == "tool_use"
    assert message.usage.input_tokens == 60
    assert message.usage.cache_read_input_tokens == 40
    assert message.usage.output_tokens == 30
