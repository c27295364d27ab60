"""Codex's Responses requests → neutral → Chat Completions and Anthropic bodies: the real
captures, then golden rows for each rule of the decoder."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_request import encode_request as to_anthropic
from cligate.protocols.capabilities import CapabilityProfile, Decisions, Rule, protocol_defaults
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.encode_request import encode_request as to_chat
from cligate.protocols.openai_responses.decode_request import decode_request

CAPTURES = Path(__file__).parents[2] / "captures" / "codex"
STANDARD = sorted(p.name for p in CAPTURES.glob("*__*.json") if "lite" not in p.name)
LITE = sorted(p.name for p in CAPTURES.glob("*lite__*.json"))
CHAT = replace(protocol_defaults(WireProtocol.OPENAI_CHAT, "chat:m"), reasoning_effort=True)
ANTHROPIC = protocol_defaults(WireProtocol.ANTHROPIC, "anthropic:m")


@cache
def capture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((CAPTURES / name).read_text())["request"]["body"]
    return body


def for_chat(request: ir.Request, profile: CapabilityProfile = CHAT) -> tuple[Any, Decisions]:
    decisions = Decisions()
    return to_chat(request, "m", profile, decisions), decisions


def for_anthropic(request: ir.Request) -> tuple[Any, Decisions]:
    decisions = Decisions()
    return to_anthropic(request, "m", ANTHROPIC, decisions), decisions


def rules(decisions: Decisions) -> dict[Rule, str]:
    return {d.rule: d.detail for d in decisions.recorded}


# --- real Codex captures -------------------------------------------------------------------


def test_the_captures_are_there() -> None:
    assert len(STANDARD) == 5
    assert len(LITE) == 2


@pytest.mark.parametrize("name", STANDARD)
def test_capture_decodes(name: str) -> None:
    body = capture(name)
    request = decode_request(body)
    developer = [i for i in body["input"] if i.get("role") == "developer"]
    assert len(developer) == 2
    # every text of both leading developer messages, in order
    assert [t.text for t in request.system] == [p["text"] for i in developer for p in i["content"]]
    assert request.system[0].text.startswith("You are")
    assert all(m.role != "system" for m in request.messages)
    assert request.messages[0].role == "user"
    assert request.stream is True
    assert request.model == body["model"]
    assert request.tool_choice == ir.ToolChoice(ir.ToolChoiceMode.AUTO, None, True)
    names = [t.name for t in request.tools]
    assert "exec_command" in names
    assert [t["type"] for t in request.extras["hosted_tools"]][-1] == "web_search"
    assert request.extras["store"] is False
    assert request.extras["include"] == ["reasoning.encrypted_content"]
    assert "prompt_cache_key" in request.extras
    assert "client_metadata" in request.extras
    if "gpt-5.5" in name:
        assert len(request.tools) == 9  # 10 tools, web_search hosted
        patch = next(t for t in request.tools if t.name == "apply_patch")
        assert patch.kind == "custom"
        assert patch.format is not None
        assert patch.format["syntax"] == "lark"
        assert "begin_patch" in patch.format["definition"]
        search = next(t for t in request.tools if t.name == "tool_search")
        assert search.kind == "function"
        assert search.parameters["required"] == ["query"]
        assert request.thinking == ir.ThinkingConfig(enabled=True, effort=ir.Effort.MEDIUM)
        assert request.extras["text.verbosity"] == "low"
    else:
        assert len(request.tools) == 7  # 9 tools, namespace and web_search hosted
        assert [t["type"] for t in request.extras["hosted_tools"]] == ["namespace", "web_search"]
        assert all(t.kind == "function" for t in request.tools)
        assert request.thinking is None
        assert request.extras["reasoning.summary"] == "auto"


@pytest.mark.parametrize("name", [n for n in STANDARD if "__02" in n])
def test_capture_tool_loop_pairs_call_and_output(name: str) -> None:
    request = decode_request(capture(name))
    assistant, results = request.messages[-2:]
    assert assistant.role == "assistant"
    assert isinstance(assistant.parts[0], ir.Text)
    assert assistant.parts[0].text == "I will create the file."
    call = assistant.parts[1]
    assert isinstance(call, ir.ToolCall)
    assert call.name == "exec_command"
    assert json.loads(call.arguments) == {"cmd": "echo hello > out.txt"}
    assert results.role == "user"
    (result,) = results.parts
    assert isinstance(result, ir.ToolResult)
    assert result.call_id == call.id
    assert isinstance(result.content[0], ir.Text)
    assert result.content[0].text.startswith("Chunk ID")

    chat, _ = for_chat(request)
    assistant_out, tool_out = chat["messages"][-2:]
    assert assistant_out["tool_calls"][0]["id"] == call.id
    assert tool_out == {"role": "tool", "tool_call_id": call.id, "content": result.content[0].text}

    anthropic, _ = for_anthropic(request)
    last = anthropic["messages"][-1]
    assert last["role"] == "user"
    assert last["content"][0]["type"] == "tool_result"
    assert last["content"][0]["tool_use_id"] == anthropic["messages"][-2]["content"][1]["id"]


@pytest.mark.parametrize("name", STANDARD)
def test_capture_for_chat(name: str) -> None:
    body = capture(name)
    request = decode_request(body)
    chat, decisions = for_chat(request)
    assert chat["messages"][0]["role"] == "system"
    assert chat["messages"][0]["content"].startswith("You are")
    assert chat["messages"][1]["role"] == "user"
    assert chat["stream"] is True
    tools = {t["function"]["name"]: t["function"] for t in chat["tools"]}
    exec_command = next(t for t in body["tools"] if t.get("name") == "exec_command")
    assert tools["exec_command"]["parameters"] == exec_command["parameters"]
    assert chat["tool_choice"] == "auto"
    recorded = rules(decisions)
    # every extra is recorded: store, include, prompt_cache_key… as vendor fields, and each
    # hosted tool (codex always offers web_search) as a tool the model loses
    assert decisions.counts[Rule.FIELD_DROPPED] == len(request.extras) - 1
    hosted = request.extras["hosted_tools"]
    assert decisions.counts[Rule.TOOLS_DROPPED] == len(hosted)
    assert recorded[Rule.TOOLS_DROPPED].startswith("hosted tool ")
    if "gpt-5.5" in name:
        patch = tools["apply_patch"]
        assert patch["parameters"]["required"] == ["input"]
        assert list(patch["parameters"]["properties"]) == ["input"]
        assert patch["parameters"]["properties"]["input"]["type"] == "string"
        assert "begin_patch" in patch["parameters"]["properties"]["input"]["description"]
        assert recorded[Rule.CUSTOM_TOOL_AS_FUNCTION] == "apply_patch"
        assert chat["reasoning_effort"] == "medium"
        assert "tool_search" in tools


@pytest.mark.parametrize("name", STANDARD)
def test_capture_for_anthropic(name: str) -> None:
    body = capture(name)
    anthropic, decisions = for_anthropic(decode_request(body))
    developer = [p["text"] for i in body["input"][:2] for p in i["content"]]
    assert [b["text"] for b in anthropic["system"]] == developer
    assert anthropic["messages"][0]["role"] == "user"
    tools = {t["name"]: t for t in anthropic["tools"]}
    exec_command = next(t for t in body["tools"] if t.get("name") == "exec_command")
    assert tools["exec_command"]["input_schema"] == exec_command["parameters"]
    assert Rule.FIELD_DROPPED in rules(decisions)
    if "gpt-5.5" in name:
        schema = tools["apply_patch"]["input_schema"]
        assert schema["required"] == ["input"]
        assert "lark grammar" in schema["properties"]["input"]["description"]
        if "__01" in name:
            assert anthropic["thinking"]["type"] == "enabled"
        else:
            # The mock's tool turn has no signed thinking, which Anthropic needs in a tool loop.
            assert "thinking" not in anthropic
            assert Rule.THINKING_NOT_SUPPORTED in rules(decisions)


def test_a_carried_signature_keeps_anthropic_thinking_on_in_a_tool_loop() -> None:
    body = json.loads(json.dumps(capture("tool_gpt-5.5__02_responses_stream.json")))
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "I should run echo."}],
        "encrypted_content": "cligate:signature:SIG",
    }
    body["input"].insert(4, reasoning)
    anthropic, decisions = for_anthropic(decode_request(body))
    assert anthropic["thinking"]["type"] == "enabled"
    assert anthropic["messages"][-2]["content"][0] == {
        "type": "thinking",
        "thinking": "I should run echo.",
        "signature": "SIG",
    }
    assert Rule.THINKING_NOT_SUPPORTED not in rules(decisions)


@pytest.mark.parametrize("name", LITE)
def test_responses_lite_captures_are_refused_with_advice(name: str) -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode_request(capture(name))
    message = str(caught.value)
    assert "input[0]" in message
    assert "additional_tools" in message
    assert "responses lite" in message
    assert "cligate run codex --model NAME" in message
    assert "bind a model" in message


# --- golden rows ---------------------------------------------------------------------------


def body_of(*items: Any, **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-5", "input": list(items), **fields}


def msg(role: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": list(parts)}


def text(value: str, kind: str = "input_text") -> dict[str, Any]:
    return {"type": kind, "text": value}


USER = msg("user", text("hi"))


def test_string_input_and_instructions() -> None:
    request = decode_request({"model": "m", "input": "hello", "instructions": "be brief"})
    assert request.system == (ir.Text("be brief"),)
    assert request.messages == (ir.Message("user", (ir.Text("hello"),)),)


def test_leading_system_and_later_developer_messages() -> None:
    request = decode_request(
        body_of(
            msg("system", text("one")),
            {"role": "developer", "content": "two"},  # no type: an easy input message
            USER,
            msg("developer", text("later")),
        )
    )
    assert request.system == (ir.Text("one"), ir.Text("two"))
    assert request.messages[1] == ir.Message("system", (ir.Text("later"),))


def test_turn_items_group_and_reasoning_attaches_to_the_assistant_turn() -> None:
    request = decode_request(
        body_of(
            USER,
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "a"}, text("b", "summary_text")],
                "encrypted_content": "gAAA",
            },
            msg("assistant", text("I will.", "output_text"), {"type": "refusal", "refusal": "no"}),
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"x":1}'},
            {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": "*** P"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
            {
                "type": "custom_tool_call_output",
                "call_id": "c2",
                "output": [text("done"), {"type": "input_image", "image_url": "https://x/a.png"}],
            },
            msg("user", text("next")),
        )
    )
    assert request.messages[1] == ir.Message(
        "assistant",
        (
            ir.Thinking(text="a\n\nb", encrypted="gAAA"),
            ir.Text("I will."),
            ir.Text("no"),
            ir.ToolCall("c1", "f", '{"x":1}'),
            ir.ToolCall("c2", "apply_patch", "*** P", "custom"),
        ),
    )
    assert request.messages[2] == ir.Message(
        "user",
        (
            ir.ToolResult("c1", (ir.Text("ok"),)),
            ir.ToolResult("c2", (ir.Text("done"), ir.Image(url="https://x/a.png"))),
        ),
    )
    assert request.messages[3] == ir.Message("user", (ir.Text("next"),))


def test_custom_call_history_for_chat_and_anthropic() -> None:
    request = decode_request(
        body_of(
            USER,
            {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": "*** P"},
            {"type": "custom_tool_call_output", "call_id": "c2", "output": "applied"},
            tools=[{"type": "custom", "name": "apply_patch", "description": "patch"}],
        )
    )
    chat, _ = for_chat(request)
    call = chat["messages"][1]["tool_calls"][0]["function"]
    assert call == {"name": "apply_patch", "arguments": '{"input": "*** P"}'}
    assert chat["messages"][2] == {"role": "tool", "tool_call_id": "c2", "content": "applied"}
    anthropic, _ = for_anthropic(request)
    assert anthropic["messages"][1]["content"][0]["input"] == {"input": "*** P"}


def test_reasoning_without_summary_uses_its_content_text() -> None:
    item = {"type": "reasoning", "summary": [], "content": [text("raw", "reasoning_text")]}
    request = decode_request(body_of(USER, item, msg("assistant", text("x", "output_text"))))
    assert request.messages[1].parts[0] == ir.Thinking(text="raw")


def test_carried_signature_and_redacted_thinking_come_back() -> None:
    request = decode_request(
        body_of(
            USER,
            {
                "type": "reasoning",
                "summary": [text("t", "summary_text")],
                "encrypted_content": "cligate:signature:SIG",
            },
            {"type": "reasoning", "summary": [], "encrypted_content": "cligate:redacted:DATA"},
            msg("assistant", text("x", "output_text")),
        )
    )
    assert request.messages[1].parts[:2] == (
        ir.Thinking(text="t", signature="SIG"),
        ir.Thinking(redacted="DATA"),
    )


def test_images_and_files() -> None:
    request = decode_request(
        body_of(
            msg(
                "user",
                {"type": "input_image", "image_url": "data:image/jpg;base64,AAAA", "detail": "low"},
                {"type": "input_image", "image_url": "https://example.test/a.png"},
                {
                    "type": "input_file",
                    "filename": "a.pdf",
                    "file_data": "data:application/pdf;base64,JVBE",
                },
                {"type": "input_file", "filename": "n.txt", "file_data": "aGk="},
                {"type": "input_file", "file_url": "https://example.test/d.pdf"},
            )
        )
    )
    assert request.messages[0].parts == (
        ir.Image(media_type="image/jpeg", data="AAAA"),
        ir.Image(url="https://example.test/a.png"),
        ir.Document(media_type="application/pdf", data="JVBE", title="a.pdf"),
        ir.Document(media_type="text/plain", text="hi", title="n.txt"),
        ir.Document(url="https://example.test/d.pdf"),
    )


def test_hosted_tools_are_recorded_when_dropped() -> None:
    request = decode_request(body_of(USER, tools=[{"type": "web_search"}]))
    assert request.tools == ()
    _, decisions = for_chat(request)
    assert [str(d) for d in decisions.recorded] == ["tools-dropped: hosted tool web_search"]
    _, decisions = for_anthropic(request)
    assert [str(d) for d in decisions.recorded] == [
        "option-not-honoured: 'hosted_tools' has no Anthropic equivalent"
    ]


def test_tools_and_choices() -> None:
    request = decode_request(
        body_of(
            USER,
            tools=[
                {
                    "type": "function",
                    "name": "f",
                    "description": "d",
                    "parameters": {"type": "object"},
                    "strict": True,
                },
                {"type": "custom", "name": "g", "format": {"type": "text"}},
                {"type": "tool_search", "execution": "client", "parameters": {"type": "object"}},
                {"type": "tool_search"},
                {"type": "file_search", "vector_store_ids": ["vs"]},
                {"type": "code_interpreter", "container": {"type": "auto"}},
                {"type": "image_generation"},
                {"type": "mcp", "server_label": "x"},
                {"type": "local_shell"},
                {"type": "computer_use_preview"},
            ],
            tool_choice={"type": "custom", "name": "g"},
            parallel_tool_calls=False,
        )
    )
    assert request.tools == (
        ir.ToolDef("f", "d", {"type": "object"}),
        ir.ToolDef("g", kind="custom", format={"type": "text"}),
        ir.ToolDef("tool_search", parameters={"type": "object"}),
    )
    hosted = [t["type"] for t in request.extras["hosted_tools"]]
    assert hosted == [
        "tool_search",
        "file_search",
        "code_interpreter",
        "image_generation",
        "mcp",
        "local_shell",
        "computer_use_preview",
    ]
    assert request.tool_choice == ir.ToolChoice(ir.ToolChoiceMode.TOOL, "g", False)
    chat, decisions = for_chat(request)
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "g"}}
    assert chat["parallel_tool_calls"] is False
    # each hosted tool is a tool the model loses, named by its type
    assert decisions.counts[Rule.TOOLS_DROPPED] == len(hosted)
    assert rules(decisions)[Rule.TOOLS_DROPPED] == "hosted tool tool_search"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", ir.ToolChoice(ir.ToolChoiceMode.AUTO)),
        ("none", ir.ToolChoice(ir.ToolChoiceMode.NONE)),
        ("required", ir.ToolChoice(ir.ToolChoiceMode.ANY)),
        ({"type": "function", "name": "f"}, ir.ToolChoice(ir.ToolChoiceMode.TOOL, "f")),
    ],
)
def test_tool_choice_words(choice: Any, expected: ir.ToolChoice) -> None:
    assert decode_request(body_of(USER, tool_choice=choice)).tool_choice == expected


def test_allowed_tools_choice_goes_to_extras_and_is_lossy_for_anthropic() -> None:
    choice = {"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": "f"}]}
    request = decode_request(body_of(USER, tool_choice=choice))
    assert request.tool_choice is None
    assert request.extras["tool_choice"] == choice
    _, decisions = for_anthropic(request)
    assert Rule.OPTION_NOT_HONOURED in rules(decisions)


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        ("none", ir.ThinkingConfig(enabled=False)),
        ("minimal", ir.ThinkingConfig(enabled=False, effort=ir.Effort.MINIMAL)),
        ("low", ir.ThinkingConfig(enabled=True, effort=ir.Effort.LOW)),
        ("high", ir.ThinkingConfig(enabled=True, effort=ir.Effort.HIGH)),
        ("xhigh", ir.ThinkingConfig(enabled=True, effort=ir.Effort.MAX)),
        (None, None),
    ],
)
def test_reasoning_effort(effort: str | None, expected: ir.ThinkingConfig | None) -> None:
    request = decode_request(body_of(USER, reasoning={"effort": effort, "summary": "detailed"}))
    assert request.thinking == expected
    assert request.extras["reasoning.summary"] == "detailed"


def test_options() -> None:
    request = decode_request(
        body_of(
            USER,
            max_output_tokens=100,
            temperature=0.5,
            top_p=1,
            stream=False,
            user="u1",
            safety_identifier="s1",
            text={
                "format": {
                    "type": "json_schema",
                    "name": "out",
                    "schema": {"type": "object"},
                    "strict": True,
                },
                "verbosity": "high",
            },
            store=True,
            background=True,
            metadata={"a": "b"},
            service_tier="flex",
            truncation="auto",
        )
    )
    assert request.max_tokens == 100
    assert request.temperature == 0.5
    assert request.top_p == 1.0
    assert request.stream is False
    assert request.user == "u1"
    assert request.output_format == ir.OutputFormat({"type": "object"}, "out", True)
    assert request.extras == {
        "safety_identifier": "s1",
        "text.verbosity": "high",
        "store": True,
        "background": True,
        "metadata": {"a": "b"},
        "service_tier": "flex",
        "truncation": "auto",
    }
    chat, _ = for_chat(request)
    assert chat["max_tokens"] == 100
    assert chat["response_format"]["json_schema"]["name"] == "out"
    assert chat["user"] == "u1"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ({"type": "json_object"}, ir.OutputFormat(schema=None)),
        ({"type": "text"}, None),
    ],
)
def test_text_formats(fmt: dict[str, Any], expected: ir.OutputFormat | None) -> None:
    assert decode_request(body_of(USER, text={"format": fmt})).output_format == expected


def test_safety_identifier_alone_is_the_user() -> None:
    assert decode_request(body_of(USER, safety_identifier="s")).user == "s"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (body_of(USER, previous_response_id="resp_1"), "previous_response_id cannot be honoured"),
        (body_of(USER, conversation="conv_1"), "conversation:"),
        (body_of(USER, prompt={"id": "pmpt_1"}), "prompt:"),
        (body_of({"type": "item_reference", "id": "msg_1"}), "item_reference"),
        (body_of({"type": "web_search_call", "id": "ws_1"}), "'web_search_call'"),
        (body_of({"type": "configuration_update"}), "responses lite"),
        (body_of(msg("user", {"type": "input_image", "file_id": "file_1"})), "file_id"),
        (body_of(msg("user", {"type": "input_file", "file_id": "file_1"})), "file_id"),
        (body_of(msg("user", {"type": "input_audio"})), "input[0].content[0].type"),
        (body_of(msg("developer", {"type": "input_image", "image_url": "https://x"})), "only text"),
        (body_of(msg("tool", text("x"))), "input[0].role"),
        (body_of({"type": "function_call", "name": "f"}), "'call_id' is missing"),
        (body_of({"type": "function_call_output", "call_id": "c", "output": 3}), "output"),
        (body_of({"type": "custom_tool_call", "call_id": "c", "name": "f"}), "'input'"),
        (body_of({"role": "user"}), "content"),
        (body_of("x"), "input[0]: must be an object"),
        (body_of({"no": "type"}), "'type' is missing"),
        ({"model": "m"}, "input:"),
        ({"model": "m", "input": []}, "input:"),
        ({"model": 3, "input": "x"}, "model:"),
        (body_of(USER, tools={}), "tools:"),
        (body_of(USER, tools=[{"type": "function"}]), "tools[0]: 'name'"),
        (body_of(USER, tools=[{"name": "f"}]), "tools[0]: 'type'"),
        (body_of(USER, tools=[{"type": "custom", "name": "g", "format": "x"}]), "format"),
        (body_of(USER, tool_choice="sometimes"), "tool_choice"),
        (body_of(USER, tool_choice={"type": "function"}), "tool_choice"),
        (body_of(USER, reasoning={"effort": "huge"}), "reasoning.effort"),
        (body_of(USER, reasoning="high"), "reasoning:"),
        (body_of(USER, text={"format": {"type": "xml"}}), "text.format.type"),
        (body_of(USER, max_output_tokens=0), "max_output_tokens"),
        (body_of(USER, temperature="hot"), "temperature"),
        (body_of(USER, stream="yes"), "stream"),
        (body_of(USER, instructions=["x"]), "instructions"),
        (
            body_of(msg("user", {"type": "input_image", "image_url": "data:image/png,AAAA"})),
            "base64",
        ),
        (body_of(msg("user", {"type": "input_image", "image_url": "ftp://x"})), "http"),
    ],
)
def test_refusals_name_the_field(body: Any, where: str) -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode_request(body)
    assert where in str(caught.value)


def test_previous_response_id_message() -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode_request(body_of(USER, previous_response_id="resp_1"))
    assert str(caught.value) == (
        "cligate keeps no conversation state: previous_response_id cannot be honoured; send the "
        "whole conversation (Codex does with store=false)"
    )


def test_not_an_object() -> None:
    with pytest.raises(ir.DecodeError):
        decode_request([])  # type: ignore[arg-type]
