"""Gemini answers and error bodies → neutral answers and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cligate.protocols import ir
from cligate.protocols.gemini.decode_response import decode_error, decode_response

Json = dict[str, Any]


def answer(*parts: Any, finish: str | None = "STOP", **extra: Any) -> Json:
    candidate: Json = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "responseId": "r1", "modelVersion": "gemini-x", **extra}


def test_text_thoughts_and_calls() -> None:
    body = answer(
        {"text": "Let me ", "thought": True},
        {"text": "think.", "thought": True},
        {"text": "I will "},
        {"text": "run it."},
        {"functionCall": {"name": "Bash", "args": {"cmd": "ls"}}, "thoughtSignature": "c2ln"},
        {"functionCall": {"id": "own", "name": "Read", "args": {"path": "é"}}},
        {"inlineData": {"mimeType": "image/png", "data": "AA"}},
        usageMetadata={
            "promptTokenCount": 100,
            "candidatesTokenCount": 20,
            "cachedContentTokenCount": 60,
            "thoughtsTokenCount": 7,
            "totalTokenCount": 127,
        },
    )
    response = decode_response(body)
    first_id = response.parts[2].id  # type: ignore[union-attr]
    assert response == ir.Response(
        id="r1",
        model="gemini-x",
        parts=(
            ir.Thinking("Let me think."),
            ir.Text("I will run it."),
            ir.ToolCall(first_id, "Bash", '{"cmd":"ls"}', signature="c2ln"),
            ir.ToolCall("own", "Read", '{"path":"é"}'),
        ),
        stop_reason=ir.StopReason.TOOL_USE,
        usage=ir.Usage(
            input_tokens=100, output_tokens=27, cache_read_tokens=60, reasoning_tokens=7
        ),
    )
    # A made-up id is the same each time the answer is read, and unique to the answer.
    assert first_id.startswith("call_") and decode_response(body).parts[2] == response.parts[2]
    other = decode_response({**body, "responseId": "r2"}).parts[2]
    assert isinstance(other, ir.ToolCall) and other.id != first_id


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("STOP", ir.StopReason.END),
        ("MAX_TOKENS", ir.StopReason.MAX_TOKENS),
        ("SAFETY", ir.StopReason.CONTENT_FILTER),
        ("RECITATION", ir.StopReason.CONTENT_FILTER),
        ("BLOCKLIST", ir.StopReason.CONTENT_FILTER),
        ("PROHIBITED_CONTENT", ir.StopReason.CONTENT_FILTER),
        ("SPII", ir.StopReason.CONTENT_FILTER),
        ("OTHER", ir.StopReason.END),
        (None, ir.StopReason.END),
    ],
)
def test_finish_reasons(finish: str | None, reason: ir.StopReason) -> None:
    assert decode_response(answer({"text": "x"}, finish=finish)).stop_reason is reason


def test_a_malformed_call_says_why_when_nothing_else_came() -> None:
    body = answer(finish="MALFORMED_FUNCTION_CALL", **{})
    body["candidates"][0]["finishMessage"] = "Malformed function call: print(x)"
    response = decode_response(body)
    assert response.stop_reason is ir.StopReason.END
    assert response.parts == (
        ir.Text(
            "[Gemini ended the turn with MALFORMED_FUNCTION_CALL: Malformed function call:"
            " print(x)]"
        ),
    )
    assert decode_response(answer({"text": "a"}, finish="MALFORMED_FUNCTION_CALL")).parts == (
        ir.Text("a"),
    )


def test_blocked_prompt() -> None:
    body = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}}
    response = decode_response(body)
    assert response.parts == () and response.stop_reason is ir.StopReason.CONTENT_FILTER
    assert response.usage == ir.Usage(input_tokens=5)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"candidates": []},
        {"error": {"code": 500, "message": "boom"}},
    ],
)
def test_bodies_that_are_no_answer(body: Any) -> None:
    with pytest.raises(ir.DecodeError):
        decode_response(body)


def test_odd_parts_are_skipped() -> None:
    body = answer({"text": ""}, "x", {"functionCall": {"name": "A"}}, {"executableCode": {}})
    response = decode_response(body)
    assert [type(p) for p in response.parts] == [ir.ToolCall]
    assert response.parts[0].arguments == "{}"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            ir.ErrorInfo(429, "Quota exceeded", "RESOURCE_EXHAUSTED"),
        ),
        (
            400,
            [{"error": {"code": 400, "message": "bad schema", "status": "INVALID_ARGUMENT"}}],
            ir.ErrorInfo(400, "bad schema", "INVALID_ARGUMENT"),
        ),
        (
            503,
            {"error": {"code": 503, "message": "overloaded"}},
            ir.ErrorInfo(503, "overloaded", "503"),
        ),
        (500, {"message": "flat"}, ir.ErrorInfo(500, "flat")),
        (502, "<html>Bad gateway</html>", ir.ErrorInfo(502, "<html>Bad gateway</html>")),
        (500, "", ir.ErrorInfo(500, "HTTP 500")),
        (500, [], ir.ErrorInfo(500, "[]")),
    ],
)
def test_errors(status: int, body: Any, expected: ir.ErrorInfo) -> None:
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    assert decode_error(status, raw) == expected


def test_errors_never_raise() -> None:
    for raw in (b"\xff\xfe", b"[[[[", b"null", b"1", b'{"error": 5}', b"[" * 5000 + b"]" * 5000):
        assert decode_error(500, raw).status == 500
