"""Neutral answers → a Responses ``response`` object, and the official SDK reading it."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pytest

from cligate.protocols import ir
from cligate.protocols.codecs import ClientView
from cligate.protocols.openai_chat.decode_response import decode_response as from_chat
from cligate.protocols.openai_responses.encode_response import encode_response

VIEW = ClientView(model="gpt-5.5", created=1_700_000_000, custom_tools=frozenset({"apply_patch"}))
PATCH = "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\n"
USAGE = ir.Usage(input_tokens=100, output_tokens=20, cache_read_tokens=60, reasoning_tokens=5)


def answer(*parts: Any, stop: ir.StopReason = ir.StopReason.END) -> ir.Response:
    return ir.Response("chatcmpl-9", "gpt-5.5", tuple(parts), stop, USAGE)


def test_every_kind_of_item() -> None:
    response = answer(
        ir.Thinking(text="hmm", encrypted="gAAA"),
        ir.Text("Doing "),
        ir.Text("it."),
        ir.ToolCall("call_1", "exec_command", '{"cmd": "ls"}'),
        ir.ToolCall("call_2", "apply_patch", json.dumps({"input": PATCH})),
        ir.ToolCall("call_3", "other", "free text", "custom"),
        stop=ir.StopReason.TOOL_USE,
    )
    body = encode_response(response, VIEW)
    assert body == {
        "id": "resp_chatcmpl-9",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "model": "gpt-5.5",
        "output": [
            {"id": "rs_chatcmpl9_0", "type": "reasoning",
             "summary": [{"type": "summary_text", "text": "hmm"}], "encrypted_content": "gAAA"},
            {"id": "msg_chatcmpl9_1", "type": "message", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "Doing it.", "annotations": []}]},
            {"id": "fc_chatcmpl9_2", "type": "function_call", "call_id": "call_1",
             "name": "exec_command", "arguments": '{"cmd": "ls"}', "status": "completed"},
            {"id": "ctc_chatcmpl9_3", "type": "custom_tool_call", "call_id": "call_2",
             "name": "apply_patch", "input": PATCH},
            {"id": "ctc_chatcmpl9_4", "type": "custom_tool_call", "call_id": "call_3",
             "name": "other", "input": "free text"},
        ],
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 0},
            "output_tokens": 20,
            "output_tokens_details": {"reasoning_tokens": 5},
            "total_tokens": 120,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [
        (ir.StopReason.MAX_TOKENS, "incomplete", "max_output_tokens"),
        (ir.StopReason.CONTENT_FILTER, "incomplete", "content_filter"),
        (ir.StopReason.STOP_SEQUENCE, "completed", None),
        (ir.StopReason.PAUSE, "completed", None),
        (None, "completed", None),
    ],
)
def test_status(stop: ir.StopReason | None, status: str, reason: str | None) -> None:
    body = encode_response(ir.Response("r", "m", (ir.Text("x"),), stop), VIEW)
    assert body["status"] == status
    assert body["incomplete_details"] == ({"reason": reason} if reason else None)


def test_empty_answer_has_one_empty_message_and_ids_without_prefix_get_one() -> None:
    body = encode_response(ir.Response("", "m", (), ir.StopReason.END), VIEW)
    assert body["id"] == "resp_cligate"
    assert body["output"] == [
        {"id": "msg_cligate_0", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "", "annotations": []}]}
    ]  # fmt: skip
    assert body["usage"]["total_tokens"] == 0


def test_anthropic_signature_and_redacted_thinking_are_carried() -> None:
    body = encode_response(
        answer(ir.Thinking(text="t", signature="SIG"), ir.Thinking(redacted="R")), VIEW
    )
    assert [i.get("encrypted_content") for i in body["output"]] == [
        "cligate:signature:SIG",
        "cligate:redacted:R",
    ]
    assert body["output"][1]["summary"] == []


def test_sdk_reads_the_response() -> None:
    chat = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "Patching.",
                    "reasoning_content": "Need a patch.",
                    "tool_calls": [
                        {"id": "call_9", "type": "function",
                         "function": {"name": "apply_patch",
                                      "arguments": json.dumps({"input": PATCH})}},
                        {"id": "call_8", "type": "function",
                         "function": {"name": "exec_command", "arguments": '{"cmd":"ls"}'}},
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }  # fmt: skip
    body = json.dumps(encode_response(from_chat(chat), VIEW)).encode()

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "application/json"}, content=body)

    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    response = client.responses.create(model="gpt-5.5", input="hi")
    assert response.status == "completed"
    assert [item.type for item in response.output] == [
        "reasoning",
        "message",
        "custom_tool_call",
        "function_call",
    ]
    reasoning, _, patch, call = response.output
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "Need a patch."
    assert response.output_text == "Patching."
    assert patch.type == "custom_tool_call"
    assert patch.input == PATCH
    assert call.type == "function_call"
    assert call.arguments == '{"cmd":"ls"}'
    assert response.usage is not None
    assert response.usage.total_tokens == 15
