"""Review findings in the Responses codec: each test is a bug a real Codex (or a client on an
OpenAI Responses provider) hit, checked through the encoders and the official SDK's reader."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pytest

from cligate.protocols import ir
from cligate.protocols.capabilities import CapabilityProfile, Decisions
from cligate.protocols.codecs import ClientView
from cligate.protocols.openai_responses.encode_request import encode_request
from cligate.protocols.openai_responses.encode_response import encode_response
from cligate.protocols.openai_responses.encode_stream import ResponsesStreamEncoder

VIEW = ClientView(model="gpt-5.5", created=1_700_000_000, custom_tools=frozenset({"apply_patch"}))
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"


def stream(*events: ir.StreamEvent) -> bytes:
    encoder = ResponsesStreamEncoder(VIEW)
    return b"".join(encoder.encode(event) for event in events)


def parsed(output: bytes) -> list[dict[str, Any]]:
    return [
        json.loads(line[len(b"data: ") :])
        for line in output.split(b"\n")
        if line.startswith(b"data: ")
    ]


def sdk_final(body: bytes) -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    with client.responses.stream(model="gpt-5.5", input="hi") as events:
        for _ in events:
            pass
        return events.get_final_response()


def answer(*parts: ir.Text | ir.Thinking | ir.ToolCall) -> ir.Response:
    return ir.Response("r1", "m", parts, ir.StopReason.TOOL_USE)


# --- Codex's client-run tool_search comes back as a tool_search_call ------------------------
# Codex routes a function_call named tool_search to its search handler with a function
# payload, which the handler refuses as a fatal error: the turn dies. The call must be the
# item Codex sent it as (decode_request reads tool_search_call items back the same way).


def test_streamed_tool_search_call_is_a_tool_search_call_item() -> None:
    out = stream(
        ir.StreamStarted("r1", "m"),
        ir.ToolCallDelta(0, "call_S", "tool_search", '{"query": "cal'),
        ir.ToolCallDelta(0, arguments='endar", "limit": 3}'),
        ir.StreamFinished(ir.StopReason.TOOL_USE),
    )
    events = parsed(out)
    assert not [e for e in events if e["type"].startswith("response.function_call")]
    added = next(e for e in events if e["type"] == "response.output_item.added")
    done = next(e for e in events if e["type"] == "response.output_item.done")
    assert added["item"]["type"] == "tool_search_call"
    assert added["item"]["id"] == done["item"]["id"]
    assert done["item"] == {
        "id": done["item"]["id"],
        "type": "tool_search_call",
        "call_id": "call_S",
        "execution": "client",
        "arguments": {"query": "calendar", "limit": 3},
        "status": "completed",
    }
    assert events[-1]["response"]["output"] == [done["item"]]
    (item,) = sdk_final(out).output
    assert item.type == "tool_search_call"
    assert item.call_id == "call_S"
    assert item.arguments == {"query": "calendar", "limit": 3}


def test_whole_tool_search_call_is_a_tool_search_call_item() -> None:
    body = encode_response(answer(ir.ToolCall("call_S", "tool_search", '{"query": "x"}')), VIEW)
    (item,) = body["output"]
    assert item["type"] == "tool_search_call"
    assert item["call_id"] == "call_S"
    assert item["execution"] == "client"
    assert item["arguments"] == {"query": "x"}


def test_tool_search_arguments_that_do_not_parse_are_passed_on_as_text() -> None:
    body = encode_response(answer(ir.ToolCall("call_S", "tool_search", "calendar")), VIEW)
    assert body["output"][0]["arguments"] == "calendar"  # Codex tells the model, no crash


# --- a custom tool's input from slightly wrong JSON -----------------------------------------
# Models often put raw newlines inside JSON strings, or answer with the bare JSON string: the
# patch then reached apply_patch still wrapped ('{"input": "*** Begin Patch…') and failed.


@pytest.mark.parametrize(
    "arguments",
    [
        '{"input": "' + PATCH + '"}',  # raw newlines inside the string
        json.dumps(PATCH),  # the bare JSON string
        json.dumps({"patch": PATCH}),  # the one string under another name
    ],
    ids=["raw-newlines", "bare-string", "other-key"],
)
def test_custom_input_from_slightly_wrong_json_is_unwrapped(arguments: str) -> None:
    out = stream(
        ir.StreamStarted("r1", "m"),
        ir.ToolCallDelta(0, "call_P", "apply_patch", arguments),
        ir.StreamFinished(ir.StopReason.TOOL_USE),
    )
    (item,) = sdk_final(out).output
    assert item.type == "custom_tool_call"
    assert item.input == PATCH
    whole = encode_response(answer(ir.ToolCall("call_P", "apply_patch", arguments)), VIEW)
    assert whole["output"][0]["input"] == PATCH


def test_custom_input_that_is_other_json_is_kept() -> None:
    arguments = json.dumps({"a": "x", "b": "y"})
    whole = encode_response(answer(ir.ToolCall("call_P", "apply_patch", arguments)), VIEW)
    assert whole["output"][0]["input"] == arguments


# --- a reasoning model on OpenAI refuses sampling options -----------------------------------
# gpt-5 and the o-series answer 400 to top_p and to a temperature other than 1; Gemini CLI
# sends temperature 1 and topP 0.95 on every request.


def test_reasoning_model_gets_no_sampling_options() -> None:
    request = ir.Request(
        model="gemini-2.5-pro",
        messages=(ir.Message("user", (ir.Text("hi"),)),),
        temperature=0.7,
        top_p=0.95,
    )
    decisions = Decisions(strict=False)
    body = encode_request(request, "gpt-5", CapabilityProfile(reasoning_effort=True), decisions)
    assert "temperature" not in body
    assert "top_p" not in body
    assert decisions.summary() == (
        "sampling-option-dropped: temperature 0.7: a reasoning model takes only the default (x2)",
    )


def test_reasoning_model_default_sampling_is_dropped_silently() -> None:
    request = ir.Request(
        model="m", messages=(ir.Message("user", (ir.Text("hi"),)),), temperature=1, top_p=1
    )
    decisions = Decisions(strict=True)  # nothing is lost: strict mode has nothing to refuse
    body = encode_request(request, "gpt-5", CapabilityProfile(reasoning_effort=True), decisions)
    assert "temperature" not in body and "top_p" not in body
    assert not decisions.recorded


# --- errors Codex tells apart ---------------------------------------------------------------


def test_quota_error_keeps_its_code() -> None:
    # Codex stops with "quota exceeded" for this code; rate_limit_exceeded makes it retry.
    encoder = ResponsesStreamEncoder(VIEW)
    out = encoder.fail(ir.ErrorInfo(429, "You exceeded your quota", "insufficient_quota"))
    assert parsed(out)[-1]["response"]["error"]["code"] == "insufficient_quota"
