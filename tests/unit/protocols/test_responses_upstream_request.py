"""Neutral requests → OpenAI Responses bodies: Claude Code captures and golden rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_request import decode_request
from cligate.protocols.capabilities import CapabilityProfile, Decisions, StrictModeError
from cligate.protocols.openai_responses.decode_response import decode_response
from cligate.protocols.openai_responses.encode_request import UNANSWERED_RESULT, encode_request
from cligate.protocols.tool_ids import to_anthropic_id

CAPTURES = sorted((Path(__file__).parents[2] / "captures" / "claude").glob("*__*.json"))
REASONING = CapabilityProfile(reasoning_effort=True)


def _capture(name: str) -> dict[str, Any]:
    path = next(p for p in CAPTURES if p.name.startswith(name))
    body: dict[str, Any] = json.loads(path.read_text())["request"]["body"]
    return body


def encode(
    request: ir.Request, profile: CapabilityProfile | None = None, strict: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    decisions = Decisions(strict=strict)
    body = encode_request(request, "gpt-x", profile or CapabilityProfile(), decisions)
    return body, decisions.summary()


def translate(
    body: dict[str, Any], profile: CapabilityProfile | None = None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    return encode(decode_request(body), profile)


# --- real Claude Code captures ------------------------------------------------------------


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name.split("_messages")[0])
def test_capture_translates(path: Path) -> None:
    body = json.loads(path.read_text())["request"]["body"]
    profile = CapabilityProfile(max_output_tokens=8192, reasoning_effort=True)
    out, summary = translate(body, profile)
    dumped = json.dumps(out)
    assert "x-anthropic-billing-header" not in dumped and "cache_control" not in dumped
    assert out["instructions"].startswith("You are a Claude agent")
    assert out["tools"] == [
        {
            "type": "function",
            "name": tool["name"],
            "description": tool["description"],
            "parameters": tool["input_schema"],
            "strict": False,
        }
        for tool in body["tools"]
    ]
    assert out["reasoning"] == {"effort": "high"}
    assert out["max_output_tokens"] == 8192
    assert out["store"] is False and out["include"] == ["reasoning.encrypted_content"]
    assert out["stream"] is True
    assert "safety_identifier" not in out and "user" not in out
    assert summary[0] == "billing-header-dropped: system[0]"
    assert len([line for line in summary if line.startswith("cache-hint-dropped")]) == 1
    assert f"max-tokens-clamped: {body['max_tokens']} → 8192" in summary
    assert "user-id-dropped: not a plain end-user id" in summary
    assert "vendor-field-dropped: context_management" in summary
    assert set(out) <= {
        "model",
        "instructions",
        "input",
        "tools",
        "max_output_tokens",
        "reasoning",
        "store",
        "include",
        "stream",
    }
    for item in out["input"]:
        assert item["type"] in ("message", "function_call", "function_call_output")
        if item["type"] == "message":
            assert item["role"] in ("user", "developer", "assistant") and item["content"]


def test_capture_tool_call_and_result_share_a_call_id() -> None:
    body = _capture("tool__02")
    out, summary = translate(body)
    call_id = body["messages"][2]["content"][1]["id"]
    assert [(i["type"], i.get("role")) for i in out["input"]] == [
        ("message", "user"),
        ("message", "developer"),
        ("message", "assistant"),
        ("function_call", None),
        ("function_call_output", None),
    ]
    assert out["input"][2:] == [
        {
            "type": "message",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "I will create the file.", "annotations": []}
            ],
        },
        {
            "type": "function_call",
            "call_id": call_id,
            "name": "Bash",
            "arguments": '{"command":"echo hello > out.txt",'
            '"description":"Run a shell command requested by the mock"}',
        },
        {
            "type": "function_call_output",
            "call_id": call_id,
            "output": "(Bash completed with no output)",
        },
    ]
    assert out["input"][1]["content"][0]["text"].startswith("Available agent types")
    # The system blocks' and the tool result's hints: one line, with a count.
    assert "cache-hint-dropped: cache_control on a system block (x3)" in summary


def test_capture_budget_thinking_maps_to_effort() -> None:
    out, _ = translate(_capture("bearer_sonnet__01"), REASONING)
    assert out["reasoning"] == {"effort": "high"}  # 31999: the top of the scale
    assert out["max_output_tokens"] == 32000  # no clamp without a profile limit


def test_capture_without_reasoning_profile() -> None:
    out, summary = translate(_capture("plain__01"))
    assert "reasoning" not in out and "include" not in out and out["store"] is False
    assert "thinking-left-to-model: effort high" in summary
    out, summary = translate(_capture("bearer_sonnet__01"))
    assert "thinking-not-supported: a budget of 31999" in summary


def test_output_is_deterministic() -> None:
    body = _capture("tool__02")
    assert translate(body) == translate(body)


# --- golden rows --------------------------------------------------------------------------


def user(*parts: ir.Part) -> ir.Message:
    return ir.Message("user", parts)


def assistant(*parts: ir.Part) -> ir.Message:
    return ir.Message("assistant", parts)


def system(text: str) -> ir.Message:
    return ir.Message("system", (ir.Text(text),))


def req(*messages: ir.Message, **fields: Any) -> ir.Request:
    return ir.Request(model="m", messages=messages or (user(ir.Text("hi")),), **fields)


def text_in(text: str, role: str = "user") -> dict[str, Any]:
    part: dict[str, Any] = {"type": "input_text", "text": text}
    if role == "assistant":
        part = {"type": "output_text", "text": text, "annotations": []}
    return {"type": "message", "role": role, "content": [part]}


def body(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-x", **fields, "input": list(items) or [text_in("hi")], "store": False}


def call(call_id: str, name: str = "Bash", arguments: str = "{}") -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def output(call_id: str, out: Any, kind: str = "function_call_output") -> dict[str, Any]:
    return {"type": kind, "call_id": call_id, "output": out}


def result(call_id: str, *content: ir.Text | ir.Image, error: bool = False) -> ir.ToolResult:
    return ir.ToolResult(call_id, content, is_error=error)


PNG = ir.Image(media_type="image/png", data="AAAA")
PNG_PART = {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"}
BASH = ir.ToolDef("Bash", "Run a command", {"type": "object"})
PATCH = ir.ToolDef(
    "apply_patch",
    "Edit files",
    kind="custom",
    format={"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
)
PATCH_TOOL = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Edit files",
    "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
}
BASH_TOOL = {
    "type": "function",
    "name": "Bash",
    "description": "Run a command",
    "parameters": {"type": "object"},
    "strict": False,
}
WEB_SEARCH = {"type": "web_search", "search_context_size": "low"}
ASK = user(ir.Text("go"))

ROWS: dict[str, tuple[ir.Request, CapabilityProfile, dict[str, Any], tuple[str, ...]]] = {
    "plain text": (req(), CapabilityProfile(), body(), ()),
    "system joined, billing header and cache hint dropped": (
        req(
            system=(
                ir.Text("x-anthropic-billing-header: cc_version=1"),
                ir.Text("You are helpful.", cache=True),
                ir.Text("Be brief."),
            )
        ),
        CapabilityProfile(),
        body(instructions="You are helpful.\n\nBe brief."),
        (
            "billing-header-dropped: system[0]",
            "cache-hint-dropped: cache_control on a system block",
        ),
    ),
    "mid-conversation system message in place": (
        req(user(ir.Text("a")), system("note"), assistant(ir.Text("b"))),
        CapabilityProfile(),
        body(text_in("a"), text_in("note", "developer"), text_in("b", "assistant")),
        (),
    ),
    "system message between calls and results waits": (
        req(
            ASK,
            assistant(ir.ToolCall("c1", "Bash", '{"command":"ls"}')),
            system("reminder"),
            user(result("c1", ir.Text("out"))),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            call("c1", arguments='{"command":"ls"}'),
            output("c1", "out"),
            text_in("reminder", "developer"),
        ),
        ("system-message-moved: a system message between tool calls and results",),
    ),
    "user images and text": (
        req(user(ir.Text("look"), PNG, ir.Image(url="https://x.test/a.jpg", cache=True))),
        CapabilityProfile(),
        body(
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "look"},
                    PNG_PART,
                    {"type": "input_image", "image_url": "https://x.test/a.jpg", "detail": "auto"},
                ],
            }
        ),
        ("cache-hint-dropped: cache_control on an image",),
    ),
    "images the target cannot take": (
        req(user(ir.Image(media_type="image/bmp", data="Qk0"), ir.Image(url="https://x.test/b"))),
        CapabilityProfile(image_urls=False),
        body(
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "[image omitted: image/bmp is not supported]"},
                    {"type": "input_text", "text": "[image omitted: https://x.test/b]"},
                ],
            }
        ),
        ("image-type-unsupported: image/bmp (x2)",),
    ),
    "no images at all": (
        req(user(PNG)),
        CapabilityProfile(images=False),
        body(text_in("[image omitted: this model does not take images]")),
        ("images-dropped: the target takes no images",),
    ),
    "documents": (
        req(
            user(
                ir.Document(text="notes", title="a.txt"),
                ir.Document(media_type="application/pdf", data="JVBE", title="b.pdf"),
                ir.Document(url="https://x.test/c.pdf"),
            )
        ),
        CapabilityProfile(documents=True),
        body(
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "a.txt\n\nnotes"},
                    {
                        "type": "input_file",
                        "filename": "b.pdf",
                        "file_data": "data:application/pdf;base64,JVBE",
                    },
                    {"type": "input_file", "file_url": "https://x.test/c.pdf"},
                ],
            }
        ),
        ("document-as-text: a.txt",),
    ),
    "documents the target cannot take": (
        req(user(ir.Document(media_type="application/pdf", data="JVBE"))),
        CapabilityProfile(),
        body(text_in("[document omitted]")),
        ("document-dropped: document",),
    ),
    "call and result paired, mapped id restored": (
        req(
            ASK,
            assistant(
                ir.Text("Running."),
                ir.ToolCall(to_anthropic_id("functions.Bash:0"), "Bash", '{"a":1}'),
            ),
            user(result(to_anthropic_id("functions.Bash:0"), ir.Text("done")), ir.Text("next")),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            text_in("Running.", "assistant"),
            call("functions.Bash:0", arguments='{"a":1}'),
            output("functions.Bash:0", "done"),
            text_in("next"),
        ),
        (),
    ),
    "results written in call order whatever their order": (
        req(
            ASK,
            assistant(ir.ToolCall("c1", "A", "{}"), ir.ToolCall("c2", "B", "")),
            user(result("c2", ir.Text("two")), result("c1", ir.Text("one"))),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            call("c1", "A"),
            call("c2", "B"),  # empty arguments: {}
            output("c1", "one"),
            output("c2", "two"),
        ),
        (),
    ),
    "image in a tool result stays in its output": (
        req(ASK, assistant(ir.ToolCall("c1", "Shot", "{}")), user(result("c1", ir.Text("a"), PNG))),
        CapabilityProfile(),
        body(
            text_in("go"),
            call("c1", "Shot"),
            output("c1", [{"type": "input_text", "text": "a"}, PNG_PART]),
        ),
        (),
    ),
    "error result": (
        req(ASK, assistant(ir.ToolCall("c1", "A", "{}")), user(result("c1", error=True))),
        CapabilityProfile(),
        body(text_in("go"), call("c1", "A"), output("c1", "Error:")),
        ("tool-error-flag-as-text: Responses has no tool error flag",),
    ),
    "error result with an image": (
        req(
            ASK,
            assistant(ir.ToolCall("c1", "A", "{}")),
            user(result("c1", PNG, ir.Text("bad"), error=True)),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            call("c1", "A"),
            output(
                "c1",
                [
                    {"type": "input_text", "text": "Error:"},
                    PNG_PART,
                    {"type": "input_text", "text": "bad"},
                ],
            ),
        ),
        ("tool-error-flag-as-text: Responses has no tool error flag",),
    ),
    "orphan result becomes text": (
        req(user(result("gone", ir.Text("old")), ir.Text("hi"))),
        CapabilityProfile(),
        body(
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Result of tool call gone:"},
                    {"type": "input_text", "text": "old"},
                    {"type": "input_text", "text": "hi"},
                ],
            }
        ),
        ("orphan-tool-result-as-text: no open tool call has id 'gone'",),
    ),
    "unanswered calls are closed": (
        req(
            ASK,
            assistant(ir.ToolCall("c1", "A", "{}"), ir.ToolCall("c2", "P", "x", kind="custom")),
            user(ir.Text("never mind")),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            call("c1", "A"),
            {"type": "custom_tool_call", "call_id": "c2", "name": "P", "input": "x"},
            output("c1", UNANSWERED_RESULT),
            output("c2", UNANSWERED_RESULT, "custom_tool_call_output"),
            text_in("never mind"),
        ),
        ("unanswered-tool-call-closed: tool call 'c1' (x2)",),
    ),
    "a final assistant turn's calls are closed": (
        req(ASK, assistant(ir.ToolCall("c1", "A", "{}"))),
        CapabilityProfile(),
        body(text_in("go"), call("c1", "A"), output("c1", UNANSWERED_RESULT)),
        ("unanswered-tool-call-closed: tool call 'c1'",),
    ),
    "custom tool, call and result": (
        req(
            ASK,
            assistant(ir.ToolCall("c9", "apply_patch", "*** Begin Patch\n", kind="custom")),
            user(result("c9", ir.Text("applied"))),
            tools=(PATCH, BASH),
        ),
        CapabilityProfile(),
        body(
            text_in("go"),
            {
                "type": "custom_tool_call",
                "call_id": "c9",
                "name": "apply_patch",
                "input": "*** Begin Patch\n",
            },
            output("c9", "applied", "custom_tool_call_output"),
            tools=[PATCH_TOOL, BASH_TOOL],
        ),
        (),
    ),
    "encrypted reasoning goes back before the output": (
        req(
            ASK,
            assistant(
                ir.Thinking("I should list.", encrypted="gAAA1"),
                ir.Text("Listing."),
                ir.ToolCall("c1", "Bash", "{}"),
            ),
            user(result("c1", ir.Text("a b"))),
        ),
        REASONING,
        body(
            text_in("go"),
            {
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "I should list."}],
                "encrypted_content": "gAAA1",
            },
            text_in("Listing.", "assistant"),
            call("c1"),
            output("c1", "a b"),
            include=["reasoning.encrypted_content"],
        ),
        (),
    ),
    "encrypted reasoning without a summary": (
        req(ASK, assistant(ir.Thinking(encrypted="gAAA2"), ir.Text("ok"))),
        REASONING,
        body(
            text_in("go"),
            {"type": "reasoning", "summary": [], "encrypted_content": "gAAA2"},
            text_in("ok", "assistant"),
            include=["reasoning.encrypted_content"],
        ),
        (),
    ),
    "encrypted reasoning for a model that does not think": (
        req(ASK, assistant(ir.Thinking("t", encrypted="gAAA3"), ir.Text("ok"))),
        CapabilityProfile(),
        body(text_in("go"), text_in("ok", "assistant")),
        ("reasoning-history-dropped: encrypted reasoning, for a model that does not think",),
    ),
    "another vendor's thinking is dropped": (
        req(
            ASK,
            assistant(ir.Thinking("signed", signature="sig"), ir.Text("a")),
            ASK,
            assistant(ir.Thinking("chat reasoning"), ir.Thinking(redacted="opaque")),
        ),
        REASONING,
        body(
            text_in("go"),
            text_in("a", "assistant"),
            text_in("go"),
            include=["reasoning.encrypted_content"],
        ),
        (
            "thinking-signature-dropped: signed thinking is only readable by Anthropic",
            "reasoning-history-dropped: reasoning without encrypted content: Responses takes "
            "only its own (x2)",
        ),
    ),
    "empty text writes no item": (
        req(ASK, assistant(ir.Text("")), user(ir.Text(""))),
        CapabilityProfile(),
        body(text_in("go")),
        (),
    ),
    "tool parts in the wrong turn": (
        req(user(ir.Text("a"), ir.ToolCall("c", "A", "{}")), assistant(PNG, ir.Text("b"))),
        CapabilityProfile(),
        body(text_in("a"), text_in("b", "assistant")),
        ("vendor-field-dropped: a ToolCall in a user turn (x2)",),
    ),
    "tools and a named choice, one call at a time": (
        req(
            tools=(BASH, PATCH),
            tool_choice=ir.ToolChoice(ir.ToolChoiceMode.TOOL, "apply_patch", parallel=False),
        ),
        CapabilityProfile(),
        body(
            tools=[BASH_TOOL, PATCH_TOOL],
            tool_choice={"type": "custom", "name": "apply_patch"},
            parallel_tool_calls=False,
        ),
        (),
    ),
    "required choice, parallel control the target lacks": (
        req(tools=(BASH,), tool_choice=ir.ToolChoice(ir.ToolChoiceMode.ANY, parallel=False)),
        CapabilityProfile(parallel_tool_calls=False),
        body(tools=[BASH_TOOL], tool_choice="required"),
        ("parallel-tool-control-dropped: the target takes no parallel_tool_calls",),
    ),
    "named function choice and none": (
        req(tools=(BASH,), tool_choice=ir.ToolChoice(ir.ToolChoiceMode.TOOL, "Bash")),
        CapabilityProfile(),
        body(tools=[BASH_TOOL], tool_choice={"type": "function", "name": "Bash"}),
        (),
    ),
    "tool choice without tools": (
        req(tool_choice=ir.ToolChoice(ir.ToolChoiceMode.NONE)),
        CapabilityProfile(),
        body(),
        ("vendor-field-dropped: tool_choice (no tools to choose)",),
    ),
    "a target without tools reads calls as text": (
        req(
            ASK,
            assistant(ir.ToolCall("c1", "Bash", '{"a":1}')),
            user(result("c1", ir.Text("out"))),
            tools=(BASH,),
            extras={"hosted_tools": [WEB_SEARCH]},
        ),
        CapabilityProfile(tools=False),
        body(
            text_in("go"),
            text_in('[called tool Bash with {"a":1}]', "assistant"),
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Result of tool call c1:"},
                    {"type": "input_text", "text": "out"},
                ],
            },
        ),
        (
            "orphan-tool-result-as-text: no open tool call has id 'c1'",
            "tools-dropped: 2 tools",
        ),
    ),
    "hosted tools are kept, server tools and vendor fields dropped": (
        req(
            tools=(BASH,),
            tool_choice=ir.ToolChoice(ir.ToolChoiceMode.AUTO),
            extras={
                "hosted_tools": [WEB_SEARCH],
                "server_tools": [{"type": "web_search_20250305", "name": "web_search"}],
                "context_management": {"edits": []},
                "stream_options": {"include_usage": True},
                "store": True,
                "background": False,
            },
        ),
        CapabilityProfile(),
        body(tools=[BASH_TOOL, WEB_SEARCH], tool_choice="auto"),
        (
            "tools-dropped: server tool web_search_20250305",
            "vendor-field-dropped: context_management",
            "option-not-honoured: store: cligate keeps no state",
        ),
    ),
    "hosted tools alone": (
        req(extras={"hosted_tools": [WEB_SEARCH]}),
        CapabilityProfile(),
        body(tools=[WEB_SEARCH]),
        (),
    ),
    "budget thinking becomes an effort": (
        req(thinking=ir.ThinkingConfig(enabled=True, budget_tokens=3000)),
        REASONING,
        body(reasoning={"effort": "low"}, include=["reasoning.encrypted_content"]),
        (),
    ),
    "adaptive thinking asks for medium": (
        req(thinking=ir.ThinkingConfig(enabled=True, adaptive=True)),
        REASONING,
        body(reasoning={"effort": "medium"}, include=["reasoning.encrypted_content"]),
        (),
    ),
    "max effort is OpenAI's high": (
        req(thinking=ir.ThinkingConfig(enabled=False, effort=ir.Effort.MAX)),
        REASONING,
        body(reasoning={"effort": "high"}, include=["reasoning.encrypted_content"]),
        (),
    ),
    "thinking off": (
        req(thinking=ir.ThinkingConfig(enabled=False)),
        REASONING,
        body(include=["reasoning.encrypted_content"]),
        (),
    ),
    "adaptive thinking, a model that does not think": (
        req(thinking=ir.ThinkingConfig(enabled=True, adaptive=True)),
        CapabilityProfile(),
        body(),
        ("thinking-left-to-model: effort medium",),
    ),
    "a budget, a model that does not think": (
        req(thinking=ir.ThinkingConfig(enabled=True, budget_tokens=20000)),
        CapabilityProfile(),
        body(),
        ("thinking-not-supported: a budget of 20000",),
    ),
    "limits and sampling": (
        req(max_tokens=50_000, temperature=0.2, top_p=0.9, top_k=40, stop=("END", "STOP")),
        CapabilityProfile(max_output_tokens=32_000),
        body(max_output_tokens=32_000, temperature=0.2, top_p=0.9),
        (
            "max-tokens-clamped: 50000 → 32000",
            "top-k-dropped: top_k=40",
            "stop-sequences-dropped: all 2: Responses has no stop",
        ),
    ),
    "a quota probe's max_tokens is raised to the minimum": (
        req(max_tokens=1),
        CapabilityProfile(),
        body(max_output_tokens=16),
        ("max-tokens-clamped: 1 → 16, the API's minimum",),
    ),
    "schema output, default name": (
        req(output_format=ir.OutputFormat(schema={"type": "object"})),
        CapabilityProfile(),
        body(
            text={"format": {"type": "json_schema", "name": "output", "schema": {"type": "object"}}}
        ),
        (),
    ),
    "schema output, named and strict": (
        req(output_format=ir.OutputFormat(schema={"type": "object"}, name="plan", strict=True)),
        CapabilityProfile(),
        body(
            text={
                "format": {
                    "type": "json_schema",
                    "name": "plan",
                    "schema": {"type": "object"},
                    "strict": True,
                }
            }
        ),
        (),
    ),
    "json mode": (
        req(output_format=ir.OutputFormat()),
        CapabilityProfile(),
        body(text={"format": {"type": "json_object"}}),
        (),
    ),
    "schema for a target without structured output": (
        req(output_format=ir.OutputFormat(schema={"type": "object"})),
        CapabilityProfile(structured_output=False),
        body(text={"format": {"type": "json_object"}}),
        ("structured-output-as-json-mode: a JSON schema",),
    ),
    "plain user id": (
        req(user="user-42"),
        CapabilityProfile(),
        body(safety_identifier="user-42"),
        (),
    ),
    "claude code's user record": (
        req(user='{"device_id":"d","session_id":"s"}'),
        CapabilityProfile(),
        body(),
        ("user-id-dropped: not a plain end-user id",),
    ),
    "a target without user ids": (
        req(user="user-42"),
        CapabilityProfile(user=False),
        body(),
        ("user-id-dropped: the target takes no end-user id",),
    ),
    "stream": (req(stream=True), CapabilityProfile(), body(stream=True), ()),
}


@pytest.mark.parametrize("name", ROWS)
def test_golden_row(name: str) -> None:
    request, profile, expected, summary = ROWS[name]
    out, got = encode(request, profile)
    assert out == expected
    assert got == summary


def test_body_key_order_is_stable() -> None:
    out, _ = encode(
        req(
            system=(ir.Text("s"),),
            tools=(BASH,),
            max_tokens=100,
            thinking=ir.ThinkingConfig(enabled=True, adaptive=True),
            stream=True,
        ),
        REASONING,
    )
    assert list(out) == [
        "model",
        "instructions",
        "input",
        "tools",
        "max_output_tokens",
        "reasoning",
        "store",
        "include",
        "stream",
    ]


def test_strict_mode_refuses_lossy_and_allows_harmless() -> None:
    with pytest.raises(StrictModeError, match="top-k-dropped"):
        encode(req(top_k=5), strict=True)
    with pytest.raises(StrictModeError, match="stop-sequences-dropped"):
        encode(req(stop=("x",)), strict=True)
    out, summary = encode(req(max_tokens=1, user="{}"), strict=True)
    assert out["max_output_tokens"] == 16 and len(summary) == 2


def test_encrypted_reasoning_round_trip_through_an_answer() -> None:
    answer = {
        "id": "resp_1",
        "model": "gpt-x",
        "status": "completed",
        "output": [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Plan."}],
                "encrypted_content": "gAAAsecret",
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "Bash",
                "arguments": '{"command":"ls"}',
            },
        ],
    }
    response = decode_response(answer)
    follow_up = req(
        ASK, assistant(*response.parts), user(result("call_1", ir.Text("a.txt"))), stream=True
    )
    out, summary = encode(follow_up, REASONING)
    assert out["input"][1:] == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "Plan."}],
            "encrypted_content": "gAAAsecret",
        },
        call("call_1", arguments='{"command":"ls"}'),
        output("call_1", "a.txt"),
    ]
    assert summary == ()


def test_custom_call_round_trip_through_an_answer() -> None:
    answer = {
        "id": "resp_2",
        "status": "completed",
        "output": [
            {"type": "custom_tool_call", "call_id": "ct_1", "name": "apply_patch", "input": "P"}
        ],
    }
    response = decode_response(answer)
    assert response.stop_reason is ir.StopReason.TOOL_USE
    out, _ = encode(req(ASK, assistant(*response.parts), user(result("ct_1", ir.Text("ok")))))
    assert out["input"][1:] == [
        {"type": "custom_tool_call", "call_id": "ct_1", "name": "apply_patch", "input": "P"},
        output("ct_1", "ok", "custom_tool_call_output"),
    ]


def test_one_call_id_twice_in_a_turn_is_refused() -> None:
    twice = assistant(ir.ToolCall("c1", "A", "{}"), ir.ToolCall("c1", "B", "{}"))
    with pytest.raises(ir.DecodeError, match="duplicate tool call id 'c1'"):
        encode(req(ASK, twice))
    # The same id in two turns (Kimi numbers its calls anew each turn) is two calls.
    again = req(
        ASK, assistant(ir.ToolCall("c1", "A", "{}")), ASK, assistant(ir.ToolCall("c1", "A", "{}"))
    )
    out, _ = encode(again)
    assert [i["type"] for i in out["input"]].count("function_call_output") == 2
