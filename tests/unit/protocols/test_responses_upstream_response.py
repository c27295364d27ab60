"""OpenAI Responses answers and error bodies → the neutral form."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import Response

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_response import encode_response
from cligate.protocols.openai_chat.decode_response import made_up_call_id
from cligate.protocols.openai_responses.decode_response import decode_error, decode_response

USAGE = {
    "input_tokens": 120,
    "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 4},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 150,
}


def answer(*output: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "model": "gpt-x",
        "status": "completed",
        "output": list(output),
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": USAGE,
        **fields,
    }


def message(*content: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": list(content),
    }


def out_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


REASONING = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [
        {"type": "summary_text", "text": "First."},
        {"type": "summary_text", "text": "Second."},
    ],
    "encrypted_content": "gAAAenc",
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "Bash",
    "arguments": '{"command":"ls"}',
    "status": "completed",
}
CUSTOM = {
    "type": "custom_tool_call",
    "id": "ctc_1",
    "call_id": "call_2",
    "name": "apply_patch",
    "input": "*** Begin Patch",
}
SEARCH = {
    "type": "web_search_call",
    "id": "ws_1",
    "status": "completed",
    "action": {"type": "search", "query": "q"},
}
FULL_USAGE = ir.Usage(120, 30, cache_read_tokens=100, cache_write_tokens=4, reasoning_tokens=12)

ROWS: dict[str, tuple[dict[str, Any], ir.Response]] = {
    "text": (
        answer(message(out_text("Hello "), out_text("world"))),
        ir.Response("resp_1", "gpt-x", (ir.Text("Hello world"),), ir.StopReason.END, FULL_USAGE),
    ),
    "reasoning, text, calls; hosted search left out": (
        answer(REASONING, SEARCH, message(out_text("Running.")), CALL, CUSTOM),
        ir.Response(
            "resp_1",
            "gpt-x",
            (
                ir.Thinking("First.\n\nSecond.", encrypted="gAAAenc"),
                ir.Text("Running."),
                ir.ToolCall("call_1", "Bash", '{"command":"ls"}'),
                ir.ToolCall("call_2", "apply_patch", "*** Begin Patch", kind="custom"),
            ),
            ir.StopReason.TOOL_USE,
            FULL_USAGE,
        ),
    ),
    "refusal": (
        answer(message({"type": "refusal", "refusal": "I can't help with that."})),
        ir.Response(
            "resp_1", "gpt-x", (ir.Text("I can't help with that."),), ir.StopReason.END, FULL_USAGE
        ),
    ),
    "cut at max_output_tokens": (
        answer(
            message(out_text("cut")),
            status="incomplete",
            incomplete_details={"reason": "max_output_tokens"},
        ),
        ir.Response("resp_1", "gpt-x", (ir.Text("cut"),), ir.StopReason.MAX_TOKENS, FULL_USAGE),
    ),
    "filtered": (
        answer(status="incomplete", incomplete_details={"reason": "content_filter"}, usage=None),
        ir.Response("resp_1", "gpt-x", (), ir.StopReason.CONTENT_FILTER, None),
    ),
    "reasoning text from a server that shows it, no encryption": (
        answer(
            {
                "type": "reasoning",
                "id": "rs_2",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": "raw thoughts"}],
            },
            message(out_text("ok")),
        ),
        ir.Response(
            "resp_1",
            "gpt-x",
            (ir.Thinking("raw thoughts"), ir.Text("ok")),
            ir.StopReason.END,
            FULL_USAGE,
        ),
    ),
}


@pytest.mark.parametrize("name", ROWS)
def test_answers(name: str) -> None:
    body, expected = ROWS[name]
    Response.model_validate(body)  # the rows are answers the API could give
    assert decode_response(body) == expected


def test_lenient_answers() -> None:
    body = {
        "id": "resp_9",
        "output": [
            None,
            {"type": "reasoning", "summary": []},  # neither text nor encryption: nothing
            {"type": "message", "content": "plain string"},
            {"type": "function_call", "name": "A", "arguments": {"x": 1}},  # no ids at all
            {"type": "function_call", "id": "fc_7", "name": "B", "arguments": None},
        ],
        "usage": {"input_tokens": True, "output_tokens": -3},
    }
    assert decode_response(body) == ir.Response(
        "resp_9",
        "",
        (
            ir.Text("plain string"),
            ir.ToolCall(made_up_call_id("resp_9", 0), "A", '{"x":1}'),
            ir.ToolCall("fc_7", "B", ""),
        ),
        ir.StopReason.TOOL_USE,
        ir.Usage(),
    )


def test_anthropic_client_sees_the_answer() -> None:
    _, expected = ROWS["reasoning, text, calls; hosted search left out"]
    message_out = encode_response(expected)
    assert [b["type"] for b in message_out["content"]] == [
        "thinking",
        "text",
        "tool_use",
        "tool_use",
    ]
    assert message_out["stop_reason"] == "tool_use"
    assert message_out["usage"] == {
        "input_tokens": 16,
        "output_tokens": 30,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 4,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "answer: expected a JSON object"),
        ({"id": "x"}, "answer.output: expected a list"),
        (
            {
                "status": "failed",
                "output": [],
                "error": {"code": "server_error", "message": "boom"},
            },
            "the provider answered with an error: boom (server_error)",
        ),
        ({"error": {"message": "no key"}}, "the provider answered with an error: no key"),
    ],
)
def test_undecodable_answers(body: Any, message: str) -> None:
    with pytest.raises(ir.DecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_response(body)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            b'{"error": {"message": "Encrypted content is not supported with this model.",'
            b' "type": "invalid_request_error", "param": "include", "code": null}}',
            ir.ErrorInfo(
                400,
                "Encrypted content is not supported with this model.",
                "invalid_request_error",
            ),
        ),
        (
            429,
            b'{"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}',
            ir.ErrorInfo(429, "Rate limit reached", "rate_limit_exceeded"),
        ),
        (502, b"<html>Bad gateway</html>", ir.ErrorInfo(502, "<html>Bad gateway</html>")),
        (500, b"", ir.ErrorInfo(500, "HTTP 500")),
        (404, b'{"message": "Resource not found"}', ir.ErrorInfo(404, "Resource not found")),
        (503, b'"overloaded"', ir.ErrorInfo(503, "overloaded")),
        (400, b"\xff\xfe broken", ir.ErrorInfo(400, "\ufffd\ufffd broken")),
    ],
)
def test_errors(status: int, body: bytes, expected: ir.ErrorInfo) -> None:
    assert decode_error(status, body) == expected
