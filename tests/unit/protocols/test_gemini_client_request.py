"""Gemini CLI's generateContent requests → neutral → Chat Completions, Anthropic and Responses
bodies: the real captures, then golden rows for each rule of the decoder."""

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
from cligate.protocols.gemini.decode_request import SENTINEL_SIGNATURE, decode_request
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.encode_request import encode_request as to_chat
from cligate.protocols.openai_responses.encode_request import encode_request as to_responses

CAPTURES = Path(__file__).parents[2] / "captures" / "gemini"
NAMES = sorted(p.name for p in CAPTURES.glob("*__*.json"))
ROUTING = [n for n in NAMES if "_generateContent" in n]
TURNS = [n for n in NAMES if "streamGenerateContent" in n]
REPLAYS = ["tool__03_streamGenerateContent_stream.json", "tool_explicit_model__02_streamGenerateContent_stream.json"]  # fmt: skip
CHAT = replace(protocol_defaults(WireProtocol.OPENAI_CHAT, "chat:m"), reasoning_effort=True)
ANTHROPIC = protocol_defaults(WireProtocol.ANTHROPIC, "anthropic:m")
RESPONSES = replace(
    protocol_defaults(WireProtocol.OPENAI_RESPONSES, "responses:m"), reasoning_effort=True
)
ROUTING_SCHEMA = {
    "type": "object",
    "properties": {
        "complexity_reasoning": {"type": "string", "description": "Brief explanation for the score."},
        "complexity_score": {"type": "integer", "description": "Complexity score from 1-100."},
    },
    "required": ["complexity_reasoning", "complexity_score"],
}  # fmt: skip


@cache
def capture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((CAPTURES / name).read_text())["request"]["body"]
    return body


def encode(request: ir.Request, target: str) -> tuple[dict[str, Any], Decisions]:
    decisions = Decisions()
    if target == "chat":
        return to_chat(request, "m", CHAT, decisions), decisions
    if target == "anthropic":
        return to_anthropic(request, "m", ANTHROPIC, decisions), decisions
    return to_responses(request, "m", RESPONSES, decisions), decisions


def rules(decisions: Decisions) -> dict[Rule, str]:
    return {d.rule: d.detail for d in decisions.recorded}


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts)}


def model(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


def decode(*contents: dict[str, Any], **fields: Any) -> ir.Request:
    return decode_request({"contents": list(contents) or [user({"text": "hi"})], **fields})


# --- real Gemini CLI captures --------------------------------------------------------------


def test_the_captures_are_there() -> None:
    assert len(NAMES) == 9
    assert len(ROUTING) == 3
    assert len(REPLAYS) == 2 and set(REPLAYS) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_capture_decodes(name: str) -> None:
    body = capture(name)
    request = decode_request(body)
    assert request.model is None and request.stream is False  # the handler sets them
    assert len(request.system) == 1
    assert request.system[0].text == body["systemInstruction"]["parts"][0]["text"]
    assert request.system[0].text.lstrip().startswith("You are")  # the prompt, not a turn
    assert (request.temperature, request.top_p, request.top_k) == (1.0, 0.95, 64)
    assert request.extras == {}
    assert request.messages[0].role == "user"
    if name in ROUTING:
        assert request.tools == ()
        assert request.output_format == ir.OutputFormat(ROUTING_SCHEMA)
        assert request.thinking == ir.ThinkingConfig(enabled=True, effort=ir.Effort.HIGH)
        return
    assert request.output_format is None
    declared = body["tools"][0]["functionDeclarations"]
    assert [t.name for t in request.tools] == [d["name"] for d in declared]
    assert len(request.tools) in (15, 16)
    assert "run_shell_command" in {t.name for t in request.tools}
    shell = next(t for t in request.tools if t.name == "run_shell_command")
    source = next(d for d in declared if d["name"] == "run_shell_command")
    assert "parametersJsonSchema" in source and "parameters" not in source
    assert shell.parameters == source["parametersJsonSchema"]  # lower-case JSON schema already
    assert shell.description == source["description"]
    if "explicit_model" in name:
        assert request.thinking == ir.ThinkingConfig(enabled=True, budget_tokens=8192)
    else:
        assert request.thinking == ir.ThinkingConfig(enabled=True, effort=ir.Effort.HIGH)


@pytest.mark.parametrize("name", REPLAYS)
def test_capture_tool_call_and_response_pair(name: str) -> None:
    body = capture(name)
    call_part = body["contents"][1]["parts"][1]
    made_up = call_part["functionCall"]["id"]
    assert (
        made_up.startswith("run_shell_command_")
        and call_part["thoughtSignature"] == SENTINEL_SIGNATURE
    )
    request = decode_request(body)
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    said, call = request.messages[1].parts
    assert said == ir.Text("I will create the file.")
    assert call == ir.ToolCall(
        made_up,
        "run_shell_command",
        '{"command":"echo hello > out.txt","description":"Run a shell command requested by the mock"}',
        signature=SENTINEL_SIGNATURE,
    )  # fmt: skip
    (result,) = request.messages[2].parts
    assert isinstance(result, ir.ToolResult)
    assert result.call_id == made_up and not result.is_error
    assert result.content == (ir.Text(body["contents"][2]["parts"][0]["functionResponse"]["response"]["output"]),)  # fmt: skip


@pytest.mark.parametrize("name", REPLAYS)
def test_capture_replay_for_each_target(name: str) -> None:
    body = capture(name)
    made_up = body["contents"][1]["parts"][1]["functionCall"]["id"]
    request = decode_request(body)
    chat, _ = encode(request, "chat")
    assistant = chat["messages"][-2]
    assert assistant["tool_calls"][0]["id"] == made_up
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"])["command"] == "echo hello > out.txt"  # fmt: skip
    assert (
        chat["messages"][-1]["role"] == "tool" and chat["messages"][-1]["tool_call_id"] == made_up
    )
    assert len(chat["tools"]) == len(request.tools)
    anthropic, _ = encode(request, "anthropic")
    use = anthropic["messages"][-2]["content"][-1]
    assert use["type"] == "tool_use" and use["id"] == made_up
    assert use["input"]["command"] == "echo hello > out.txt"
    result = anthropic["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == made_up
    responses, _ = encode(request, "responses")
    kinds = [(i["type"], i.get("call_id")) for i in responses["input"][-2:]]
    assert kinds == [("function_call", made_up), ("function_call_output", made_up)]
    for out in (chat, anthropic, responses):
        assert SENTINEL_SIGNATURE not in json.dumps(out)  # never reaches another vendor


@pytest.mark.parametrize("name", ROUTING)
def test_capture_routing_call_for_each_target(name: str) -> None:
    request = decode_request(capture(name))
    chat, _ = encode(request, "chat")
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": ROUTING_SCHEMA},
    }
    assert chat["messages"][0]["role"] == "system"
    anthropic, _ = encode(request, "anthropic")
    assert anthropic["output_config"]["format"] == {"type": "json_schema", "schema": ROUTING_SCHEMA}
    assert [m["role"] for m in anthropic["messages"]] == ["user"]  # two user turns, merged
    responses, _ = encode(request, "responses")
    assert responses["text"]["format"]["type"] == "json_schema"
    assert responses["text"]["format"]["schema"] == ROUTING_SCHEMA


@pytest.mark.parametrize("name", TURNS)
def test_capture_turn_records_only_what_a_target_lacks(name: str) -> None:
    request = decode_request(capture(name))
    _, decisions = encode(request, "chat")
    assert set(rules(decisions)) == {Rule.TOP_K_DROPPED}
    _, decisions = encode(request, "responses")
    # A reasoning model on OpenAI refuses Gemini CLI's topP 0.95 (a 400 on every turn).
    assert set(rules(decisions)) == {Rule.TOP_K_DROPPED, Rule.SAMPLING_DROPPED}


# --- system instruction and contents --------------------------------------------------------


def test_system_instruction_texts_and_roles() -> None:
    request = decode(
        {"parts": [{"text": "no role is the user"}]},
        model({"text": "ok"}),
        {"role": "function", "parts": [{"text": "legacy role"}]},
        systemInstruction={"role": "user", "parts": [{"text": "A"}, {"text": ""}, {"text": "B"}]},
    )
    assert request.system == (ir.Text("A"), ir.Text("B"))
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert decode(systemInstruction="plain").system == (ir.Text("plain"),)


def test_snake_case_members_are_read_too() -> None:
    request = decode_request(
        {
            "contents": [
                {"role": "model", "parts": [{"function_call": {"name": "f", "args": {"a_b": 1}}}]},
                {"role": "user", "parts": [{"function_response": {"name": "f", "response": {"output": "x"}}}]},
            ],
            "system_instruction": {"parts": [{"text": "S"}]},
            "generation_config": {"max_output_tokens": 10, "thinking_config": {"thinking_budget": 0}},
            "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
        }
    )  # fmt: skip
    assert request.system == (ir.Text("S"),)
    assert request.max_tokens == 10
    assert request.thinking == ir.ThinkingConfig(enabled=False)
    assert request.tools == (ir.ToolDef("f", "", {"type": "object"}),)
    call = request.messages[0].parts[0]
    assert call == ir.ToolCall("f_0_0", "f", '{"a_b":1}')  # argument names untouched
    assert request.messages[1].parts[0] == ir.ToolResult("f_0_0", (ir.Text("x"),))


def test_thoughts_keep_their_signature_but_not_the_sentinel() -> None:
    request = decode(
        user({"text": "q"}),
        model(
            {"text": "plan", "thought": True, "thoughtSignature": "c2ln"},
            {"text": "mull", "thought": True, "thoughtSignature": SENTINEL_SIGNATURE},
            {"text": "answer", "thoughtSignature": "dGV4dA=="},
            {"thoughtSignature": "b25seQ=="},
        ),
    )
    assert request.messages[1].parts == (
        ir.Thinking("plan", signature="c2ln"),
        ir.Thinking("mull"),
        ir.Text("answer"),  # a text part's signature has no neutral place
    )


def test_function_calls_without_ids_pair_by_name_and_order() -> None:
    request = decode(
        user({"text": "q"}),
        model(
            {"functionCall": {"name": "read", "args": {"p": "a"}}},
            {"functionCall": {"name": "read", "args": {"p": "b"}}},
            {"functionCall": {"name": "ls"}},
        ),
        user(
            {"functionResponse": {"name": "ls", "response": {"output": ["x", "y"]}}},
            {"functionResponse": {"name": "read", "response": {"output": "A"}}},
            {"functionResponse": {"name": "read", "response": {"error": "no such file"}}},
        ),
    )
    calls = request.messages[1].parts
    assert [c.id for c in calls if isinstance(c, ir.ToolCall)] == ["read_1_0", "read_1_1", "ls_1_2"]
    assert calls[2] == ir.ToolCall("ls_1_2", "ls", "{}")
    assert request.messages[2].parts == (
        ir.ToolResult("ls_1_2", (ir.Text('["x","y"]'),)),
        ir.ToolResult("read_1_0", (ir.Text("A"),)),
        ir.ToolResult("read_1_1", (ir.Text("no such file"),), is_error=True),
    )
    again = decode(user({"text": "q"}), model({"functionCall": {"name": "read"}}))
    assert again.messages[1].parts[0] == ir.ToolCall("read_1_0", "read", "{}")  # the same again


def test_function_responses_pair_by_id_first() -> None:
    request = decode(
        model(
            {"functionCall": {"id": "a", "name": "f"}},
            {"functionCall": {"id": "b", "name": "f"}},
        ),
        user(
            {"functionResponse": {"id": "b", "name": "f", "response": {"output": "B"}}},
            {"functionResponse": {"id": "zz", "name": "f", "response": {"output": "A"}}},
            {"functionResponse": {"id": "q", "name": "g", "response": {"output": "?"}}},
            {"functionResponse": {"name": "h", "response": {"output": "?"}}},
        ),
    )
    assert [p.call_id for p in request.messages[1].parts if isinstance(p, ir.ToolResult)] == [
        "b",
        "a",  # an id no call has: paired by name
        "q",  # pairs with nothing: kept, the target's orphan
        "h_1_3",
    ]


@pytest.mark.parametrize(
    ("response", "content", "is_error"),
    [
        ({"output": "done"}, "done", False),
        ({"output": {"lines": 2}}, '{"lines":2}', False),
        ({"error": "boom"}, "boom", True),
        ({"error": "boom", "code": 2}, '{"error":"boom","code":2}', True),
        ({"output": "o", "error": "e"}, '{"output":"o","error":"e"}', False),
        ({"result": 42}, '{"result":42}', False),
        ({}, "{}", False),
        (None, "{}", False),
    ],
)
def test_function_response_content(response: Any, content: str, is_error: bool) -> None:
    part = {"functionResponse": {"id": "c", "name": "f", "response": response}}
    request = decode(model({"functionCall": {"id": "c", "name": "f"}}), user(part))
    assert request.messages[1].parts == (ir.ToolResult("c", (ir.Text(content),), is_error),)


def test_function_response_images() -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}
    part = {"functionResponse": {"id": "c", "name": "shot", "response": {"output": "see"}, "parts": [image]}}  # fmt: skip
    request = decode(model({"functionCall": {"id": "c", "name": "shot"}}), user(part))
    assert request.messages[1].parts[0] == ir.ToolResult(
        "c", (ir.Text("see"), ir.Image(media_type="image/png", data="iVBO"))
    )


def test_raw_arguments_come_back_as_the_text() -> None:
    request = decode(model({"functionCall": {"id": "c", "name": "f", "args": {"_raw_arguments": "{oops"}}}))  # fmt: skip
    assert request.messages[0].parts[0] == ir.ToolCall("c", "f", "{oops")


def test_code_execution_parts_become_labelled_text() -> None:
    request = decode(
        user({"text": "compute"}),
        model(
            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
        ),
    )
    assert request.messages[1].parts == (
        ir.Text("[code run by the code execution tool]\n```python\nprint(1)\n```"),
        ir.Text("[code execution result: OUTCOME_OK]\n1\n"),
    )


def test_media_parts() -> None:
    request = decode(
        user(
            {"inlineData": {"mimeType": "image/jpg", "data": "AAAA"}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBE", "displayName": "a.pdf"}},
            {"inlineData": {"mimeType": "text/plain", "data": "aMOpbGxv"}},
            {"fileData": {"mimeType": "image/png", "fileUri": "https://example.test/a.png"}},
            {"fileData": {"fileUri": "https://example.test/doc.pdf?x=1"}},
            {"text": "what is this?", "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}},
        )
    )
    assert request.messages[0].parts == (
        ir.Image(media_type="image/jpeg", data="AAAA"),
        ir.Document(media_type="application/pdf", data="JVBE", title="a.pdf"),
        ir.Document(media_type="text/plain", text="héllo"),
        ir.Image(url="https://example.test/a.png"),
        ir.Document(url="https://example.test/doc.pdf?x=1"),
        ir.Text("what is this?"),
    )


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ([user({"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}})], "'audio/wav' cannot be translated"),
        ([user({"fileData": {"fileUri": "gs://bucket/a.png"}})], "held by Google"),
        ([user({"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/x"}})], "held by Google"),
        ([user({"fileData": {"mimeType": "video/mp4", "fileUri": "https://youtu.be/x"}})], "'video/mp4'"),
        ([user({"toolCall": {"id": "x"}})], "parts of kind toolCall cannot be translated"),
        ([user({"text": "a", "inlineData": {"mimeType": "image/png", "data": "A"}})], "several kinds"),
        ([user({})], "no data"),
        ([model({"inlineData": {"mimeType": "image/png", "data": "A"}})], "cannot hold inlineData"),
        ([user({"functionCall": {"name": "f"}})], "belongs in a model turn"),
        ([model({"functionCall": {"id": "a", "name": "f"}}, {"functionCall": {"id": "a", "name": "g"}})], "duplicate id 'a'"),
        ([model({"functionCall": {"name": "f", "args": [1]}})], "contents[0].parts[0].functionCall.args"),
        ([model({"functionCall": {"args": {}}})], "'name' is missing"),
        ([{"role": "system", "parts": []}], "contents[0].role"),
        ([user({"text": 5})], "contents[0].parts[0].text"),
        ([], "contents: must be a non-empty list"),
    ],
)  # fmt: skip
def test_contents_refused(contents: list[Any], message: str) -> None:
    with pytest.raises(ir.DecodeError, match=None) as caught:
        decode_request({"contents": contents})
    assert message in str(caught.value)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ir.DecodeError, match="not a JSON object"):
        decode_request([])  # type: ignore[arg-type]
    with pytest.raises(ir.DecodeError, match=r"systemInstruction\.parts"):
        decode(systemInstruction={"parts": [{"inlineData": {"mimeType": "image/png", "data": "A"}}]})  # fmt: skip


# --- tools ---------------------------------------------------------------------------------


def test_openapi_parameters_become_json_schema() -> None:
    parameters = {
        "type": "OBJECT",
        "properties": {
            "path": {"type": "STRING", "description": "where", "nullable": True},
            "mode": {"type": "STRING", "format": "enum", "enum": ["a", "b"]},
            "list": {"type": "ARRAY", "items": {"type": "INTEGER"}, "max_items": "5", "example": [1]},
            "type": {"type": "BOOLEAN"},
            "pick": {"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}], "nullable": True},
        },
        "required": ["path"],
        "propertyOrdering": ["path", "mode"],
    }  # fmt: skip
    request = decode(tools=[{"functionDeclarations": [{"name": "f", "description": "d", "parameters": parameters}]}])  # fmt: skip
    assert request.tools == (
        ir.ToolDef(
            "f",
            "d",
            {
                "type": "object",
                "properties": {
                    "path": {"type": ["string", "null"], "description": "where"},
                    "mode": {"type": "string", "format": "enum", "enum": ["a", "b"]},
                    "list": {"type": "array", "items": {"type": "integer"}, "maxItems": 5},
                    "type": {"type": "boolean"},  # a property named "type" is still a property
                    "pick": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]},
                },
                "required": ["path"],
            },
        ),
    )


def test_json_schema_parameters_keep_their_keywords() -> None:
    schema = {"type": "object", "properties": {"n": {"type": ["integer", "null"], "nullable": True}}, "additionalProperties": False}  # fmt: skip
    request = decode(tools=[{"functionDeclarations": [{"name": "f", "parametersJsonSchema": schema}, {"name": "g"}]}])  # fmt: skip
    assert request.tools == (ir.ToolDef("f", "", schema), ir.ToolDef("g"))


def test_hosted_tools_go_to_extras_and_are_recorded() -> None:
    request = decode(
        tools=[
            {"googleSearch": {}},
            {"codeExecution": {}, "functionDeclarations": [{"name": "f"}]},
            {"url_context": {}},
        ]
    )
    assert request.tools == (ir.ToolDef("f"),)
    hosted = [{"type": "googleSearch"}, {"type": "codeExecution"}, {"type": "urlContext"}]
    assert request.extras == {"hosted_tools": hosted}
    _, decisions = encode(request, "chat")
    assert rules(decisions)[Rule.TOOLS_DROPPED] == "hosted tool googleSearch"
    assert decisions.counts[Rule.TOOLS_DROPPED] == 3
    _, decisions = encode(request, "anthropic")
    assert Rule.OPTION_NOT_HONOURED in rules(decisions)


def test_hosted_tools_do_not_reach_a_responses_provider() -> None:
    request = decode(tools=[{"googleSearch": {}}])
    body, decisions = encode(request, "responses")
    assert "googleSearch" not in json.dumps(body)
    assert Rule.TOOLS_DROPPED in rules(decisions)


@pytest.mark.parametrize(
    ("config", "choice", "extras"),
    [
        ({"mode": "AUTO"}, ir.ToolChoice(ir.ToolChoiceMode.AUTO), {}),
        ({"mode": "VALIDATED"}, ir.ToolChoice(ir.ToolChoiceMode.AUTO), {}),
        ({"mode": "ANY"}, ir.ToolChoice(ir.ToolChoiceMode.ANY), {}),
        ({"mode": "none"}, ir.ToolChoice(ir.ToolChoiceMode.NONE), {}),
        ({"mode": "ANY", "allowedFunctionNames": ["f"]}, ir.ToolChoice(ir.ToolChoiceMode.TOOL, "f"), {}),
        ({"mode": "ANY", "allowedFunctionNames": ["f", "g"]}, ir.ToolChoice(ir.ToolChoiceMode.ANY),
         {"toolConfig.functionCallingConfig.allowedFunctionNames": ["f", "g"]}),
        ({"mode": "MODE_UNSPECIFIED"}, None, {}),
        ({}, None, {}),
        ({"mode": "AUTO", "streamFunctionCallArguments": True}, ir.ToolChoice(ir.ToolChoiceMode.AUTO),
         {"toolConfig.functionCallingConfig.streamFunctionCallArguments": True}),
    ],
)  # fmt: skip
def test_function_calling_config(
    config: dict[str, Any], choice: ir.ToolChoice | None, extras: dict[str, Any]
) -> None:
    request = decode(toolConfig={"functionCallingConfig": config})
    assert request.tool_choice == choice
    assert request.extras == extras


def test_tool_refusals() -> None:
    with pytest.raises(ir.DecodeError, match=r"tools\[0\].functionDeclarations\[0\]: set"):
        decode(tools=[{"functionDeclarations": [{"name": "f", "parameters": {}, "parametersJsonSchema": {}}]}])  # fmt: skip
    with pytest.raises(ir.DecodeError, match=r"toolConfig\.functionCallingConfig\.mode"):
        decode(toolConfig={"functionCallingConfig": {"mode": "SOMETIMES"}})
    with pytest.raises(ir.DecodeError, match=r"tools\[0\].functionDeclarations\[0\].parameters"):
        decode(tools=[{"functionDeclarations": [{"name": "f", "parameters": "x"}]}])


# --- generation options --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "thinking", "extras"),
    [
        ({"thinkingBudget": 0}, ir.ThinkingConfig(enabled=False), {}),
        ({"thinkingBudget": -1}, ir.ThinkingConfig(enabled=True, adaptive=True), {}),
        ({"thinkingBudget": 2048, "includeThoughts": True}, ir.ThinkingConfig(enabled=True, budget_tokens=2048), {}),
        ({"thinkingLevel": "LOW"}, ir.ThinkingConfig(enabled=True, effort=ir.Effort.LOW), {}),
        ({"thinkingLevel": "MINIMAL"}, ir.ThinkingConfig(enabled=False, effort=ir.Effort.MINIMAL), {}),
        ({"thinkingLevel": "XHIGH"}, ir.ThinkingConfig(enabled=True, effort=ir.Effort.MAX), {}),
        ({"includeThoughts": True}, None, {}),
        ({"includeThoughts": False, "thinkingLevel": "HIGH"}, ir.ThinkingConfig(enabled=True, effort=ir.Effort.HIGH),
         {"generationConfig.thinkingConfig.includeThoughts": False}),
    ],
)  # fmt: skip
def test_thinking_config(
    config: dict[str, Any], thinking: ir.ThinkingConfig | None, extras: dict[str, Any]
) -> None:
    request = decode(generationConfig={"thinkingConfig": config})
    assert request.thinking == thinking
    assert request.extras == extras


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"thinkingBudget": 10, "thinkingLevel": "LOW"}, "not both"),
        ({"thinkingBudget": -2}, "thinkingBudget"),
        ({"thinkingLevel": "SOME"}, "thinkingLevel: unknown value 'SOME'"),
        ({"includeThoughts": "yes"}, "includeThoughts"),
    ],
)
def test_thinking_config_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode(generationConfig={"thinkingConfig": config})
    assert message in str(caught.value)
    assert str(caught.value).startswith("generationConfig.thinkingConfig")


def test_sampling_and_limits() -> None:
    request = decode(
        generationConfig={
            "temperature": 0.2,
            "topP": 0.5,
            "topK": 40.0,
            "maxOutputTokens": 512,
            "stopSequences": ["END", ""],
            "candidateCount": 1,
            "seed": 7,
            "presencePenalty": 0.1,
        }
    )
    assert (request.temperature, request.top_p, request.top_k) == (0.2, 0.5, 40)
    assert request.max_tokens == 512
    assert request.stop == ("END",)
    assert request.extras == {"generationConfig.seed": 7, "generationConfig.presencePenalty": 0.1}
    several = decode(generationConfig={"candidateCount": 3})
    assert several.extras == {"generationConfig.candidateCount": 3}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"temperature": "hot"}, "generationConfig.temperature"),
        ({"maxOutputTokens": 0}, "generationConfig.maxOutputTokens: must be at least 1"),
        ({"maxOutputTokens": 1.5}, "generationConfig.maxOutputTokens: must be an integer"),
        ({"stopSequences": "END"}, "generationConfig.stopSequences"),
        ({"responseSchema": {}, "responseJsonSchema": {}, "responseMimeType": "application/json"}, "not both"),
    ],
)  # fmt: skip
def test_generation_config_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode(generationConfig=config)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("config", "output", "extras"),
    [
        ({"responseMimeType": "application/json"}, ir.OutputFormat(None), {}),
        ({"responseMimeType": "application/json", "responseJsonSchema": {}}, ir.OutputFormat(None), {}),
        ({"responseMimeType": "application/json", "responseSchema": {"type": "ARRAY", "items": {"type": "STRING"}}},
         ir.OutputFormat({"type": "array", "items": {"type": "string"}}), {}),
        ({"responseMimeType": "text/plain"}, None, {}),
        ({"responseSchema": {"type": "STRING"}}, None, {"generationConfig.responseSchema": {"type": "STRING"}}),
        ({"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING", "enum": ["a"]}}, None,
         {"generationConfig.responseMimeType": "text/x.enum",
          "generationConfig.responseSchema": {"type": "STRING", "enum": ["a"]}}),
    ],
)  # fmt: skip
def test_output_format(
    config: dict[str, Any], output: ir.OutputFormat | None, extras: dict[str, Any]
) -> None:
    request = decode(generationConfig=config)
    assert request.output_format == output
    assert request.extras == extras


def test_json_mode_for_each_target() -> None:
    request = decode(generationConfig={"responseMimeType": "application/json"})
    chat, _ = encode(request, "chat")
    assert chat["response_format"] == {"type": "json_object"}
    responses, _ = encode(request, "responses")
    assert responses["text"]["format"] == {"type": "json_object"}


def test_vendor_fields_go_to_extras_and_are_recorded() -> None:
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    request = decode(
        safetySettings=safety, cachedContent="cachedContents/abc", labels={"team": "x"}, model="m"
    )
    assert request.model is None
    assert request.extras == {
        "safetySettings": safety,
        "cachedContent": "cachedContents/abc",
        "labels": {"team": "x"},
    }
    for target in ("chat", "anthropic", "responses"):
        _, decisions = encode(request, target)
        assert decisions.counts[Rule.FIELD_DROPPED] == 3, target


def test_strict_mode_refuses_a_lossy_translation() -> None:
    request = decode(tools=[{"googleSearch": {}}])
    with pytest.raises(ir.DecodeError, match="strict mode"):
        to_chat(request, "m", CapabilityProfile(), Decisions(strict=True))
