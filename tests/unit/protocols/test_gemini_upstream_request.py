"""Neutral requests → Gemini generateContent bodies: Claude Code and Codex captures, one row per
rule, and random requests (valid for the google-genai SDK's types, or a named refusal)."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_request import decode_request as decode_anthropic
from cligate.protocols.capabilities import (
    CapabilityProfile,
    Decisions,
    StrictModeError,
    protocol_defaults,
)
from cligate.protocols.gemini.encode_request import (
    OPENING_TURN,
    SKIP_SIGNATURE,
    UNANSWERED_RESULT,
    encode_request,
)
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_responses.decode_request import decode_request as decode_responses
from cligate.protocols.tool_ids import to_anthropic_id
from tests.unit.protocols.test_claude_to_chat_properties import BODY, PROFILE
from tests.unit.protocols.test_gemini_upstream_schema import assert_gemini_schema
from tests.unit.protocols.test_responses_upstream_properties import REQUEST

CAPTURES = Path(__file__).parents[2] / "captures"
GEMINI = replace(protocol_defaults(WireProtocol.GEMINI, "gemini:m"), max_output_tokens=8192)
BODY_KEYS = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}

Json = dict[str, Any]


def encode(
    request: ir.Request, profile: CapabilityProfile = GEMINI, strict: bool = False
) -> tuple[Json, tuple[str, ...]]:
    decisions = Decisions(strict=strict)
    body = encode_request(request, "gemini-x", profile, decisions)
    return body, decisions.summary()


def assert_valid_gemini_body(body: Json) -> None:
    """What the SDK's types take, and what the API checks about turns and calls."""
    assert set(body) <= BODY_KEYS
    json.dumps(body, allow_nan=False)
    contents = [types.Content.model_validate(c) for c in body["contents"]]
    assert contents and contents[0].role == "user"
    roles = [c["role"] for c in body["contents"]]
    assert all(a != b for a, b in itertools.pairwise(roles)), roles
    assert all(c["parts"] for c in body["contents"])
    if "systemInstruction" in body:
        types.Content.model_validate(body["systemInstruction"])
    for tool in body.get("tools", []):
        types.Tool.model_validate(tool)
        for declaration in tool["functionDeclarations"]:
            assert_gemini_schema(declaration["parametersJsonSchema"])
    if "toolConfig" in body:
        types.ToolConfig.model_validate(body["toolConfig"])
    if "generationConfig" in body:
        types.GenerationConfig.model_validate(body["generationConfig"])
        assert len(body["generationConfig"].get("stopSequences", [])) <= 5
    for n, content in enumerate(body["contents"]):
        calls = [p["functionCall"] for p in content["parts"] if "functionCall" in p]
        for part in content["parts"]:
            if "functionCall" in part:
                assert part["thoughtSignature"]
                assert isinstance(part["functionCall"]["args"], dict)
        if not calls:
            continue
        # The next turn opens with one response per call, same ids and names, in order.
        following = body["contents"][n + 1]["parts"]
        responses = [p["functionResponse"] for p in following[: len(calls)]]
        assert [(r["id"], r["name"]) for r in responses] == [(c["id"], c["name"]) for c in calls]
        assert sum("functionResponse" in p for p in following) == len(calls)
        assert all(set(r["response"]) in ({"output"}, {"error"}) for r in responses)


# --- real captures ------------------------------------------------------------------------


def _captures(cli: str) -> list[Path]:
    return sorted((CAPTURES / cli).glob("*__*.json"))


@pytest.mark.parametrize("path", _captures("claude"), ids=lambda p: p.name.split("_messages")[0])
def test_claude_code_captures(path: Path) -> None:
    body = json.loads(path.read_text())["request"]["body"]
    out, summary = encode(decode_anthropic(body))
    assert_valid_gemini_body(out)
    dumped = json.dumps(out)
    assert "x-anthropic-billing-header" not in dumped and "cache_control" not in dumped
    assert "model" not in out and "stream" not in out
    system = out["systemInstruction"]["parts"]
    assert len(system) == 1 and system[0]["text"].startswith("You are a Claude agent")
    declarations = out["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == [t["name"] for t in body["tools"]]
    for declaration, tool in zip(declarations, body["tools"], strict=True):
        assert declaration["description"] == tool["description"]
        schema = declaration["parametersJsonSchema"]
        assert set(schema["properties"]) == set(tool["input_schema"]["properties"])
        assert "additionalProperties" not in json.dumps(schema)
    config = out["generationConfig"]
    assert config["maxOutputTokens"] == 8192
    thinking = body["thinking"]
    budget = -1 if thinking["type"] == "adaptive" else thinking["budget_tokens"]
    assert config["thinkingConfig"] == {"thinkingBudget": budget, "includeThoughts": True}
    assert summary[0] == "billing-header-dropped: system[0]"
    assert f"max-tokens-clamped: {body['max_tokens']} → 8192" in summary
    assert "user-id-dropped: Gemini takes no end-user id" in summary
    assert any(
        line.startswith("tool-schema-simplified: tool Agent: schema keywords $schema")
        for line in summary
    )
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_use":
                call = _find(out, "functionCall", block["id"])
                assert call["name"] == block["name"] and call["args"] == block["input"]
                response = _find(out, "functionResponse", block["id"])
                assert response["name"] == block["name"] and "output" in response["response"]


def _find(body: Json, kind: str, call_id: str) -> Json:
    for content in body["contents"]:
        for part in content["parts"]:
            if kind in part and part[kind]["id"] == call_id:
                if kind == "functionCall":
                    assert part["thoughtSignature"] == SKIP_SIGNATURE
                value: Json = part[kind]
                return value
    raise AssertionError(f"no {kind} {call_id}")


@pytest.mark.parametrize("path", _captures("codex"), ids=lambda p: p.name.split("_responses")[0])
def test_codex_captures(path: Path) -> None:
    body = json.loads(path.read_text())["request"]["body"]
    if "responses_lite" in path.name:
        with pytest.raises(ir.DecodeError, match="responses lite"):
            decode_responses(body)
        return
    decoded = decode_responses(body)
    out, summary = encode(decoded)
    assert_valid_gemini_body(out)
    if decoded.tools:
        declarations = out["tools"][0]["functionDeclarations"]
        assert [d["name"] for d in declarations] == [t.name for t in decoded.tools]
        assert "exec_command" in [d["name"] for d in declarations]
        patch = [d for d in declarations if d["name"] == "apply_patch"]
        if patch:
            schema = patch[0]["parametersJsonSchema"]
            assert list(schema["properties"]) == ["input"] and schema["required"] == ["input"]
            assert schema["properties"]["input"]["type"] == "string"
            assert "custom-tool-as-function: apply_patch" in summary
        assert out["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    else:
        assert "tools" not in out
    if any(t.get("type") == "web_search" for t in body.get("tools", [])):
        assert any(line.startswith("tools-dropped: hosted tool") for line in summary)
    effort = (body.get("reasoning") or {}).get("effort")
    if effort:
        assert out["generationConfig"]["thinkingConfig"]["includeThoughts"] is True
    for item in body["input"]:
        if item.get("type") == "function_call":
            call = _find(out, "functionCall", item["call_id"])
            assert call["name"] == item["name"] and call["args"] == json.loads(item["arguments"])
            assert _find(out, "functionResponse", item["call_id"])["name"] == item["name"]


# --- one row per rule ---------------------------------------------------------------------


def user(*parts: ir.Part) -> ir.Message:
    return ir.Message("user", parts)


def assistant(*parts: ir.Part) -> ir.Message:
    return ir.Message("assistant", parts)


def request(*messages: ir.Message, **fields: Any) -> ir.Request:
    return ir.Request(model="m", messages=messages or (user(ir.Text("hi")),), **fields)


def test_calls_and_results_pair_up() -> None:
    out, summary = encode(
        request(
            user(ir.Text("go")),
            assistant(
                ir.Text("running"),
                ir.ToolCall("c1", "Bash", '{"cmd":"ls"}', signature="sig1"),
                ir.ToolCall("c2", "Read", ""),
                ir.ToolCall("c3", "Grep", "[1]"),
            ),
            user(
                ir.ToolResult("c2", (ir.Text("file"),)),
                ir.ToolResult("c1", (ir.Text("boom"),), is_error=True),
                ir.ToolResult("zz", (ir.Text("lost"),)),
                ir.Text("and then?"),
            ),
        )
    )
    assert_valid_gemini_body(out)
    model, answers = out["contents"][1], out["contents"][2]
    assert model["parts"] == [
        {"text": "running"},
        {
            "functionCall": {"id": "c1", "name": "Bash", "args": {"cmd": "ls"}},
            "thoughtSignature": "sig1",
        },
        {
            "functionCall": {"id": "c2", "name": "Read", "args": {}},
            "thoughtSignature": SKIP_SIGNATURE,
        },
        {
            "functionCall": {"id": "c3", "name": "Grep", "args": {}},
            "thoughtSignature": SKIP_SIGNATURE,
        },
    ]
    assert answers["parts"] == [
        {"functionResponse": {"id": "c1", "name": "Bash", "response": {"error": "boom"}}},
        {"functionResponse": {"id": "c2", "name": "Read", "response": {"output": "file"}}},
        {
            "functionResponse": {
                "id": "c3",
                "name": "Grep",
                "response": {"error": UNANSWERED_RESULT},
            }
        },
        {"text": "Result of tool call zz:"},
        {"text": "lost"},
        {"text": "and then?"},
    ]
    assert "tool-arguments-not-json: tool call Grep: sent as {} (not a JSON object)" in summary
    assert "orphan-tool-result-as-text: no open tool call has id 'zz'" in summary
    assert "unanswered-tool-call-closed: tool call 'c3'" in summary


def test_mapped_ids_go_back_as_the_provider_made_them() -> None:
    mapped = to_anthropic_id("fc.1:x")
    out, _ = encode(
        request(
            user(ir.Text("go")),
            assistant(ir.ToolCall(mapped, "A", "{}")),
            user(ir.ToolResult(mapped, (ir.Text("ok"),))),
        )
    )
    assert out["contents"][1]["parts"][0]["functionCall"]["id"] == "fc.1:x"
    assert out["contents"][2]["parts"][0]["functionResponse"]["id"] == "fc.1:x"


def test_custom_tools_become_one_string_functions() -> None:
    tool = ir.ToolDef(
        "apply_patch",
        "patch",
        kind="custom",
        format={"type": "grammar", "syntax": "lark", "definition": "start: x"},
    )
    out, summary = encode(
        request(
            user(ir.Text("go")),
            assistant(ir.ToolCall("c1", "apply_patch", "*** Begin Patch", kind="custom")),
            user(ir.ToolResult("c1", (ir.Text("done"),))),
            tools=(tool,),
            tool_choice=ir.ToolChoice(ir.ToolChoiceMode.TOOL, "apply_patch"),
        )
    )
    declaration = out["tools"][0]["functionDeclarations"][0]
    assert declaration["parametersJsonSchema"]["properties"]["input"]["type"] == "string"
    assert (
        "lark grammar" in declaration["parametersJsonSchema"]["properties"]["input"]["description"]
    )
    call = out["contents"][1]["parts"][0]["functionCall"]
    assert call["args"] == {"input": "*** Begin Patch"}
    assert out["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["apply_patch"]}
    }
    assert summary == ("custom-tool-as-function: apply_patch (x2)",)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (ir.ToolChoiceMode.AUTO, {"mode": "AUTO"}),
        (ir.ToolChoiceMode.ANY, {"mode": "ANY"}),
        (ir.ToolChoiceMode.NONE, {"mode": "NONE"}),
    ],
)
def test_tool_choice(mode: ir.ToolChoiceMode, expected: Json) -> None:
    tools = (ir.ToolDef("A", parameters={"type": "object", "properties": {}}),)
    out, summary = encode(request(tools=tools, tool_choice=ir.ToolChoice(mode, parallel=False)))
    assert out["toolConfig"] == {"functionCallingConfig": expected}
    assert out["tools"] == [
        {
            "functionDeclarations": [
                {"name": "A", "parametersJsonSchema": {"type": "object", "properties": {}}}
            ]
        }
    ]
    assert summary == ("parallel-tool-control-dropped: Gemini has no control of parallel calls",)


def test_tools_the_target_cannot_take() -> None:
    tools = (ir.ToolDef("A"),)
    out, summary = encode(
        request(
            user(ir.Text("go")),
            assistant(ir.ToolCall("c1", "A", "{}")),
            user(ir.ToolResult("c1", (ir.Text("ok"),))),
            tools=tools,
        ),
        replace(GEMINI, tools=False),
    )
    assert "tools" not in out
    assert out["contents"][1]["parts"] == [{"text": "[called tool A with {}]"}]
    assert out["contents"][2]["parts"] == [{"text": "Result of tool call c1:"}, {"text": "ok"}]
    assert "tools-dropped: 1 tools" in summary
    _, summary = encode(request(tool_choice=ir.ToolChoice()))
    assert summary == ("vendor-field-dropped: tool_choice (no tools to choose)",)


def test_hosted_tools_and_extras() -> None:
    out, summary = encode(
        request(
            extras={
                "hosted_tools": [{"type": "web_search"}],
                "server_tools": [{"type": "web_search_20250305"}],
                "store": False,
                "background": True,
                "prompt_cache_key": "k",
            }
        )
    )
    assert set(out) == {"contents"}
    assert summary == (
        "tools-dropped: hosted tool web_search (x2)",
        "option-not-honoured: background: cligate keeps no state",
        "vendor-field-dropped: prompt_cache_key",
    )


def test_thinking_history_is_dropped() -> None:
    out, summary = encode(
        request(
            user(ir.Text("q")),
            assistant(ir.Thinking("hmm", signature="anthropic-sig"), ir.Text("a")),
            user(ir.Text("q2")),
            assistant(ir.Thinking("gemini thought"), ir.Thinking(redacted="x"), ir.Text("b")),
        )
    )
    assert [c["parts"] for c in out["contents"]] == [
        [{"text": "q"}],
        [{"text": "a"}],
        [{"text": "q2"}],
        [{"text": "b"}],
    ]
    assert summary == (
        "thinking-signature-dropped: signed thinking is only readable by its vendor",
        "reasoning-history-dropped: Gemini takes no thought text back (x2)",
    )


def test_media() -> None:
    out, summary = encode(
        request(
            user(
                ir.Image("image/png", data="AAAA"),
                ir.Image(url="https://x.test/cat.webp"),
                ir.Image("image/bmp", data="BB"),
                ir.Document("application/pdf", data="JVBE", cache=True),
                ir.Document(url="https://x.test/d.pdf"),
                ir.Document(text="plain", title="notes"),
            )
        )
    )
    assert out["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://x.test/cat.webp"}},
        {"text": "[image omitted: image/bmp is not supported]"},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}},
        {"fileData": {"mimeType": "application/pdf", "fileUri": "https://x.test/d.pdf"}},
        {"text": "notes\n\nplain"},
    ]
    assert summary == (
        "image-type-unsupported: image/bmp",
        "cache-hint-dropped: cache_control on a document",
        "document-as-text: notes",
    )
    out, summary = encode(
        request(user(ir.Image("image/png", data="AA"), ir.Document(data="JV"))),
        replace(GEMINI, images=False, documents=False),
    )
    assert out["contents"][0]["parts"] == [
        {"text": "[image omitted: this model does not take images]"},
        {"text": "[document omitted]"},
    ]
    assert summary == (
        "images-dropped: the target takes no images",
        "document-dropped: document",
    )


def test_tool_result_images_follow_the_responses() -> None:
    out, summary = encode(
        request(
            user(ir.Text("look")),
            assistant(ir.ToolCall("c1", "Screenshot", "{}"), ir.ToolCall("c2", "Read", "{}")),
            user(
                ir.ToolResult("c1", (ir.Image("image/png", data="PNG"),)),
                ir.ToolResult("c2", (ir.Text("text"),)),
            ),
        )
    )
    assert out["contents"][2]["parts"] == [
        {
            "functionResponse": {
                "id": "c1",
                "name": "Screenshot",
                "response": {
                    "output": "(the tool returned an image; it follows the function responses)"
                },
            }
        },
        {"functionResponse": {"id": "c2", "name": "Read", "response": {"output": "text"}}},
        {"text": "Image from the result of tool call c1:"},
        {"inlineData": {"mimeType": "image/png", "data": "PNG"}},
    ]
    assert summary == ("tool-result-image-moved: into parts after the function responses",)


def test_system_messages_turns_and_merging() -> None:
    out, summary = encode(
        request(
            assistant(ir.Text("hello"), ir.ToolCall("c1", "A", "{}")),
            ir.Message("system", (ir.Text("be brief"),)),
            user(ir.ToolResult("c1", (ir.Text("ok"),))),
            user(ir.Text("next")),
            system=(ir.Text("x-anthropic-billing-header: cc=1"), ir.Text("sys", cache=True)),
        )
    )
    assert out["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert out["contents"] == [
        {"role": "user", "parts": [{"text": OPENING_TURN}]},
        {
            "role": "model",
            "parts": [
                {"text": "hello"},
                {
                    "functionCall": {"id": "c1", "name": "A", "args": {}},
                    "thoughtSignature": SKIP_SIGNATURE,
                },
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": "c1", "name": "A", "response": {"output": "ok"}}},
                {"text": "<system-reminder>\nbe brief\n</system-reminder>"},
                {"text": "next"},
            ],
        },
    ]
    assert summary == (
        "billing-header-dropped: system[0]",
        "cache-hint-dropped: cache_control on a system block",
        "system-message-moved: into a user turn",
        "user-turn-inserted: the conversation did not start with a user turn: a 'Continue.'"
        " user turn was put first",
    )


def test_duplicate_call_ids_are_refused() -> None:
    with pytest.raises(ir.DecodeError, match="duplicate tool call id"):
        encode(
            request(
                user(ir.Text("q")),
                assistant(ir.ToolCall("c", "A", "{}"), ir.ToolCall("c", "B", "{}")),
            )
        )


def test_generation_config() -> None:
    out, summary = encode(
        request(
            max_tokens=100_000,
            temperature=0.3,
            top_p=0.9,
            top_k=40,
            stop=("a", "b", "c", "d", "e", "f", "g"),
            output_format=ir.OutputFormat({"type": "object", "additionalProperties": False}),
            user="u-1",
        )
    )
    assert out["generationConfig"] == {
        "temperature": 0.3,
        "topP": 0.9,
        "topK": 40,
        "maxOutputTokens": 8192,
        "stopSequences": ["a", "b", "c", "d", "e"],
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "additionalProperties": False},
    }
    assert summary == (
        "max-tokens-clamped: 100000 → 8192",
        "stop-sequences-dropped: 2 beyond the first 5",
        "user-id-dropped: Gemini takes no end-user id",
    )
    limited = replace(GEMINI, top_k=False, stop_sequences=False, structured_output=False)
    out, summary = encode(
        request(top_k=3, stop=("x",), output_format=ir.OutputFormat({"type": "object"})), limited
    )
    assert out["generationConfig"] == {"responseMimeType": "application/json"}
    assert summary == (
        "top-k-dropped: top_k=3",
        "stop-sequences-dropped: all 1",
        "structured-output-as-json-mode: a JSON schema",
    )


@pytest.mark.parametrize(
    ("thinking", "expected"),
    [
        (
            ir.ThinkingConfig(True, budget_tokens=2048),
            {"thinkingBudget": 2048, "includeThoughts": True},
        ),
        (ir.ThinkingConfig(True, adaptive=True), {"thinkingBudget": -1, "includeThoughts": True}),
        (
            ir.ThinkingConfig(True, effort=ir.Effort.LOW),
            {"thinkingBudget": 2048, "includeThoughts": True},
        ),
        (ir.ThinkingConfig(False, effort=ir.Effort.HIGH), {"thinkingBudget": 16384}),
    ],
)
def test_thinking_config(thinking: ir.ThinkingConfig, expected: Json) -> None:
    out, summary = encode(request(thinking=thinking))
    assert out["generationConfig"]["thinkingConfig"] == expected
    assert summary == ()


def test_thinking_off_is_left_to_the_model() -> None:
    # A zero budget is refused by Gemini models that only run thinking: no config is sent.
    out, summary = encode(request(thinking=ir.ThinkingConfig(False)))
    assert "thinkingConfig" not in out.get("generationConfig", {})
    assert summary == ("thinking-left-to-model: thinking off: left to the model",)


@pytest.mark.parametrize(
    ("thinking", "line"),
    [
        (ir.ThinkingConfig(True, budget_tokens=2048), "thinking-not-supported: a budget of 2048"),
        (ir.ThinkingConfig(True, adaptive=True), "thinking-left-to-model: effort adaptive"),
        (ir.ThinkingConfig(False, effort=ir.Effort.HIGH), "thinking-left-to-model: effort high"),
    ],
)
def test_thinking_without_reasoning(thinking: ir.ThinkingConfig, line: str) -> None:
    out, summary = encode(request(thinking=thinking), replace(GEMINI, reasoning_effort=False))
    assert "generationConfig" not in out
    assert summary == (line,)


def test_strict_mode_refuses_lossy_rules() -> None:
    with pytest.raises(StrictModeError, match="stop-sequences-dropped"):
        encode(request(stop=tuple("abcdef")), strict=True)
    out, _ = encode(
        request(user="u", tools=(ir.ToolDef("A", parameters={"$schema": "x"}),)), strict=True
    )
    assert out["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"] == {
        "type": "object",
        "properties": {},
    }


# --- random requests ----------------------------------------------------------------------

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(request=REQUEST, profile=PROFILE, strict=st.booleans())
def test_neutral_requests_become_valid_bodies(
    request: ir.Request, profile: CapabilityProfile, strict: bool
) -> None:
    try:
        out, _ = encode(request, profile, strict)
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        assert "duplicate tool call id" in str(exc)
        return
    assert_valid_gemini_body(out)


@SETTINGS
@given(body=BODY, profile=PROFILE, strict=st.booleans())
def test_anthropic_requests_become_valid_bodies(
    body: Json, profile: CapabilityProfile, strict: bool
) -> None:
    try:
        out, _ = encode(decode_anthropic(body), profile, strict)
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        assert "duplicate tool" in str(exc)
        return
    assert_valid_gemini_body(out)
