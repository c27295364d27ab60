"""Neutral answers → Gemini GenerateContentResponse bodies, checked field by field and read by
the official google-genai SDK offline (an httpx mock transport behind the client)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import types

from cligate.protocols import ir
from cligate.protocols.codecs import ClientView
from cligate.protocols.gemini.decode_request import SENTINEL_SIGNATURE, decode_request
from cligate.protocols.gemini.encode_response import encode_response, is_base64

VIEW = ClientView(model="gemini-2.5-pro", created=1, input_tokens_estimate=77)
USAGE = ir.Usage(input_tokens=120, output_tokens=30, cache_read_tokens=100, reasoning_tokens=12)


def answer(*parts: ir.Text | ir.Thinking | ir.ToolCall, **fields: Any) -> ir.Response:
    values: dict[str, Any] = {"stop_reason": ir.StopReason.END, "usage": USAGE, **fields}
    return ir.Response("chatcmpl-9", "qwen", parts, **values)


def candidate(body: dict[str, Any]) -> dict[str, Any]:
    (only,) = body["candidates"]
    assert only["index"] == 0 and only["content"]["role"] == "model"
    return only  # type: ignore[no-any-return]


def test_text_thinking_and_usage() -> None:
    body = encode_response(
        answer(ir.Thinking("Let me see.", signature="EqQBCgIYAhIM"), ir.Text("Hi"), ir.Text(" ☃")),
        VIEW,
    )
    assert body == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Let me see.", "thought": True, "thoughtSignature": "EqQBCgIYAhIM"},
                        {"text": "Hi"},
                        {"text": " ☃"},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 120,
            "candidatesTokenCount": 18,
            "totalTokenCount": 150,
            "cachedContentTokenCount": 100,
            "thoughtsTokenCount": 12,
        },
        "modelVersion": "gemini-2.5-pro",
        "responseId": "chatcmpl-9",
    }  # fmt: skip


def test_function_calls_with_ids_args_and_signatures() -> None:
    body = encode_response(
        answer(
            ir.Text("Running."),
            ir.ToolCall("call_1", "run_shell_command", '{"command": "ls"}', signature="c2ln"),
            ir.ToolCall("call_1", "read_file", '{"path": "a"}'),  # a provider repeating an id
            ir.ToolCall("", "glob", ""),
            ir.ToolCall("call_3", "write_file", "{not json"),
            ir.ToolCall("call_4", "f", "[1]", signature="not base64!"),
            stop_reason=ir.StopReason.TOOL_USE,
        ),
        VIEW,
    )
    only = candidate(body)
    assert only["finishReason"] == "STOP"  # Gemini says STOP with function calls
    assert only["content"]["parts"] == [
        {"text": "Running."},
        {"functionCall": {"id": "call_1", "name": "run_shell_command", "args": {"command": "ls"}},
         "thoughtSignature": "c2ln"},
        {"functionCall": {"id": "call_1_1_1", "name": "read_file", "args": {"path": "a"}}},
        {"functionCall": {"id": "glob_2", "name": "glob", "args": {}}},
        {"functionCall": {"id": "call_3", "name": "write_file", "args": {"_raw_arguments": "{not json"}}},
        {"functionCall": {"id": "call_4", "name": "f", "args": {"_raw_arguments": "[1]"}}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        (ir.StopReason.END, "STOP"),
        (ir.StopReason.STOP_SEQUENCE, "STOP"),
        (ir.StopReason.PAUSE, "STOP"),
        (ir.StopReason.MAX_TOKENS, "MAX_TOKENS"),
        (ir.StopReason.CONTENT_FILTER, "SAFETY"),
        (None, "STOP"),
    ],
)
def test_finish_reasons(reason: ir.StopReason | None, finish: str) -> None:
    assert candidate(encode_response(answer(ir.Text("x"), stop_reason=reason), VIEW))["finishReason"] == finish  # fmt: skip


def test_empty_answer_and_opaque_thinking() -> None:
    body = encode_response(
        answer(ir.Thinking(redacted="R"), ir.Thinking(encrypted="gAAA"), ir.Text(""), usage=None),
        VIEW,
    )
    assert candidate(body)["content"]["parts"] == [{"text": ""}]
    assert body["usageMetadata"] == {"promptTokenCount": 77, "candidatesTokenCount": 0, "totalTokenCount": 77}  # fmt: skip


def test_a_written_call_comes_back_as_the_same_call() -> None:
    """What the client sends back next turn decodes to the call the provider made."""
    call = ir.ToolCall("toolu_01", "write_file", "{oops")
    parts = candidate(encode_response(answer(call), VIEW))["content"]["parts"]
    request = decode_request({"contents": [{"role": "model", "parts": parts}]})
    assert request.messages[0].parts == (call,)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("EqQBCgIYAhIM", True), ("c2ln", True), ("abc", True), (SENTINEL_SIGNATURE, True),
     ("gAAAAB-_", True), ("EqQBCkgIARABa+/=", False), ("x", False), ("a b", False), ("", True)],
)  # fmt: skip
def test_is_base64_as_the_sdk_decodes(text: str, ok: bool) -> None:
    assert is_base64(text) is ok
    try:
        types.Part.model_validate({"text": "", "thoughtSignature": text})
    except ValueError:
        assert not ok
    else:
        assert ok


# --- the official SDK ------------------------------------------------------------------------


def sdk(body: bytes) -> genai.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith(":generateContent")
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    transport = httpx.Client(transport=httpx.MockTransport(handler))
    options = types.HttpOptions(base_url="http://test", httpx_client=transport)
    return genai.Client(api_key="x", http_options=options)


def sdk_read(response: ir.Response) -> types.GenerateContentResponse:
    body = json.dumps(encode_response(response, VIEW)).encode()
    return sdk(body).models.generate_content(model="gemini-2.5-pro", contents="hi")


def test_sdk_reads_text_thinking_and_usage() -> None:
    read = sdk_read(answer(ir.Thinking("hmm", signature="EqQBCgIYAhIM"), ir.Text("Héllo 𝄞")))
    assert read.text == "Héllo 𝄞"
    parts = read.candidates[0].content.parts  # type: ignore[index, union-attr]
    assert parts is not None
    assert parts[0].thought is True and parts[0].text == "hmm"
    assert read.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    usage = read.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (120, 18, 150)  # fmt: skip
    assert (usage.cached_content_token_count, usage.thoughts_token_count) == (100, 12)
    assert read.model_version == "gemini-2.5-pro" and read.response_id == "chatcmpl-9"


def test_sdk_reads_function_calls() -> None:
    read = sdk_read(
        answer(
            ir.ToolCall("call_1", "run_shell_command", '{"command": "ls -la"}', signature=SENTINEL_SIGNATURE),
            ir.ToolCall("call_2", "read_file", '{"path": "ä.txt"}'),
            stop_reason=ir.StopReason.TOOL_USE,
        )
    )  # fmt: skip
    calls = read.function_calls
    assert calls is not None
    assert [(c.id, c.name, c.args) for c in calls] == [
        ("call_1", "run_shell_command", {"command": "ls -la"}),
        ("call_2", "read_file", {"path": "ä.txt"}),
    ]
    assert read.candidates[0].content.parts[0].thought_signature  # type: ignore[index, union-attr]


def test_sdk_reads_max_tokens_and_an_empty_answer() -> None:
    read = sdk_read(answer(ir.Text("cut"), stop_reason=ir.StopReason.MAX_TOKENS))
    assert read.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]
    read = sdk_read(answer(usage=None))
    assert read.candidates and read.candidates[0].content and read.candidates[0].content.parts
    assert read.candidates[0].content.parts[0].text == ""
