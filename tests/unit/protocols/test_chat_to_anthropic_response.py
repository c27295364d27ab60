"""Anthropic Messages answer → neutral → Chat Completions ``chat.completion``; error bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_response import decode_error, decode_response
from cligate.protocols.openai_chat.encode_response import encode_response

CREATED = 1_700_000_000

ANSWER: dict[str, Any] = {
    "id": "msg_01X",
    "type": "message",
    "role": "assistant",
    "model": "claude-test",
    "content": [
        {"type": "thinking", "thinking": "The user wants files.", "signature": "EqQB"},
        {"type": "redacted_thinking", "data": "EmwK"},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"q": "x"}},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
        {"type": "text", "text": "Reading ", "citations": None},
        {"type": "text", "text": "them."},
        {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {"path": "é.py"}},
        {"type": "tool_use", "id": "toolu_B", "name": "list", "input": {}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "cache_read_input_tokens": 200,
        "cache_creation_input_tokens": 5,
        "output_tokens": 42,
    },
}


def test_decode_response() -> None:
    response = decode_response(ANSWER)
    assert response == ir.Response(
        id="msg_01X",
        model="claude-test",
        parts=(
            ir.Thinking("The user wants files.", signature="EqQB"),
            ir.Thinking(redacted="EmwK"),
            ir.Text("Reading "),
            ir.Text("them."),
            ir.ToolCall("toolu_A", "read_file", '{"path":"é.py"}'),
            ir.ToolCall("toolu_B", "list", "{}"),
        ),
        stop_reason=ir.StopReason.TOOL_USE,
        usage=ir.Usage(
            input_tokens=215, output_tokens=42, cache_read_tokens=200, cache_write_tokens=5
        ),
    )


def test_encode_response() -> None:
    assert encode_response(decode_response(ANSWER), CREATED) == {
        "id": "chatcmpl-msg_01X",
        "object": "chat.completion",
        "created": CREATED,
        "model": "claude-test",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Reading them.",
                    "refusal": None,
                    "tool_calls": [
                        {"id": "toolu_A", "type": "function",
                         "function": {"name": "read_file", "arguments": '{"path":"é.py"}'}},
                        {"id": "toolu_B", "type": "function",
                         "function": {"name": "list", "arguments": "{}"}},
                    ],
                    "reasoning_content": "The user wants files.",
                },
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 215,
            "completion_tokens": 42,
            "total_tokens": 257,
            "prompt_tokens_details": {"cached_tokens": 200},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("max_tokens", "length"), ("stop_sequence", "stop"),
     ("refusal", "content_filter"), ("pause_turn", "stop"), (None, "stop")],
)  # fmt: skip
def test_finish_reasons(stop_reason: str | None, finish: str) -> None:
    answer = {"id": "chatcmpl-1", "model": "m", "content": [], "stop_reason": stop_reason}
    encoded = encode_response(decode_response(answer), CREATED)
    assert encoded["choices"][0]["finish_reason"] == finish
    assert encoded["choices"][0]["message"]["content"] is None
    assert encoded["id"] == "chatcmpl-1"  # already prefixed: kept


def test_stop_sequence_is_kept() -> None:
    answer = {"content": [{"type": "text", "text": "a"}], "stop_reason": "stop_sequence",
              "stop_sequence": "###"}  # fmt: skip
    response = decode_response(answer)
    assert (response.stop_reason, response.stop_sequence) == (ir.StopReason.STOP_SEQUENCE, "###")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "not a JSON object"),
        ({"content": "x"}, "content: must be a list"),
        ({"content": ["x"]}, r"content\[0\]: must be an object"),
        ({"content": [{"type": "tool_use", "input": {}}]}, "needs 'id' and 'name'"),
    ],
)
def test_decode_response_errors(body: Any, message: str) -> None:
    with pytest.raises(ir.DecodeError, match=message):
        decode_response(body)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
         ir.ErrorInfo(529, "Overloaded", "overloaded_error")),
        (400, b'{"error":{"message":"bad","code":"invalid"}}', ir.ErrorInfo(400, "bad", "invalid")),
        (401, b'{"error":"no key"}', ir.ErrorInfo(401, "no key")),
        (404, b'{"message":"no route"}', ir.ErrorInfo(404, "no route")),
        (500, b'{"detail":"boom"}', ir.ErrorInfo(500, "boom")),
        (502, b"<html>Bad Gateway</html>", ir.ErrorInfo(502, "<html>Bad Gateway</html>")),
        (503, b"", ir.ErrorInfo(503, "the provider answered HTTP 503 with an empty body")),
        (500, b"\xff\xfe", ir.ErrorInfo(500, "\ufffd\ufffd")),
        (500, b"[1]", ir.ErrorInfo(500, "[1]")),
        (500, b"[" * 100_000, ir.ErrorInfo(500, "[" * 2000 + "…")),
    ],
)  # fmt: skip
def test_decode_error(status: int, body: bytes, expected: ir.ErrorInfo) -> None:
    assert decode_error(status, body) == expected


def test_sdk_reads_the_completion() -> None:
    encoded = json.dumps(encode_response(decode_response(ANSWER), CREATED)).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=encoded)

    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    completion = client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "hi"}]
    )
    choice = completion.choices[0]
    assert choice.message.content == "Reading them."
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [json.loads(c.function.arguments) for c in calls if c.type == "function"] == [
        {"path": "é.py"},
        {},
    ]
    assert completion.usage is not None and completion.usage.total_tokens == 257
