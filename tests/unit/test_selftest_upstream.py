"""The selftest's scripted provider, with the official SDKs as strict clients: each protocol a
tool speaks, streamed and whole, a shell round trip, JSON side calls and a wrong key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.scripts import ShellRoundTrip, TextScript
from cligate.selftest.upstream import ScriptedUpstream

KEY = "unit-selftest-key"
TOKEN = "selftest-0123456789abcdef"
COMMAND = "cat selftest-token.txt"
SHELL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"command": {"type": "string"}, "description": {"type": "string"}},
    "required": ["command"],
}
ROUND_TRIP = ShellRoundTrip(COMMAND, TOKEN)


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(ROUND_TRIP, KEY) as server:
        yield server


def outcomes(upstream: ScriptedUpstream) -> list[str]:
    return [exchange.outcome for exchange in upstream.exchanges]


# --- Anthropic Messages (Claude Code) ------------------------------------------------------


def anthropic_client(upstream: ScriptedUpstream, key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=upstream.base_url, api_key=key, max_retries=0)


def test_anthropic_streamed_shell_round_trip(upstream: ScriptedUpstream) -> None:
    client = anthropic_client(upstream)
    tools: list[anthropic.types.ToolParam] = [
        {"name": "Bash", "description": "run", "input_schema": SHELL_SCHEMA}
    ]
    question: list[anthropic.types.MessageParam] = [{"role": "user", "content": "run it"}]
    with client.messages.stream(
        model="claude-x", max_tokens=100, messages=question, tools=tools
    ) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    (call,) = [block for block in first.content if block.type == "tool_use"]
    assert call.name == "Bash"
    assert call.input == {"command": COMMAND, "description": "Run the cligate selftest command"}
    history: list[anthropic.types.MessageParam] = [
        *question,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": f"{TOKEN}\n"}],
        },
    ]
    with client.messages.stream(
        model="claude-x", max_tokens=100, messages=history, tools=tools
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert [b.text for b in final.content if b.type == "text"] == [ROUND_TRIP.expected_answer]
    assert outcomes(upstream) == ["call", "final"]
    assert all(e.authorized and e.model == "claude-x" for e in upstream.exchanges)


def test_anthropic_whole_answer_json_output_and_token_count() -> None:
    with ScriptedUpstream(TextScript("hello from the selftest"), KEY) as upstream:
        client = anthropic_client(upstream)
        message = client.messages.create(
            model="claude-x", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        )
        assert [b.text for b in message.content if b.type == "text"] == ["hello from the selftest"]
        # Claude Code's title call asks for JSON through output_config.format.
        schema = {
            "type": "object",
            "properties": {"title": {"type": "string", "minLength": 10}},
            "required": ["title"],
        }
        titled = client.messages.create(
            model="claude-haiku",
            max_tokens=50,
            messages=[{"role": "user", "content": "title?"}],
            extra_body={"output_config": {"format": {"type": "json_schema", "schema": schema}}},
        )
        block = titled.content[0]
        assert block.type == "text"
        assert len(json.loads(block.text)["title"]) >= 10
        counted = client.messages.count_tokens(
            model="claude-x", messages=[{"role": "user", "content": "hi"}]
        )
        assert counted.input_tokens > 0
        assert outcomes(upstream) == ["text", "json", "count_tokens"]


def test_a_wrong_key_gets_a_401_in_anthropics_shape(upstream: ScriptedUpstream) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        anthropic_client(upstream, key="not-the-key").messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert "provider key is missing or wrong" in str(caught.value)
    (exchange,) = upstream.exchanges
    assert exchange.outcome == "unauthorized" and not exchange.authorized


def test_a_tool_result_without_the_token_is_answered_and_recorded_as_wrong(
    upstream: ScriptedUpstream,
) -> None:
    client = anthropic_client(upstream)
    message = client.messages.create(
        model="m",
        max_tokens=50,
        messages=[
            {"role": "user", "content": "run it"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "No such file"}
                ],
            },
        ],
    )
    block = message.content[0]
    assert block.type == "text" and "lacks the token" in block.text
    (exchange,) = upstream.exchanges
    assert exchange.outcome == "wrong_result"
    assert exchange.reply is not None and exchange.reply.detail == "No such file"


# --- OpenAI Responses (Codex) --------------------------------------------------------------


def test_responses_streamed_shell_round_trip(upstream: ScriptedUpstream) -> None:
    client = openai.OpenAI(base_url=upstream.base_url + "/v1", api_key=KEY, max_retries=0)
    schema = {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}
    tools = [{"type": "function", "name": "exec_command", "parameters": schema, "strict": False}]
    with client.responses.stream(model="gpt-5.5", input="run it", tools=tools) as stream:  # type: ignore[arg-type]
        first = stream.get_final_response()
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "exec_command" and json.loads(call.arguments) == {"cmd": COMMAND}
    follow_up = [
        {"role": "user", "content": "run it"},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": f"Output:\n{TOKEN}\n"},
    ]
    with client.responses.stream(model="gpt-5.5", input=follow_up, tools=tools) as stream:  # type: ignore[arg-type]
        final = stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == ROUND_TRIP.expected_answer
    assert final.usage is not None and final.usage.output_tokens > 0
    assert outcomes(upstream) == ["call", "final"]


def test_responses_whole_answer_and_a_request_without_tools() -> None:
    with ScriptedUpstream(ROUND_TRIP, KEY) as upstream:
        client = openai.OpenAI(base_url=upstream.base_url + "/v1", api_key=KEY, max_retries=0)
        # A side call without tools is not part of the round trip: it just gets a text.
        assert client.responses.create(model="m", input="summarize").output_text == "OK"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=upstream.base_url + "/v1", api_key="wrong", max_retries=0
            ).responses.create(model="m", input="hi")
        assert outcomes(upstream) == ["text", "unauthorized"]


# --- Gemini (Gemini CLI) -------------------------------------------------------------------


def gemini_client(upstream: ScriptedUpstream, key: str = KEY) -> genai.Client:
    options = genai_types.HttpOptions(base_url=upstream.base_url)
    return genai.Client(api_key=key, http_options=options)


def test_gemini_streamed_shell_round_trip(upstream: ScriptedUpstream) -> None:
    client = gemini_client(upstream)
    declaration = genai_types.FunctionDeclaration(
        name="run_shell_command", description="run", parameters_json_schema=SHELL_SCHEMA
    )
    config = genai_types.GenerateContentConfig(
        tools=[genai_types.Tool(function_declarations=[declaration])],
        automatic_function_calling=genai_types.AutomaticFunctionCallingConfig(disable=True),
    )
    chunks = list(
        client.models.generate_content_stream(model="gemini-x", contents="run", config=config)
    )
    calls = [call for chunk in chunks for call in (chunk.function_calls or [])]
    assert [(c.name, (c.args or {}).get("command")) for c in calls] == [
        ("run_shell_command", COMMAND)
    ]
    call = calls[0]
    result = genai_types.FunctionResponse(
        id=call.id, name=call.name, response={"output": f"<untrusted_context>{TOKEN}</x>"}
    )
    contents = [
        genai_types.Content(role="user", parts=[genai_types.Part(text="run")]),
        genai_types.Content(role="model", parts=[genai_types.Part(function_call=call)]),
        genai_types.Content(role="user", parts=[genai_types.Part(function_response=result)]),
    ]
    chunks = list(
        client.models.generate_content_stream(model="gemini-x", contents=contents, config=config)
    )
    assert "".join(chunk.text or "" for chunk in chunks) == ROUND_TRIP.expected_answer
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
    assert outcomes(upstream) == ["call", "final"]


def test_gemini_routing_call_gets_json_that_fits_its_schema(upstream: ScriptedUpstream) -> None:
    """Gemini CLI's model routing call: a whole answer in JSON (upper-case schema types)."""
    schema = {
        "type": "OBJECT",
        "properties": {
            "complexity_reasoning": {"type": "STRING"},
            "complexity_score": {"type": "INTEGER", "minimum": 1},
        },
        "required": ["complexity_reasoning", "complexity_score"],
    }
    config = genai_types.GenerateContentConfig(
        response_mime_type="application/json", response_json_schema=schema
    )
    client = gemini_client(upstream)  # kept: the SDK closes its connection when collected
    answer = client.models.generate_content(
        model="gemini-lite", contents="route this", config=config
    )
    assert json.loads(answer.text or "") == {
        "complexity_reasoning": "selftest",
        "complexity_score": 1,
    }
    assert outcomes(upstream) == ["json"]


def test_gemini_wrong_key_and_side_calls(upstream: ScriptedUpstream) -> None:
    wrong = gemini_client(upstream, key="wrong")
    with pytest.raises(genai_errors.ClientError) as caught:
        wrong.models.generate_content(model="g", contents="hi")
    assert caught.value.code == 401
    client = gemini_client(upstream)
    assert client.models.count_tokens(model="g", contents="hello").total_tokens
    assert [m.name for m in client.models.list()] == ["models/selftest-model"]
    assert outcomes(upstream) == ["unauthorized", "count_tokens", "models"]


def test_model_lists_for_every_client(upstream: ScriptedUpstream) -> None:
    openai_client = openai.OpenAI(base_url=upstream.base_url + "/v1", api_key=KEY)
    assert [m.id for m in openai_client.models.list()] == ["selftest-model"]
    assert [m.id for m in anthropic_client(upstream).models.list()] == ["selftest-model"]


# --- OpenAI Chat Completions (opencode, Qwen Code, aider, Crush, OpenClaw) ------------------


def chat_client(upstream: ScriptedUpstream, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=upstream.base_url + "/v1", api_key=key, max_retries=0)


CHAT_TOOLS: Any = [  # Any: the SDK's TypedDicts would only get in the way here
    {"type": "function", "function": {"name": "execute_code", "parameters": SHELL_SCHEMA}},
    {"type": "function", "function": {"name": "terminal", "parameters": SHELL_SCHEMA}},
]


def chat_history(call_id: str, result: Any, *after: dict[str, Any]) -> Any:
    """A run-it question, the model's shell call and its result (then ``after``)."""
    call = {"id": call_id, "type": "function", "function": {"name": "terminal", "arguments": "{}"}}
    return [
        {"role": "system", "content": "You are a test."},
        {"role": "user", "content": "run it"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": result},
        *after,
    ]


def test_chat_streamed_shell_round_trip_with_a_usage_chunk(upstream: ScriptedUpstream) -> None:
    client = chat_client(upstream)
    question: Any = [{"role": "user", "content": "run it"}]
    chunks = list(
        client.chat.completions.create(
            model="selftest-model",
            messages=question,
            tools=CHAT_TOOLS,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    # Hermes's terminal, not its Python runner: the shell is chosen by name.
    fragments = [
        c for chunk in chunks if chunk.choices for c in chunk.choices[0].delta.tool_calls or []
    ]
    assert fragments[0].function is not None and fragments[0].function.name == "terminal"
    call_id = fragments[0].id
    arguments = "".join(f.function.arguments or "" for f in fragments if f.function)
    assert json.loads(arguments) == {
        "command": COMMAND,
        "description": "Run the cligate selftest command",
    }
    finish = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
    assert finish[-1] == "tool_calls" and set(finish[:-1]) == {None}
    # The usage chunk comes last, with no choices.
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert all(chunk.usage is None for chunk in chunks[:-1])

    assert call_id is not None
    history = chat_history(call_id, [{"type": "text", "text": f"Output: {TOKEN}\n"}])
    with client.chat.completions.stream(
        model="selftest-model",
        messages=history,
        tools=CHAT_TOOLS,
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == ROUND_TRIP.expected_answer
    assert outcomes(upstream) == ["call", "final"]
    assert all(e.authorized and e.model == "selftest-model" for e in upstream.exchanges)


def test_chat_stream_without_include_usage_has_no_usage_chunk() -> None:
    with ScriptedUpstream(TextScript("hello from the selftest"), KEY) as upstream:
        chunks = list(
            chat_client(upstream).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
        assert all(chunk.choices and chunk.usage is None for chunk in chunks)
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
        assert text == "hello from the selftest"
        assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_whole_answers_a_call_then_text(upstream: ScriptedUpstream) -> None:
    client = chat_client(upstream)
    first = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "run it"}],
        tools=CHAT_TOOLS,
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "terminal"
    assert json.loads(call.function.arguments)["command"] == COMMAND
    assert first.usage is not None and first.usage.prompt_tokens > 0
    final = client.chat.completions.create(
        model="m",
        messages=chat_history(call.id, f"{TOKEN}\n"),
        tools=CHAT_TOOLS,
    )
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == ROUND_TRIP.expected_answer
    assert final.choices[0].message.tool_calls is None
    assert outcomes(upstream) == ["call", "final"]


def test_chat_results_followed_by_openclaws_context_note_are_the_latest_turns(
    upstream: ScriptedUpstream,
) -> None:
    """OpenClaw puts a user message with its internal context after the tool results."""
    client = chat_client(upstream)
    note = {"role": "user", "content": [{"type": "text", "text": "<internal context>"}]}
    answer = client.chat.completions.create(
        model="m",
        messages=chat_history("call_1", TOKEN, note),
        tools=CHAT_TOOLS,
    )
    assert answer.choices[0].message.content == ROUND_TRIP.expected_answer
    # A new question after the model's text is a fresh turn: the old results do not count.
    fresh: Any = [
        *chat_history("call_1", TOKEN),
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "run it again"},
    ]
    again = client.chat.completions.create(
        model="m",
        messages=fresh,
        tools=CHAT_TOOLS,
    )
    assert again.choices[0].finish_reason == "tool_calls"
    assert outcomes(upstream) == ["final", "call"]


def test_chat_json_output_and_a_wrong_key(upstream: ScriptedUpstream) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "t", "schema": schema}}
    titled = chat_client(upstream).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "title?"}],
        response_format=fmt,
    )
    assert json.loads(titled.choices[0].message.content or "") == {"title": "selftest"}
    with pytest.raises(openai.AuthenticationError) as caught:
        chat_client(upstream, key="wrong").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert "provider key is missing or wrong" in str(caught.value)
    assert outcomes(upstream) == ["json", "unauthorized"]
    assert [e.protocol for e in upstream.exchanges] == [WireProtocol.OPENAI_CHAT] * 2
