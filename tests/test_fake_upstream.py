"""Tests of the fake upstream itself, with the official SDKs as strict clients."""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import h11
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gt

from tests.fake_upstream import (
    SKIP_SIGNATURE,
    BadSseData,
    CountedChunks,
    CutMidUtf8,
    CutStream,
    FakeUpstream,
    Hang,
    HttpError,
    MalformedJson,
    PatchFile,
    Reply,
    Reset,
    ShellCommands,
    ShellRoundTrip,
    SlowFirstByte,
    TextReply,
    ToolCall,
    ToolSpec,
    Turn,
    UnterminatedEvent,
    chat_pairing_errors,
    counted_chunks,
    counted_problems,
    gemini_problems,
    minimal_instance,
    signature_call_id,
    thought_signature,
)
from tests.fake_upstream.__main__ import parse_fault, parse_script
from tests.fake_upstream.model import estimate_usage

KEY = "up-key"
CMD = "cat token.txt"
ROOT = Path(__file__).resolve().parent.parent
CAPTURES = Path(__file__).resolve().parent / "captures"

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, script=ShellRoundTrip(CMD)) as server:
        yield server


def token() -> str:
    return "tok-" + secrets.token_hex(8)


# ---------------------------------------------------------------------------- SDK clients


def anthropic_client(up: FakeUpstream, key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=key, base_url=up.base_url, max_retries=0, _strict_response_validation=True
    )


def openai_client(up: FakeUpstream, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=key, base_url=up.base_url + "/v1", max_retries=0, _strict_response_validation=True
    )


def genai_client(up: FakeUpstream, key: str = KEY) -> genai.Client:
    options = gt.HttpOptions(
        base_url=up.base_url,
        api_version="v1beta",
        retry_options=gt.HttpRetryOptions(attempts=1),
        timeout=10_000,
    )
    return genai.Client(api_key=key, http_options=options)


BASH_TOOL: dict[str, Any] = {
    "name": "Bash",
    "description": "Run a bash command",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}, "description": {"type": "string"}},
        "required": ["command"],
    },
}
READ_TOOL: dict[str, Any] = {
    "name": "Read",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
}
EXEC_COMMAND_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "exec_command",
    "description": "Runs a command",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}, "workdir": {"type": "string"}},
        "required": ["cmd"],
        "additionalProperties": False,
    },
}
CODEX_SHELL_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "shell",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "array", "items": {"type": "string"}}},
        "required": ["command"],
    },
}
CHAT_TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
    {
        "type": "function",
        "function": {
            "name": "run_bash",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
    },
]
GEMINI_SHELL = gt.Tool(
    function_declarations=[
        gt.FunctionDeclaration(
            name="run_shell_command",
            description="Run a shell command",
            parameters_json_schema={
                "type": "object",
                "properties": {
                    "command": {"type": "string"},
                    "description": {"type": "string"},
                },
                "required": ["command"],
            },
        )
    ]
)


# ---------------------------------------------------------------------------- Anthropic


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_text(up: FakeUpstream, stream: bool) -> None:
    up.set_script(TextReply("hello there, general"))
    client = anthropic_client(up)
    messages: Any = [{"role": "user", "content": "hi"}]
    if stream:
        with client.messages.stream(model="claude-x", max_tokens=50, messages=messages) as s:
            deltas = [
                e.delta.text
                for e in s
                if e.type == "content_block_delta" and e.delta.type == "text_delta"
            ]
            message = s.get_final_message()
        assert len(deltas) > 1
    else:
        message = client.messages.create(model="claude-x", max_tokens=50, messages=messages)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].type == "text"
    assert message.content[0].text == "hello there, general"
    assert message.stop_reason == "end_turn"
    assert message.model == "claude-x"
    assert message.usage.output_tokens > 0
    (req,) = up.requests
    assert (req.protocol, req.outcome, req.stream) == ("anthropic", "text", stream)
    # this SDK version sends api_key as a Bearer token (Claude Code sends x-api-key)
    assert req.header("authorization") == f"Bearer {KEY}"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("list_content", [False, True])
def test_anthropic_shell_round_trip(up: FakeUpstream, stream: bool, list_content: bool) -> None:
    client = anthropic_client(up)
    tools: Any = [READ_TOOL, BASH_TOOL]
    messages: list[Any] = [{"role": "user", "content": "show the token"}]

    def call() -> anthropic.types.Message:
        if stream:
            with client.messages.stream(
                model="m", max_tokens=100, messages=messages, tools=tools
            ) as s:
                return s.get_final_message()
        return client.messages.create(model="m", max_tokens=100, messages=messages, tools=tools)

    first = call()
    assert first.stop_reason == "tool_use"
    uses = [b for b in first.content if b.type == "tool_use"]
    assert len(uses) == 1
    assert uses[0].name == "Bash"
    assert uses[0].input["command"] == CMD
    assert isinstance(uses[0].input["description"], str)
    secret = token()
    content: Any = f"{secret}\n" if not list_content else [{"type": "text", "text": secret}]
    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": uses[0].id, "content": content},
            ],
        }
    )
    final = call()
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text"
    assert final.content[0].text == f"FINAL: {secret}"
    assert [r.outcome for r in up.requests] == ["tool_call:Bash", "text"]


def test_anthropic_auth_headers_and_wrong_key(up: FakeUpstream) -> None:
    bearer = anthropic.Anthropic(auth_token=KEY, base_url=up.base_url, max_retries=0)
    one: Any = [{"role": "user", "content": "x"}]
    ok = bearer.messages.create(model="m", max_tokens=5, messages=one)
    assert ok.content[0].type == "text"
    url = up.base_url + "/v1/messages?beta=true"
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    assert httpx.post(url, json=body, headers={"x-api-key": KEY}).status_code == 200
    bad = httpx.post(url, json=body, headers={"x-api-key": "nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["type"] == "authentication_error"
    assert httpx.post(url, json=body).status_code == 401
    with pytest.raises(anthropic.AuthenticationError) as err:
        anthropic_client(up, "wrong").messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert err.value.status_code == 401
    assert up.requests[-1].outcome == "error:401"


def test_anthropic_http_error_and_cut_stream(up: FakeUpstream) -> None:
    client = anthropic_client(up)
    messages: Any = [{"role": "user", "content": "x"}]
    up.set_fault(HttpError(503, "overloaded"))
    with pytest.raises(anthropic.APIStatusError) as err:
        client.messages.create(model="m", max_tokens=5, messages=messages)
    assert err.value.status_code == 503
    assert "overloaded" in str(err.value)
    up.set_fault(CutStream(after_events=3))  # message_start, ping, content_block_start
    seen: list[str] = []
    # the SDK lets the transport error through unwrapped (httpx2.RemoteProtocolError)
    with (
        pytest.raises(Exception, match="incomplete chunked read"),
        client.messages.stream(model="m", max_tokens=5, messages=messages) as s,
    ):
        seen.extend(e.type for e in s)
    assert seen == ["message_start", "content_block_start"]
    up.set_fault(None)
    assert client.messages.create(model="m", max_tokens=5, messages=messages).content


# ---------------------------------------------------------------------------- OpenAI Responses

RESPONSES_TOOL_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
]


@pytest.mark.parametrize("stream", [False, True])
def test_responses_shell_round_trip(up: FakeUpstream, stream: bool) -> None:
    client = openai_client(up)
    items: list[Any] = [{"role": "user", "content": "show the token"}]
    tools: Any = [EXEC_COMMAND_TOOL]

    def call() -> tuple[openai.types.responses.Response, list[str]]:
        if stream:
            with client.responses.stream(model="gpt-x", input=items, tools=tools) as s:
                kinds = [e.type for e in s]
                return s.get_final_response(), kinds
        return client.responses.create(model="gpt-x", input=items, tools=tools), []

    first, kinds = call()
    calls = [o for o in first.output if o.type == "function_call"]
    assert len(calls) == 1
    assert calls[0].name == "exec_command"
    assert json.loads(calls[0].arguments) == {"cmd": CMD}
    assert first.usage is not None and first.usage.total_tokens > 0
    if stream:
        assert kinds == RESPONSES_TOOL_EVENTS
    secret = token()
    items.append(
        {
            "type": "function_call",
            "call_id": calls[0].call_id,
            "name": calls[0].name,
            "arguments": calls[0].arguments,
        }
    )
    items.append(
        {
            "type": "function_call_output",
            "call_id": calls[0].call_id,
            "output": f"Process exited with code 0\nOutput:\n{secret}\n",
        }
    )
    final, _ = call()
    assert final.status == "completed"
    assert final.output_text == f"FINAL: Process exited with code 0 Output: {secret}"
    assert [r.outcome for r in up.requests] == ["tool_call:exec_command", "text"]


def test_responses_shell_tool_with_argv_and_list_output(up: FakeUpstream) -> None:
    client = openai_client(up)
    first = client.responses.create(model="m", input="go", tools=[CODEX_SHELL_TOOL])
    call = first.output[-1]
    assert call.type == "function_call"
    assert json.loads(call.arguments) == {"command": ["bash", "-lc", CMD]}
    secret = token()
    final = client.responses.create(
        model="m",
        tools=[CODEX_SHELL_TOOL],
        input=[
            {"role": "user", "content": "go"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "shell",
                "arguments": call.arguments,
            },
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": [{"type": "input_text", "text": secret}],
            },
        ],
    )
    assert final.output_text == f"FINAL: {secret}"


def test_responses_text_wrong_key_and_errors(up: FakeUpstream) -> None:
    up.set_script(TextReply("plain words"))
    with openai_client(up).responses.stream(model="m", input="hi") as s:
        assert s.get_final_response().output_text == "plain words"
    with pytest.raises(openai.AuthenticationError) as auth:
        openai_client(up, "nope").responses.create(model="m", input="hi")
    assert auth.value.status_code == 401
    up.set_fault(HttpError(503, "busy"), times=1)
    with pytest.raises(openai.APIStatusError) as err:
        openai_client(up).responses.create(model="m", input="hi")
    assert err.value.status_code == 503
    assert openai_client(up).responses.create(model="m", input="hi").output_text == "plain words"
    up.set_fault(CutStream(after_events=3))
    seen: list[str] = []
    with (
        pytest.raises(openai.APIConnectionError),
        openai_client(up).responses.stream(model="m", input="hi") as s,
    ):
        seen.extend(e.type for e in s)
    assert seen == ["response.created", "response.in_progress", "response.output_item.added"]


# ---------------------------------------------------------------------------- Chat Completions


@pytest.mark.parametrize("stream", [False, True])
def test_chat_shell_round_trip(up: FakeUpstream, stream: bool) -> None:
    client = openai_client(up)
    messages: list[Any] = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "show the token"},
    ]
    tools: Any = CHAT_TOOLS

    def call() -> tuple[str | None, list[tuple[str, str, str]], str | None, int]:
        if stream:
            with client.chat.completions.stream(
                model="c", messages=messages, tools=tools, stream_options={"include_usage": True}
            ) as s:
                done = s.get_final_completion()
        else:
            done = client.chat.completions.create(model="c", messages=messages, tools=tools)
        choice = done.choices[0]
        calls = [
            (c.id, c.function.name, c.function.arguments)
            for c in choice.message.tool_calls or []
            if c.type == "function"
        ]
        assert done.usage is not None
        return choice.message.content, calls, choice.finish_reason, done.usage.total_tokens

    text, calls, finish, used = call()
    assert finish == "tool_calls"
    assert used > 0
    assert text == "I will run the command."
    assert [(name, json.loads(args)) for _, name, args in calls] == [("run_bash", {"command": CMD})]
    secret = token()
    messages.append(
        {
            "role": "assistant",
            "content": text,
            "tool_calls": [
                {
                    "id": calls[0][0],
                    "type": "function",
                    "function": {"name": calls[0][1], "arguments": calls[0][2]},
                },
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": calls[0][0], "content": f"  {secret}\n\n"})
    text, calls, finish, _ = call()
    assert (text, calls, finish) == (f"FINAL: {secret}", [], "stop")


def test_chat_stream_chunks_usage_and_done(up: FakeUpstream) -> None:
    up.set_script(TextReply("one two three"))
    chunks = list(
        openai_client(up).chat.completions.create(
            model="c",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-2].choices[0].finish_reason == "stop"
    raw = httpx.post(
        up.base_url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {KEY}"},
        json={"model": "c", "messages": [], "stream": True},
    )
    assert raw.text.endswith("data: [DONE]\n\n")
    assert '"usage"' not in raw.text  # no include_usage: no usage chunk


def test_chat_wrong_key(up: FakeUpstream) -> None:
    with pytest.raises(openai.AuthenticationError) as err:
        openai_client(up, "bad").chat.completions.create(model="c", messages=[])
    assert err.value.status_code == 401
    assert err.value.code == "invalid_api_key"


# ------------------------------------------------- Chat: parallel calls, tool loops, reasoning

TWO = ("printf A > a.txt", CMD)
"""Two commands asked for in one turn by the parallel tests."""


def chat_turn(
    client: openai.OpenAI, messages: list[Any], stream: bool, tools: Any = CHAT_TOOLS
) -> tuple[Any, str | None]:
    """One Chat completion (streamed through the SDK's accumulator or not): the message and
    its finish reason."""
    if stream:
        with client.chat.completions.stream(
            model="c", messages=messages, tools=tools, stream_options={"include_usage": True}
        ) as s:
            done = s.get_final_completion()
    else:
        done = client.chat.completions.create(model="c", messages=messages, tools=tools)
    return done.choices[0].message, done.choices[0].finish_reason


def chat_echo(message: Any) -> dict[str, Any]:
    """The assistant message as a client sends it back in the next request."""
    return {
        "role": "assistant",
        "content": message.content,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments},
            }
            for c in message.tool_calls or []
        ],
    }


@pytest.mark.parametrize("stream", [False, True])
def test_chat_parallel_tool_calls_round_trip(up: FakeUpstream, stream: bool) -> None:
    up.set_script(ShellCommands(TWO, parallel=True))
    client = openai_client(up)
    messages: list[Any] = [{"role": "user", "content": "make a.txt and show the token"}]
    first, finish = chat_turn(client, messages, stream)
    assert finish == "tool_calls"
    calls = first.tool_calls or []
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("run_bash", {"command": TWO[0]}),
        ("run_bash", {"command": TWO[1]}),
    ]
    ids = [c.id for c in calls]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    asked = up.requests[-1]
    assert asked.outcome == "tool_call:run_bash,run_bash"
    assert asked.reply is not None and [c.call_id for c in asked.reply.tool_calls] == ids
    secret = token()
    messages.append(chat_echo(first))
    messages.append({"role": "tool", "tool_call_id": ids[0], "content": ""})
    messages.append({"role": "tool", "tool_call_id": ids[1], "content": f"{secret}\n"})
    final, finish = chat_turn(client, messages, stream)
    assert (final.content, final.tool_calls, finish) == (f"FINAL: {secret}", None, "stop")
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_results == ("", f"{secret}\n")
    assert turn.tool_result_ids == tuple(ids) == turn.call_ids
    assert turn.tool_pairing_errors == ()


def test_chat_parallel_calls_stream_one_call_at_a_time(up: FakeUpstream) -> None:
    """Raw chunks: each call's head (index, id, name) then its argument fragments, indices
    0, 1, ... in order and never interleaved."""
    up.set_script(ShellCommands(("echo one", "echo two", "echo three")))
    raw = httpx.post(
        up.base_url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {KEY}"},
        json={"model": "c", "messages": [], "tools": CHAT_TOOLS, "stream": True},
    )
    fragments = [
        call
        for chunk in _sse_payloads(raw.text)
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls", [])
    ]
    indices = [f["index"] for f in fragments]
    assert indices == sorted(indices) and set(indices) == {0, 1, 2}
    heads = [f for f in fragments if "id" in f]
    assert [h["index"] for h in heads] == [0, 1, 2]
    assert all(h["type"] == "function" and h["function"]["name"] == "run_bash" for h in heads)
    for index, command in enumerate(("echo one", "echo two", "echo three")):
        args = "".join(f["function"]["arguments"] for f in fragments if f["index"] == index)
        assert json.loads(args) == {"command": command}
        # the head comes before the fragments of its own index
        assert fragments[indices.index(index)] is heads[index]
    assert raw.text.endswith("data: [DONE]\n\n")


def test_chat_parallel_answer_names_missing_results(up: FakeUpstream) -> None:
    up.set_script(ShellCommands(TWO))
    client = openai_client(up)
    messages: list[Any] = [{"role": "user", "content": "go"}]
    first, _ = chat_turn(client, messages, stream=False)
    ids = [c.id for c in first.tool_calls or []]
    messages.append(chat_echo(first))
    messages.append({"role": "tool", "tool_call_id": ids[1], "content": "only one"})
    final, _ = chat_turn(client, messages, stream=False)
    assert final.content == "fake upstream: expected 2 tool results, got 1"
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_pairing_errors == (f"the last assistant calls ['{ids[0]}'] are unanswered",)


@pytest.mark.parametrize("stream", [False, True])
def test_chat_multi_step_tool_loop(up: FakeUpstream, stream: bool) -> None:
    commands = ("printf A > a.txt", "cat a.txt", CMD)
    up.set_script(ShellCommands(commands, parallel=False))
    client = openai_client(up)
    messages: list[Any] = [{"role": "user", "content": "three steps"}]
    outputs = ["", "A", token()]
    for step, command in enumerate(commands):
        message, finish = chat_turn(client, messages, stream)
        assert finish == "tool_calls"
        (call,) = message.tool_calls or []
        assert json.loads(call.function.arguments) == {"command": command}
        messages.append(chat_echo(message))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": outputs[step]})
    final, finish = chat_turn(client, messages, stream)
    assert (final.content, finish) == (f"FINAL: A {outputs[2]}", "stop")
    turns = [r.turn for r in up.requests]
    assert [len(t.call_ids) for t in turns if t is not None] == [0, 1, 2, 3]
    assert all(t is not None and t.tool_pairing_errors == () for t in turns)
    assert [r.outcome for r in up.requests] == ["tool_call:run_bash"] * 3 + ["text"]


@pytest.mark.parametrize("stream", [False, True])
def test_chat_reasoning_content_comes_before_the_text(up: FakeUpstream, stream: bool) -> None:
    up.set_script(TextReply("the answer is four", reasoning="two plus two, carry nothing"))
    client = openai_client(up)
    messages: Any = [{"role": "user", "content": "2+2?"}]
    if not stream:
        message = client.chat.completions.create(model="c", messages=messages).choices[0].message
        assert message.content == "the answer is four"
        assert (message.model_extra or {})["reasoning_content"] == "two plus two, carry nothing"
        return
    chunks = client.chat.completions.create(model="c", messages=messages, stream=True)
    kinds: list[tuple[str, str]] = []
    for chunk in chunks:
        for choice in chunk.choices:
            thinking = (choice.delta.model_extra or {}).get("reasoning_content")
            if thinking:
                kinds.append(("reasoning", thinking))
            if choice.delta.content:
                kinds.append(("text", choice.delta.content))
    order = [kind for kind, _ in kinds]
    assert order == sorted(order) and order.count("reasoning") > 1  # all thinking first
    assert "".join(t for k, t in kinds if k == "reasoning") == "two plus two, carry nothing"
    assert "".join(t for k, t in kinds if k == "text") == "the answer is four"


def test_chat_without_reasoning_sends_no_reasoning_field(up: FakeUpstream) -> None:
    up.set_script(TextReply("plain"))
    for stream in (False, True):
        raw = httpx.post(
            up.base_url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {KEY}"},
            json={"model": "c", "messages": [], "stream": stream},
        )
        assert "reasoning_content" not in raw.text


def test_chat_pairing_errors() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    other = dict(call, id="call_2")
    user: dict[str, Any] = {"role": "user", "content": "x"}
    asked: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call, other]}
    one = {"role": "tool", "tool_call_id": "call_1", "content": "a"}
    two = {"role": "tool", "tool_call_id": "call_2", "content": "b"}
    assert (
        chat_pairing_errors([user, asked, two, one, {"role": "assistant", "content": "ok"}]) == ()
    )
    assert chat_pairing_errors([user, asked, one]) == (
        "the last assistant calls ['call_2'] are unanswered",
    )
    assert chat_pairing_errors([user, asked, one, user, two]) == (
        "messages[3] (user): calls ['call_2'] are still unanswered",
        "messages[4]: tool_call_id 'call_2' answers no open call",
    )
    assert chat_pairing_errors([user, one]) == (
        "messages[1]: tool_call_id 'call_1' answers no open call",
    )
    twice: dict[str, Any] = {"role": "assistant", "tool_calls": [call, call]}
    assert chat_pairing_errors([user, twice, one]) == (
        "messages[1]: tool call id 'call_1' repeats",
    )


def test_a_shell_tool_taking_a_list_of_commands_gets_the_command_whole() -> None:
    """The Cline CLI's run_commands takes whole commands in an array, not an argv."""
    from tests.fake_upstream.scripts import shell_arguments

    schema = {
        "type": "object",
        "properties": {"commands": {"type": "array", "items": {"type": "string"}}},
        "required": ["commands"],
    }
    assert shell_arguments(schema, "cat token.txt") == {"commands": ["cat token.txt"]}
    argv = {"type": "object", "properties": {"command": {"type": "array"}}}
    assert shell_arguments(argv, "ls") == {"command": ["bash", "-lc", "ls"]}


def test_chat_a_context_note_after_the_tool_results_does_not_hide_them() -> None:
    """OpenClaw puts a user message of its own after the tool results of a turn."""
    from tests.fake_upstream.parse import parse_turn

    call = {"id": "call_1", "type": "function", "function": {"name": "exec", "arguments": "{}"}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "show me"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "TOKEN"},
        {"role": "user", "content": [{"type": "text", "text": "internal context"}]},
    ]
    turn = parse_turn("chat", {"model": "m", "messages": messages}, "/v1/chat/completions", 0)
    assert turn.tool_results == ("TOKEN",)
    # A new question after a finished answer is still a new question.
    answered = [*messages[:3], {"role": "assistant", "content": "done"}, messages[0]]
    turn = parse_turn("chat", {"model": "m", "messages": answered}, "/v1/chat/completions", 0)
    assert turn.tool_results is None


# ---------------------------------------------------------------------------- Gemini


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_shell_round_trip(up: FakeUpstream, stream: bool) -> None:
    client = genai_client(up)
    config = gt.GenerateContentConfig(tools=[GEMINI_SHELL])
    contents: list[gt.Content] = [gt.Content(role="user", parts=[gt.Part(text="show token")])]

    def call() -> tuple[str, list[gt.FunctionCall], list[gt.Part]]:
        if stream:
            chunks = list(
                client.models.generate_content_stream(
                    model="gemini-x", contents=contents, config=config
                )
            )
            assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
            assert chunks[-1].usage_metadata is not None
        else:
            chunks = [
                client.models.generate_content(model="gemini-x", contents=contents, config=config)
            ]
        parts = [
            p
            for c in chunks
            if c.candidates
            for p in (c.candidates[0].content.parts or [])
            if c.candidates[0].content
        ]
        text = "".join(p.text or "" for p in parts)
        return text, [p.function_call for p in parts if p.function_call], parts

    _, calls, parts = call()
    assert len(calls) == 1
    assert calls[0].name == "run_shell_command"
    assert calls[0].args is not None and calls[0].args["command"] == CMD
    assert calls[0].id
    secret = token()
    contents.append(gt.Content(role="model", parts=parts))
    contents.append(
        gt.Content(
            role="user",
            parts=[
                gt.Part(
                    function_response=gt.FunctionResponse(
                        id=calls[0].id,
                        name="run_shell_command",
                        response={"output": f"Output: {secret}"},
                    )
                )
            ],
        )
    )
    text, calls, _ = call()
    assert (text, calls) == (f"FINAL: Output: {secret}", [])
    assert [r.path.rsplit(":", 1)[1] for r in up.requests] == [
        "streamGenerateContent" if stream else "generateContent"
    ] * 2


def test_gemini_json_routing_call(up: FakeUpstream) -> None:
    schema = {
        "type": "OBJECT",
        "properties": {
            "complexity_reasoning": {"type": "STRING"},
            "complexity_score": {"type": "INTEGER"},
        },
        "required": ["complexity_reasoning", "complexity_score"],
    }
    client = genai_client(up)  # keep a reference: a collected Client closes its transport
    got = client.models.generate_content(
        model="gemini-lite",
        contents="route me",
        config=gt.GenerateContentConfig(
            response_mime_type="application/json", response_json_schema=schema
        ),
    )
    assert json.loads(got.text or "") == {"complexity_reasoning": "mock", "complexity_score": 1}
    assert up.requests[-1].outcome == "json"


def test_gemini_auth_variants_and_errors(up: FakeUpstream) -> None:
    bad_client, client = genai_client(up, "bad"), genai_client(up)
    with pytest.raises(genai_errors.ClientError) as auth:
        bad_client.models.generate_content(model="g", contents="x")
    assert auth.value.code == 401
    assert auth.value.status == "UNAUTHENTICATED"
    url = up.base_url + "/v1beta/models/g:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    assert httpx.post(url + f"?key={KEY}", json=body).status_code == 200
    assert httpx.post(url, json=body, headers={"authorization": f"Bearer {KEY}"}).status_code == 200
    assert httpx.post(url, json=body).status_code == 401
    up.set_fault(HttpError(503, "unavailable", retry_after=2))
    with pytest.raises(genai_errors.ServerError) as err:
        client.models.generate_content(model="g", contents="x")
    assert err.value.code == 503
    raw = httpx.post(url, json=body, headers={"x-goog-api-key": KEY})
    assert (raw.status_code, raw.headers["retry-after"]) == (503, "2")
    assert raw.json()["error"]["status"] == "UNAVAILABLE"


def test_gemini_cut_stream_and_json_array_stream(up: FakeUpstream) -> None:
    up.set_script(TextReply("alpha beta gamma"))
    url = up.base_url + "/v1beta/models/g:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    array = httpx.post(url, json=body, headers={"x-goog-api-key": KEY}).json()
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in array) == (
        "alpha beta gamma"
    )
    sse = httpx.post(url + "?alt=sse", json=body, headers={"x-goog-api-key": KEY}).text
    assert sse.startswith("data: {") and sse.endswith("}\r\n\r\n")
    up.set_fault(CutStream(after_events=2))
    seen: list[str] = []
    client = genai_client(up)
    with pytest.raises(Exception, match="incomplete chunked read"):  # unwrapped transport error
        for chunk in client.models.generate_content_stream(model="g", contents="x"):
            seen.append(chunk.text or "")
    assert seen == ["alpha", " beta"]


def _model_parts(response: gt.GenerateContentResponse) -> list[gt.Part]:
    candidate = response.candidates[0] if response.candidates else None
    return list(candidate.content.parts or []) if candidate and candidate.content else []


def test_gemini_calls_carry_a_thought_signature_the_fake_recognises(up: FakeUpstream) -> None:
    up.set_script(ShellCommands(TWO))
    client = genai_client(up)
    config = gt.GenerateContentConfig(tools=[GEMINI_SHELL])
    contents: list[gt.Content] = [gt.Content(role="user", parts=[gt.Part(text="go")])]
    first = _model_parts(
        client.models.generate_content(model="g", contents=contents, config=config)
    )
    calls = [p for p in first if p.function_call]
    # like Gemini's thinking models: only the first call of an answer is signed
    assert [p.thought_signature is not None for p in calls] == [True, False]
    assert calls[0].function_call is not None and calls[0].function_call.id
    signature = calls[0].thought_signature
    assert signature is not None
    assert signature_call_id(base64.b64encode(signature).decode()) == calls[0].function_call.id
    contents.append(gt.Content(role="model", parts=first))
    contents.append(
        gt.Content(
            role="user",
            parts=[
                gt.Part(
                    function_response=gt.FunctionResponse(
                        id=p.function_call.id, name=p.function_call.name, response={"output": o}
                    )
                )
                for p, o in zip(calls, ["a", "b"], strict=True)
                if p.function_call
            ],
        )
    )
    final = client.models.generate_content(model="g", contents=contents, config=config)
    assert final.text == "FINAL: a b"
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.call_signatures == (thought_signature(turn.call_ids[0]), "")
    assert turn.wire_problems == ()
    assert signature_call_id("not base64!") is None
    assert signature_call_id(base64.b64encode(b"other").decode()) is None


def test_gemini_calls_without_ids_or_signatures(up: FakeUpstream) -> None:
    with FakeUpstream(
        api_key=KEY, script=ShellRoundTrip(CMD), gemini_call_ids=False, gemini_signatures=False
    ) as bare:
        client = genai_client(bare)
        config = gt.GenerateContentConfig(tools=[GEMINI_SHELL])
        contents: list[gt.Content] = [gt.Content(role="user", parts=[gt.Part(text="go")])]
        for stream in (False, True):
            if stream:
                chunks = client.models.generate_content_stream(
                    model="g", contents=contents, config=config
                )
                parts = [p for c in chunks for p in _model_parts(c)]
            else:
                parts = _model_parts(
                    client.models.generate_content(model="g", contents=contents, config=config)
                )
            (call,) = [p for p in parts if p.function_call]
            assert call.function_call is not None
            assert (call.function_call.id, call.thought_signature) == (None, None)
            assert call.function_call.name == "run_shell_command"
        raw = httpx.post(
            bare.base_url + "/v1beta/models/g:generateContent",
            json={
                "contents": [{"role": "user", "parts": [{"text": "x"}]}],
                "tools": [{"functionDeclarations": [{"name": "run_shell_command"}]}],
            },
            headers={"x-goog-api-key": KEY},
        ).json()
        (part,) = [p for p in raw["candidates"][0]["content"]["parts"] if "functionCall" in p]
        assert set(part) == {"functionCall"} and set(part["functionCall"]) == {"name", "args"}


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_reasoning_comes_first_as_thought_parts_counted_apart(
    up: FakeUpstream, stream: bool
) -> None:
    thinking = "The user wants a greeting; one short line will do it."
    up.set_script(TextReply("Hello there, friend.", reasoning=thinking))
    client = genai_client(up)
    if stream:
        chunks = list(client.models.generate_content_stream(model="g", contents="hi"))
    else:
        chunks = [client.models.generate_content(model="g", contents="hi")]
    parts = [p for c in chunks for p in _model_parts(c)]
    assert "".join(p.text or "" for p in parts if p.thought) == thinking
    assert "".join(p.text or "" for p in parts if not p.thought) == "Hello there, friend."
    assert parts[0].thought  # thoughts before the text
    usage = chunks[-1].usage_metadata
    assert usage is not None
    (recorded,) = up.requests
    assert recorded.turn is not None and recorded.reply is not None
    expected = estimate_usage(recorded.turn, recorded.reply)
    assert usage.thoughts_token_count == len(thinking) // 4
    assert usage.candidates_token_count == expected.output_tokens - len(thinking) // 4
    assert usage.prompt_token_count == expected.input_tokens
    assert usage.total_token_count == expected.total


def _gemini_body(*contents: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"contents": list(contents), **extra}


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def _call(call_id: str | None, signature: str | None = None, name: str = "sh") -> dict[str, Any]:
    call: dict[str, Any] = {"name": name, "args": {}}
    if call_id is not None:
        call["id"] = call_id
    part: dict[str, Any] = {"functionCall": call}
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


def _response(call_id: str | None, name: str = "sh") -> dict[str, Any]:
    response: dict[str, Any] = {"name": name, "response": {"output": "x"}}
    if call_id is not None:
        response["id"] = call_id
    return {"functionResponse": response}


def test_gemini_problems() -> None:
    good_sig = thought_signature("c1")
    good = _gemini_body(
        _user("hi"),
        {"role": "model", "parts": [_call("c1", good_sig), _call("c2")]},
        {"role": "user", "parts": [_response("c2"), _response("c1")]},
    )
    assert gemini_problems(good) == ()
    sentinel = _gemini_body(
        _user("hi"),
        {"role": "model", "parts": [{"text": "let me"}, _call(None, SKIP_SIGNATURE)]},
        {"role": "user", "parts": [_response(None)]},
    )
    assert gemini_problems(sentinel) == ()
    # An older turn's unsigned call is fine; the current turn's is not.
    older = _gemini_body(
        _user("one"),
        {"role": "model", "parts": [_call("c1")]},
        {"role": "user", "parts": [_response("c1")]},
        {"role": "model", "parts": [{"text": "done"}]},
        _user("two"),
        {"role": "model", "parts": [_call("c2")]},
        {"role": "user", "parts": [_response("c2")]},
    )
    assert gemini_problems(older) == (
        "contents[5].parts[0]: function call without thoughtSignature",
    )
    forged = _gemini_body(
        _user("x"),
        {"role": "model", "parts": [_call("c1", "Zm9yZ2Vk")]},
        {"role": "user", "parts": [_response("other")]},
    )
    assert gemini_problems(forged) == (
        "contents[2]: response id 'other' answers no call",
        "contents[1].parts[0]: thoughtSignature 'Zm9yZ2Vk' is invalid",
    )
    unpaired = _gemini_body(
        {"role": "system", "parts": [{"text": "be nice"}]},
        _user("x"),
        {"role": "model", "parts": [_call("c1", good_sig), _call("c2", name="other")]},
        {"role": "user", "parts": [_response("c1")]},
        {"role": "user", "parts": [_response("c9")]},
        {"role": "model", "parts": [_call("c3", good_sig)]},
    )
    assert gemini_problems(unpaired) == (
        "contents[0]: role 'system' is not user or model",
        "contents[3]: function responses ['sh'] do not answer the calls ['other', 'sh'] of "
        "contents[2]",
        "contents[4]: function responses without calls before them",
        "contents[5]: the last function calls are unanswered",
    )
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"command": {"type": ["string", "null"]}, "additionalProperties": {}},
        "additionalProperties": False,
    }
    declarations = [
        {"name": "a", "parameters": schema},
        {"name": "b", "parametersJsonSchema": schema},  # JSON Schema is allowed there
        {"name": "c", "parameters": {}, "parametersJsonSchema": {}, "strict": True},
    ]
    unknown = _gemini_body(
        {"role": "user", "parts": [{"text": "x", "cache_control": {}}]},
        tools=[{"functionDeclarations": declarations, "type": "function"}],
        generationConfig={"maxOutputTokens": 5, "max_output_tokens": 5, "reasoning": {}},
        stream=True,
    )
    assert gemini_problems(unknown) == (
        "request: unknown member(s) ['stream']",
        "generationConfig: unknown member(s) ['reasoning']",
        "tools[0]: unknown member(s) ['type']",
        "tools[0].functionDeclarations[0].parameters: unknown member(s) "
        "['$schema', 'additionalProperties']",
        "tools[0].functionDeclarations[0].parameters.properties.command.type: must be one "
        "type name, not ['string', 'null']",
        "tools[0].functionDeclarations[2]: unknown member(s) ['strict']",
        "tools[0].functionDeclarations[2]: both parameters and parametersJsonSchema",
        "contents[0].parts[0]: unknown member(s) ['cache_control']",
    )
    assert gemini_problems([]) == ("the body is not a JSON object",)
    assert gemini_problems({}) == ("contents: empty",)


@pytest.mark.parametrize("wire", ["chat", "anthropic"])
def test_json_schema_requests_of_chat_and_anthropic_get_schema_valid_json(
    up: FakeUpstream, wire: str
) -> None:
    """How a Gemini routing call asks for JSON once translated: Chat's
    response_format.json_schema.schema and Anthropic's output_config.format.schema."""
    schema = {
        "type": "object",
        "properties": {
            "complexity_reasoning": {"type": "string"},
            "complexity_score": {"type": "integer", "minimum": 1},
        },
        "required": ["complexity_reasoning", "complexity_score"],
    }
    expected = {"complexity_reasoning": "mock", "complexity_score": 1}
    if wire == "chat":
        fmt: Any = {"type": "json_schema", "json_schema": {"name": "route", "schema": schema}}
        got = openai_client(up).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "route"}], response_format=fmt
        )
        text = got.choices[0].message.content or ""
    else:
        message = anthropic_client(up).messages.create(
            model="m",
            max_tokens=100,
            messages=[{"role": "user", "content": "route"}],
            extra_body={"output_config": {"format": {"type": "json_schema", "schema": schema}}},
        )
        assert message.content[0].type == "text"
        text = message.content[0].text
    assert json.loads(text) == expected
    (recorded,) = up.requests
    assert recorded.outcome == "json"
    assert recorded.turn is not None and recorded.turn.json_schema == schema


# ------------------------------------------- parallel calls: Anthropic, Responses, Gemini


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_parallel_tool_use_blocks(up: FakeUpstream, stream: bool) -> None:
    up.set_script(ShellCommands(TWO))
    client = anthropic_client(up)
    tools: Any = [READ_TOOL, BASH_TOOL]
    messages: list[Any] = [{"role": "user", "content": "go"}]

    def call() -> anthropic.types.Message:
        if stream:
            with client.messages.stream(
                model="m", max_tokens=100, messages=messages, tools=tools
            ) as s:
                return s.get_final_message()
        return client.messages.create(model="m", max_tokens=100, messages=messages, tools=tools)

    first = call()
    assert first.stop_reason == "tool_use"
    assert [b.type for b in first.content] == ["text", "tool_use", "tool_use"]
    uses = [b for b in first.content if b.type == "tool_use"]
    assert [(u.name, u.input["command"]) for u in uses] == [("Bash", TWO[0]), ("Bash", TWO[1])]
    assert uses[0].id != uses[1].id
    secret = token()
    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": uses[0].id, "content": ""},
                {"type": "tool_result", "tool_use_id": uses[1].id, "content": secret},
            ],
        }
    )
    final = call()
    assert final.content[0].type == "text" and final.content[0].text == f"FINAL: {secret}"
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_result_ids == (uses[0].id, uses[1].id) == turn.call_ids


@pytest.mark.parametrize("stream", [False, True])
def test_responses_parallel_function_call_items(up: FakeUpstream, stream: bool) -> None:
    up.set_script(ShellCommands(TWO))
    client = openai_client(up)
    items: list[Any] = [{"role": "user", "content": "go"}]
    tools: Any = [EXEC_COMMAND_TOOL]

    def call() -> tuple[openai.types.responses.Response, list[Any]]:
        if stream:
            with client.responses.stream(model="gpt-x", input=items, tools=tools) as s:
                events = list(s)
                return s.get_final_response(), events
        return client.responses.create(model="gpt-x", input=items, tools=tools), []

    first, events = call()
    calls = [o for o in first.output if o.type == "function_call"]
    assert [json.loads(c.arguments) for c in calls] == [{"cmd": TWO[0]}, {"cmd": TWO[1]}]
    assert len({c.call_id for c in calls}) == 2 and len({c.id for c in calls}) == 2
    if stream:
        added = [e for e in events if e.type == "response.output_item.added"]
        assert [(e.output_index, e.item.type) for e in added] == [
            (0, "message"),
            (1, "function_call"),
            (2, "function_call"),
        ]
    secret = token()
    for c in calls:
        items.append(
            {
                "type": "function_call",
                "call_id": c.call_id,
                "name": c.name,
                "arguments": c.arguments,
            }
        )
    items.append({"type": "function_call_output", "call_id": calls[0].call_id, "output": "ok"})
    items.append({"type": "function_call_output", "call_id": calls[1].call_id, "output": secret})
    final, _ = call()
    assert final.output_text == f"FINAL: ok {secret}"
    turn = up.requests[-1].turn
    assert turn is not None and turn.tool_result_ids == tuple(c.call_id for c in calls)


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_parallel_function_call_parts(up: FakeUpstream, stream: bool) -> None:
    up.set_script(ShellCommands(TWO))
    client = genai_client(up)
    config = gt.GenerateContentConfig(tools=[GEMINI_SHELL])
    contents: list[gt.Content] = [gt.Content(role="user", parts=[gt.Part(text="go")])]

    def parts() -> list[gt.Part]:
        if stream:
            chunks = list(
                client.models.generate_content_stream(model="g", contents=contents, config=config)
            )
        else:
            chunks = [client.models.generate_content(model="g", contents=contents, config=config)]
        return [
            p
            for c in chunks
            if c.candidates and c.candidates[0].content
            for p in c.candidates[0].content.parts or []
        ]

    first = parts()
    calls = [p.function_call for p in first if p.function_call]
    assert [(c.name, (c.args or {})["command"]) for c in calls] == [
        ("run_shell_command", TWO[0]),
        ("run_shell_command", TWO[1]),
    ]
    assert calls[0].id != calls[1].id
    secret = token()
    contents.append(gt.Content(role="model", parts=first))
    contents.append(
        gt.Content(
            role="user",
            parts=[
                gt.Part(
                    function_response=gt.FunctionResponse(
                        id=c.id, name=c.name, response={"output": out}
                    )
                )
                for c, out in zip(calls, ["done", secret], strict=True)
            ],
        )
    )
    assert "".join(p.text or "" for p in parts()) == f"FINAL: done {secret}"


def test_reply_keeps_tool_call_and_tool_calls_in_step() -> None:
    one = ToolCall(name="Bash", call_id="a", arguments={"command": "x"})
    two = ToolCall(name="Read", call_id="b")
    assert Reply(text="t", tool_call=one).tool_calls == (one,)
    assert Reply("t", one).tool_calls == (one,)  # positional, as older callers build it
    both = Reply(tool_calls=(one, two))
    assert (both.tool_call, both.outcome) == (one, "tool_call:Bash,Read")
    assert Reply(tool_call=one, tool_calls=(one, two)).tool_calls == (one, two)
    assert (Reply().tool_call, Reply().tool_calls, Reply().outcome) == (None, (), "text")
    with pytest.raises(ValueError, match="first of tool_calls"):
        Reply(tool_call=two, tool_calls=(one, two))
    with pytest.raises(ValueError, match="repeat"):
        Reply(tool_calls=(one, one))


def test_cli_script_specs_for_several_commands() -> None:
    assert parse_script("parallel:printf A > a.txt ;; cat token.txt") == ShellCommands(
        ("printf A > a.txt", "cat token.txt"), parallel=True
    )
    assert parse_script("steps:echo 1 ;; echo 2") == ShellCommands(
        ("echo 1", "echo 2"), parallel=False
    )


# ------------------------------------------------------- apply_patch (PatchFile) and codex tools

CODEX_55_CAPTURE = (
    CAPTURES / "codex" / "tool_gpt-5.5__01_responses_stream_answered_tool_exec_command.json"
)
NOTES_PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+written by apply_patch\n*** End Patch\n"
PATCH_RESULT = "Success. Updated the following files:\nA notes.txt\n"


def codex_tools() -> list[dict[str, Any]]:
    """The function and freeform tools codex 0.169 sends for model gpt-5.5 (captured)."""
    body = json.loads(CODEX_55_CAPTURE.read_text())["request"]["body"]
    tools = [t for t in body["tools"] if t.get("type") in ("function", "custom")]
    assert {"exec_command", "apply_patch"} <= {t["name"] for t in tools}
    return tools


def codex_tools_as_functions() -> list[tuple[str, str, dict[str, Any]]]:
    """(name, description, JSON schema) of codex's tools once freeform tools became functions
    with one string parameter `input` (what a translating proxy offers Chat, Anthropic and
    Gemini providers; the names stay the same)."""
    out = []
    for tool in codex_tools():
        if tool["type"] == "custom":
            grammar = tool["format"]["definition"]
            schema = {
                "type": "object",
                "properties": {"input": {"type": "string", "description": grammar}},
                "required": ["input"],
            }
        else:
            schema = tool["parameters"]
        out.append((tool["name"], tool.get("description", ""), schema))
    return out


def test_patch_file_patch_text_and_cli_spec() -> None:
    assert PatchFile().patch == NOTES_PATCH
    two_lines = PatchFile(path="d/x.md", text="one\ntwo")
    assert two_lines.patch == "*** Begin Patch\n*** Add File: d/x.md\n+one\n+two\n*** End Patch\n"
    update = PatchFile(path="a.txt", text="new line", replace="old line")
    assert update.patch == (
        "*** Begin Patch\n*** Update File: a.txt\n@@\n-old line\n+new line\n*** End Patch\n"
    )
    assert parse_script("patch:notes.txt:a: b") == PatchFile(path="notes.txt", text="a: b")
    for bad in ("patch:notes.txt", "patch::text"):
        with pytest.raises(Exception, match="patch:PATH:TEXT"):
            parse_script(bad)


def test_patch_file_finds_only_a_usable_apply_patch_tool() -> None:
    def turn(*tools: ToolSpec, results: tuple[str, ...] | None = None) -> Turn:
        return Turn("chat", "m", False, tools, results, None, False, 10)

    script = PatchFile()
    shell = ToolSpec("exec_command", schema={"properties": {"cmd": {"type": "string"}}})
    no_input = ToolSpec("apply_patch", schema={"properties": {"patch": {"type": "string"}}})
    not_string = ToolSpec("apply_patch", schema={"properties": {"input": {"type": "object"}}})
    missing = script.reply(turn(shell, no_input, not_string))
    assert missing.tool_calls == ()
    assert (
        missing.text
        == "fake upstream: no apply_patch tool among: exec_command, apply_patch, apply_patch"
    )
    assert script.reply(turn()).text == "OK"
    gemini_style = ToolSpec("apply_patch", schema={"properties": {"input": {"type": "STRING"}}})
    call = script.reply(turn(shell, gemini_style)).tool_call
    assert call is not None
    assert (call.name, call.kind, call.arguments) == (
        "apply_patch",
        "function",
        {"input": NOTES_PATCH},
    )
    assert call.call_id.startswith("call_")
    freeform = script.reply(turn(shell, ToolSpec("apply_patch", kind="custom"))).tool_call
    assert freeform is not None
    assert (freeform.kind, freeform.input, freeform.arguments) == ("custom", NOTES_PATCH, {})
    done = script.reply(turn(shell, gemini_style, results=("  Success.\n A notes.txt\n",)))
    assert (done.text, done.tool_calls) == ("FINAL: Success. A notes.txt", ())


@pytest.mark.parametrize("stream", [False, True])
def test_responses_patch_round_trip_with_codex_freeform_tool(
    up: FakeUpstream, stream: bool
) -> None:
    up.set_script(PatchFile())
    client = openai_client(up)
    items: list[Any] = [{"role": "user", "content": "write notes.txt"}]
    tools: Any = codex_tools()

    def call() -> tuple[openai.types.responses.Response, list[str]]:
        if stream:
            with client.responses.stream(model="gpt-5.5", input=items, tools=tools) as s:
                kinds: list[str] = [e.type for e in s]
                final: openai.types.responses.Response = s.get_final_response()
                return final, kinds
        return client.responses.create(model="gpt-5.5", input=items, tools=tools), []

    first, kinds = call()
    calls = [o for o in first.output if o.type == "custom_tool_call"]
    assert [(c.name, c.input) for c in calls] == [("apply_patch", NOTES_PATCH)]
    assert [o.type for o in first.output] == ["message", "custom_tool_call"]
    if stream:
        assert "response.custom_tool_call_input.done" in kinds
        assert "response.function_call_arguments.delta" not in kinds
    assert up.requests[-1].outcome == "tool_call:apply_patch"
    items.append(
        {
            "type": "custom_tool_call",
            "call_id": calls[0].call_id,
            "name": "apply_patch",
            "input": calls[0].input,
        }
    )
    items.append(
        {"type": "custom_tool_call_output", "call_id": calls[0].call_id, "output": PATCH_RESULT}
    )
    final, _ = call()
    assert final.output_text == "FINAL: Success. Updated the following files: A notes.txt"
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_result_ids == (calls[0].call_id,) == turn.call_ids


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("script", [ShellRoundTrip(CMD), PatchFile()], ids=["shell", "patch"])
def test_chat_codex_tools_shell_and_patch_round_trip(
    up: FakeUpstream, stream: bool, script: ShellRoundTrip | PatchFile
) -> None:
    """codex's tools as Chat functions: ShellRoundTrip picks exec_command, PatchFile picks
    apply_patch ({"input": patch}); the `tool` message of either call comes back as the answer."""
    up.set_script(script)
    client = openai_client(up)
    tools: Any = [
        {"type": "function", "function": {"name": n, "description": d, "parameters": s}}
        for n, d, s in codex_tools_as_functions()
    ]
    messages: list[Any] = [
        {"role": "developer", "content": "codex instructions"},
        {"role": "user", "content": "go"},
    ]
    first, finish = chat_turn(client, messages, stream, tools)
    assert finish == "tool_calls"
    (call,) = first.tool_calls or []
    args = json.loads(call.function.arguments)
    if isinstance(script, PatchFile):
        assert (call.function.name, args) == ("apply_patch", {"input": NOTES_PATCH})
    else:
        assert call.function.name == "exec_command" and args["cmd"] == CMD
    secret = token()
    messages.append(chat_echo(first))
    messages.append(
        {"role": "tool", "tool_call_id": call.id, "content": f"{secret}\nA notes.txt\n"}
    )
    final, finish = chat_turn(client, messages, stream, tools)
    assert (final.content, final.tool_calls, finish) == (
        f"FINAL: {secret} A notes.txt",
        None,
        "stop",
    )
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_result_ids == (call.id,) == turn.call_ids
    assert turn.tool_pairing_errors == ()


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("script", [ShellRoundTrip(CMD), PatchFile()], ids=["shell", "patch"])
def test_anthropic_codex_tools_shell_and_patch_round_trip(
    up: FakeUpstream, stream: bool, script: ShellRoundTrip | PatchFile
) -> None:
    """codex's tools as Anthropic tools: the same choices, the tool_result comes back."""
    up.set_script(script)
    client = anthropic_client(up)
    tools: Any = [
        {"name": n, "description": d, "input_schema": s} for n, d, s in codex_tools_as_functions()
    ]
    messages: list[Any] = [{"role": "user", "content": "go"}]

    def call() -> anthropic.types.Message:
        if stream:
            with client.messages.stream(
                model="m", max_tokens=100, messages=messages, tools=tools
            ) as s:
                return s.get_final_message()
        return client.messages.create(model="m", max_tokens=100, messages=messages, tools=tools)

    first = call()
    assert first.stop_reason == "tool_use"
    (use,) = [b for b in first.content if b.type == "tool_use"]
    assert use.id.startswith("toolu_")
    if isinstance(script, PatchFile):
        assert (use.name, use.input) == ("apply_patch", {"input": NOTES_PATCH})
    else:
        assert use.name == "exec_command" and use.input["cmd"] == CMD
    secret = token()
    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    result: Any = [{"type": "text", "text": f"{secret}\nA notes.txt\n"}]
    messages.append(
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": result}],
        }
    )
    final = call()
    assert final.stop_reason == "end_turn"
    assert final.content[0].type == "text"
    assert final.content[0].text == f"FINAL: {secret} A notes.txt"
    turn = up.requests[-1].turn
    assert turn is not None
    assert turn.tool_result_ids == (use.id,) == turn.call_ids


def test_gemini_patch_round_trip(up: FakeUpstream) -> None:
    up.set_script(PatchFile(path="src/new.py", text="print('hi')"))
    client = genai_client(up)
    declarations = [
        gt.FunctionDeclaration(name=n, description=d, parameters_json_schema=s)
        for n, d, s in codex_tools_as_functions()
    ]
    config = gt.GenerateContentConfig(tools=[gt.Tool(function_declarations=declarations)])
    contents: list[gt.Content] = [gt.Content(role="user", parts=[gt.Part(text="go")])]
    first = client.models.generate_content(model="g", contents=contents, config=config)
    parts = (
        first.candidates[0].content.parts
        if first.candidates and first.candidates[0].content
        else []
    )
    calls = [p.function_call for p in parts or [] if p.function_call]
    patch = "*** Begin Patch\n*** Add File: src/new.py\n+print('hi')\n*** End Patch\n"
    assert [(c.name, c.args) for c in calls] == [("apply_patch", {"input": patch})]
    contents.append(gt.Content(role="model", parts=parts))
    response = gt.FunctionResponse(
        id=calls[0].id, name="apply_patch", response={"output": "A src/new.py"}
    )
    contents.append(gt.Content(role="user", parts=[gt.Part(function_response=response)]))
    final = client.models.generate_content(model="g", contents=contents, config=config)
    assert final.text == "FINAL: A src/new.py"


# ---------------------------------------------------------------------------- server behaviour


def test_preconnect_404_and_keep_alive(up: FakeUpstream) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", up.port, timeout=5)
    try:
        conn.request("HEAD", "/")
        head = conn.getresponse()
        head.read()
        assert head.status == 200
        sock = conn.sock
        conn.request("GET", "/v1/nothing")
        missing = conn.getresponse()
        assert missing.status == 404
        assert "error" in json.loads(missing.read())
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=b"{}",
            headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        )
        answer = conn.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["object"] == "chat.completion"
        assert conn.sock is sock and sock is not None  # one connection served all three
    finally:
        conn.close()
    assert [(r.method, r.path, r.outcome) for r in up.requests] == [
        ("HEAD", "/", "preconnect"),
        ("GET", "/v1/nothing", "error:404"),
        ("POST", "/v1/chat/completions", "text"),  # ShellRoundTrip, no tools: side text
    ]
    assert up.requests[2].json == {}
    up.clear()
    assert up.requests == []


def test_requests_without_tools_get_side_text_or_json(up: FakeUpstream) -> None:
    client = openai_client(up)
    side = client.responses.create(model="m", input="title please")
    assert side.output_text == "OK"
    fmt: Any = {
        "type": "json_schema",
        "name": "t",
        "schema": {
            "type": "object",
            "properties": {"title": {"type": "string", "minLength": 6}},
            "required": ["title"],
        },
    }
    titled = client.responses.create(model="m", input="title", text={"format": fmt})
    assert json.loads(titled.output_text) == {"title": "mockxx"}
    chat = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(chat.choices[0].message.content or "") == {}
    assert [r.outcome for r in up.requests] == ["text", "json", "json"]


class _Broken:
    def reply(self, turn: Turn) -> Reply:
        raise ValueError(f"no answer for {turn.protocol}")


def test_custom_script_errors_become_500_and_count_tokens(up: FakeUpstream) -> None:
    headers = {"x-api-key": KEY}
    counted = httpx.post(
        up.base_url + "/v1/messages/count_tokens",
        headers=headers,
        json={"model": "m", "messages": [{"role": "user", "content": "x" * 400}]},
    )
    assert counted.json()["input_tokens"] > 100
    up.set_script(_Broken())
    got = httpx.post(up.base_url + "/v1/messages", headers=headers, json={"messages": []})
    assert got.status_code == 500
    assert got.json()["error"]["type"] == "api_error"
    assert "no answer for anthropic" in got.json()["error"]["message"]


def test_bad_json_body_is_400(up: FakeUpstream) -> None:
    got = httpx.post(up.base_url + "/v1/messages", content=b"{not json", headers={"x-api-key": KEY})
    assert got.status_code == 400
    assert got.json()["error"]["type"] == "invalid_request_error"


def test_hang_then_stop_is_prompt() -> None:
    server = FakeUpstream(api_key=KEY, fault=Hang(20)).start()
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                server.base_url + "/v1/responses",
                json={"model": "m", "input": "x"},
                headers={"authorization": f"Bearer {KEY}"},
                timeout=0.3,
            )
        assert server.wait_for_requests(1)[0].outcome == "fault:hang"
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


def test_slow_first_byte_and_fault_times(up: FakeUpstream) -> None:
    up.set_script(TextReply("late"))
    up.set_fault(SlowFirstByte(0.4), times=1)
    client = openai_client(up)
    started = time.monotonic()
    first = client.chat.completions.create(model="m", messages=[])
    assert time.monotonic() - started >= 0.4
    assert first.choices[0].message.content == "late"
    started = time.monotonic()
    client.chat.completions.create(model="m", messages=[])
    assert time.monotonic() - started < 0.4  # fault used up
    up.set_fault(HttpError(429, "slow down", retry_after=1), times=2)
    for _ in range(2):
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=[])
    assert client.chat.completions.create(model="m", messages=[]).choices[0].message.content


def test_cut_non_streamed_answer(up: FakeUpstream) -> None:
    up.set_fault(CutStream(after_events=1))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            up.base_url + "/v1/chat/completions",
            json={"messages": []},
            headers={"authorization": f"Bearer {KEY}"},
        )


def test_minimal_instance() -> None:
    schema = {
        "$defs": {"Kind": {"type": "string", "enum": ["a", "b"]}},
        "type": "object",
        "properties": {
            "kind": {"$ref": "#/$defs/Kind"},
            "n": {"type": "integer", "minimum": 5},
            "ratio": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "STRING"}, "minItems": 2},
            "flag": {"type": "boolean"},
            "pick": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {}}]},
            "optional": {"type": "string"},
        },
        "required": ["kind", "n", "ratio", "tags", "flag", "pick"],
    }
    assert minimal_instance(schema) == {
        "kind": "a",
        "n": 5,
        "ratio": 1.0,
        "tags": ["mock", "mock"],
        "flag": False,
        "pick": {},
    }
    assert minimal_instance({"properties": {"a": {"type": "INTEGER"}}}) == {"a": 1}


def test_cli_process_serves_until_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_upstream",
            "--port",
            "0",
            "--api-key",
            "K",
            "--script",
            "text:hi from cli",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        got = httpx.post(
            base + "/v1/messages",
            headers={"x-api-key": "K"},
            json={"model": "m", "max_tokens": 5, "messages": []},
            timeout=5,
        )
        assert got.json()["content"] == [{"type": "text", "text": "hi from cli"}]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


# ------------------------------------------------------- more faults, and counted chunks

PATHS = {
    "anthropic": "/v1/messages",
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
    "gemini": "/v1beta/models/fake-large:streamGenerateContent",
}


def raw_exchange(
    up: FakeUpstream, protocol: str = "anthropic", stream: bool = True
) -> tuple[bytes, OSError | None]:
    """Send one request on a raw socket and read until EOF or an error: (bytes, the error)."""
    body = json.dumps({"model": "m", "max_tokens": 5, "stream": stream, "messages": []}).encode()
    path = PATHS[protocol] + ("?alt=sse" if protocol == "gemini" else "")
    head = (
        f"POST {path} HTTP/1.1\r\nhost: fake\r\nx-api-key: {KEY}\r\nx-goog-api-key: {KEY}\r\n"
        f"authorization: Bearer {KEY}\r\ncontent-type: application/json\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    received = bytearray()
    with socket.create_connection(("127.0.0.1", up.port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        try:
            while data := sock.recv(65536):
                received += data
        except OSError as exc:
            return bytes(received), exc
    return bytes(received), None


@dataclass
class Parsed:
    status: int
    headers: dict[str, str]
    body: bytes
    complete: bool  # the body ended as its framing says (terminating chunk / content-length)


def parse_http(raw: bytes) -> Parsed:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    conn.receive_data(b"")
    status, headers, body = 0, {}, bytearray()
    try:
        while (event := conn.next_event()) is not h11.PAUSED:
            if isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return Parsed(status, headers, bytes(body), True)
            elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                break
    except h11.RemoteProtocolError:
        pass
    return Parsed(status, headers, bytes(body), False)


def sse_blocks(body: bytes) -> list[bytes]:
    """The body's SSE events as raw blocks (split on blank lines; a trailing part kept)."""
    return [block for block in body.replace(b"\r\n", b"\n").split(b"\n\n") if block]


def test_reset_before_the_first_byte(up: FakeUpstream) -> None:
    up.set_fault(Reset(), times=1)
    received, error = raw_exchange(up)
    assert received == b""
    assert isinstance(error, ConnectionResetError)
    assert up.requests[-1].outcome == "fault:reset"
    received, error = raw_exchange(up)  # fault used up
    assert error is None and parse_http(received).complete


@pytest.mark.parametrize("protocol", ["anthropic", "chat"])
def test_reset_after_n_events(up: FakeUpstream, protocol: str) -> None:
    up.set_script(CountedChunks(20))
    up.set_fault(Reset(after_events=4))
    received, error = raw_exchange(up, protocol)
    assert isinstance(error, ConnectionResetError)  # an RST, not a clean close
    parsed = parse_http(received)
    assert parsed.status == 200 and not parsed.complete
    assert len(sse_blocks(parsed.body)) == 4
    assert parsed.body.endswith(b"\n\n")
    assert up.requests[-1].outcome == "fault:reset"
    received, error = raw_exchange(up, protocol, stream=False)  # whole: head + half the body
    parsed = parse_http(received)
    assert isinstance(error, ConnectionResetError)
    assert 0 < len(parsed.body) < int(parsed.headers["content-length"])
    with pytest.raises(httpx.TransportError):  # what an HTTP client sees
        httpx.post(up.base_url + PATHS[protocol], json={"stream": True}, headers=AUTH, timeout=5)


AUTH = {"x-api-key": KEY, "authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("protocol", ["anthropic", "chat", "responses"])
def test_malformed_json_in_a_200_answer(up: FakeUpstream, protocol: str, stream: bool) -> None:
    up.set_script(TextReply("whole answer"))
    up.set_fault(MalformedJson(), times=1)
    body = {"model": "m", "max_tokens": 5, "stream": stream, "messages": [], "input": "x"}
    got = httpx.post(up.base_url + PATHS[protocol], json=body, headers=AUTH, timeout=5)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert len(got.content) == int(got.headers["content-length"]) > 10  # framing intact
    with pytest.raises(ValueError):
        json.loads(got.content)
    assert got.content.startswith(b"{")
    assert up.requests[-1].outcome == "fault:bad-json"
    again = httpx.post(up.base_url + PATHS[protocol], json=body, headers=AUTH, timeout=5)
    assert again.status_code == 200 and again.text  # used up


def test_malformed_json_leaves_error_answers_alone(up: FakeUpstream) -> None:
    up.set_script(_Broken())
    up.set_fault(MalformedJson())
    got = httpx.post(up.base_url + "/v1/messages", json={"messages": []}, headers=AUTH)
    assert got.status_code == 500
    assert got.json()["type"] == "error"


def test_sse_data_line_that_is_not_json(up: FakeUpstream) -> None:
    up.set_script(CountedChunks(3))
    up.set_fault(BadSseData(after_events=2))
    received, error = raw_exchange(up)
    parsed = parse_http(received)
    assert error is None and parsed.complete  # the stream still ends properly
    blocks = sse_blocks(parsed.body)
    assert blocks[2] == b"event: content_block_start\ndata: {this is not json"
    rest = [json.loads(b.split(b"data: ", 1)[1]) for i, b in enumerate(blocks) if i != 2]
    assert [e["type"] for e in rest][-1] == "message_stop"
    assert up.requests[-1].outcome == "fault:bad-sse-data"
    # Chat has no event names: a bare data line; Gemini keeps its CRLF framing.
    up.set_fault(BadSseData(after_events=1, data="oops"))
    chat = parse_http(raw_exchange(up, "chat")[0]).body
    assert b"\n\ndata: oops\n\n" in chat and chat.endswith(b"data: [DONE]\n\n")
    gemini = parse_http(raw_exchange(up, "gemini")[0]).body
    assert b"\r\n\r\ndata: oops\r\n\r\n" in gemini
    # A whole answer is not affected.
    whole = httpx.post(up.base_url + "/v1/messages", json={"messages": []}, headers=AUTH)
    assert whole.json()["content"][0]["text"] == "c0000 c0001 c0002 "
    assert up.requests[-1].outcome == "text"


def test_sse_event_without_its_blank_line(up: FakeUpstream) -> None:
    up.set_script(CountedChunks(2))
    up.set_fault(UnterminatedEvent())  # the last one: Chat's [DONE]
    received, error = raw_exchange(up, "chat")
    parsed = parse_http(received)
    assert error is None and parsed.complete
    assert parsed.body.endswith(b"}\n\ndata: [DONE]\n")
    assert up.requests[-1].outcome == "fault:unterminated-event"
    with httpx.stream(
        "POST", up.base_url + "/v1/chat/completions", json={"stream": True}, headers=AUTH
    ) as got:
        lines = list(got.iter_lines())
    assert lines[-1] == "data: [DONE]"  # a line reader still sees it; an SSE parser does not
    up.set_fault(UnterminatedEvent(index=0))  # an inner one runs into the next event
    body = parse_http(raw_exchange(up)[0]).body
    first, second = sse_blocks(body)[:2]
    assert first.startswith(b"event: message_start\ndata: {") and b"\nevent: ping\n" in first
    assert second.startswith(b"event: content_block_start\n")
    whole = httpx.post(up.base_url + "/v1/messages", json={"messages": []}, headers=AUTH)
    assert whole.json()["content"][0]["text"] == "c0000 c0001 "


@pytest.mark.parametrize("protocol", ["anthropic", "chat", "responses"])
def test_close_inside_a_multibyte_character(up: FakeUpstream, protocol: str) -> None:
    up.set_script(TextReply("plain words, then héllo wörld"))
    up.set_fault(CutMidUtf8())
    received, error = raw_exchange(up, protocol)
    parsed = parse_http(received)
    assert error is None and not parsed.complete  # a clean close, mid-body
    assert parsed.body.endswith(b"h\xc3")  # the first byte of "é" and no more
    with pytest.raises(UnicodeDecodeError):
        parsed.body.decode()
    assert parsed.body[:-1].decode().endswith("h")
    assert up.requests[-1].outcome == "fault:cut-utf8"
    received, error = raw_exchange(up, protocol, stream=False)
    parsed = parse_http(received)
    assert not parsed.complete and parsed.body.endswith(b"h\xc3")
    assert len(parsed.body) < int(parsed.headers["content-length"])


def test_close_inside_a_multibyte_character_needs_one(up: FakeUpstream) -> None:
    up.set_script(TextReply("ascii only"))
    up.set_fault(CutMidUtf8())
    got = httpx.post(up.base_url + "/v1/messages", json={"messages": []}, headers=AUTH)
    assert got.status_code == 500
    assert "non-ASCII" in got.json()["error"]["message"]
    assert up.requests[-1].outcome == "error:500"


def test_counted_chunks_one_per_event_through_the_sdks(up: FakeUpstream) -> None:
    script = CountedChunks(250)
    up.set_script(script)
    assert script.chunks[:2] == ("c0000 ", "c0001 ") and script.chunks[-1] == "c0249 "
    with anthropic_client(up).messages.stream(model="m", max_tokens=5, messages=[]) as s:
        deltas = [
            e.delta.text
            for e in s
            if e.type == "content_block_delta" and e.delta.type == "text_delta"
        ]
    assert deltas == list(script.chunks)
    openai_sdk, genai_sdk = openai_client(up), genai_client(up)
    chat = openai_sdk.chat.completions.create(model="m", messages=[], stream=True)
    pieces = [c.choices[0].delta.content for c in chat if c.choices and c.choices[0].delta.content]
    assert pieces == list(script.chunks)
    with openai_sdk.responses.stream(model="m", input="x") as r:
        texts = [e.delta for e in r if e.type == "response.output_text.delta"]
    assert texts == list(script.chunks)
    parts = genai_sdk.models.generate_content_stream(model="fake-large", contents="x")
    assert [p.text for p in parts] == list(script.chunks)
    whole = openai_sdk.chat.completions.create(model="m", messages=[])
    assert whole.choices[0].message.content == script.text
    assert counted_problems(script.text, 250) is None


def test_counted_chunks_wider_numbers_and_cli_spec() -> None:
    assert counted_chunks(3) == ("c0000 ", "c0001 ", "c0002 ")
    assert counted_chunks(12345)[-1] == "c12344 "
    assert parse_script("counted:7") == CountedChunks(7)
    assert parse_script("counted-by-model:7") == CountedChunks(7, by_model=True)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_script("counted:0")
    with pytest.raises(ValueError):
        CountedChunks(0)
    with pytest.raises(ValueError):
        Reply(text="x", chunks=("a",))
    assert Reply(chunks=("a", "b")).text == "ab"


def test_counted_chunks_by_model(up: FakeUpstream) -> None:
    up.set_script(CountedChunks(3, by_model=True))
    for model in ("load-001", "load-002"):
        with anthropic_client(up).messages.stream(model=model, max_tokens=5, messages=[]) as s:
            text = "".join(
                e.delta.text
                for e in s
                if e.type == "content_block_delta" and e.delta.type == "text_delta"
            )
        assert text == f"{model}:c0000 {model}:c0001 {model}:c0002 "
        assert counted_problems(text, 3, f"{model}:c") is None
        assert counted_problems(text, 3) is not None


def test_counted_problems_names_lost_duplicated_and_reordered_chunks() -> None:
    chunks = list(counted_chunks(5))
    assert counted_problems("".join(chunks), 5) is None
    lost = chunks[:2] + chunks[3:]
    assert "'c0003' where 'c0002' was expected" in str(counted_problems("".join(lost), 5))
    duplicated = chunks[:3] + chunks[2:]
    assert "'c0002' is a duplicate" in str(counted_problems("".join(duplicated), 5))
    swapped = [chunks[0], chunks[2], chunks[1], *chunks[3:]]
    assert "'c0002' where 'c0001'" in str(counted_problems("".join(swapped), 5))
    assert "only 3 of 5" in str(counted_problems("".join(chunks[:3]), 5))
    assert "not a counted chunk" in str(counted_problems("c0000 xyz ", 5))
    assert counted_problems("".join(chunks).rstrip(), 5) is not None


def test_cli_fault_specs() -> None:
    assert parse_fault("reset:0") == Reset(0)
    assert parse_fault("reset:3") == Reset(3)
    assert parse_fault("bad-json") == MalformedJson()
    assert parse_fault("bad-sse:2") == BadSseData(2)
    assert parse_fault("unterminated") == UnterminatedEvent()
    assert parse_fault("unterminated:0") == UnterminatedEvent(0)
    assert parse_fault("cut-utf8") == CutMidUtf8()
    assert parse_fault("cut:2") == CutStream(2)
    for bad in ("reset:x", "bad-json:1", "nope"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault(bad)


# ---------------------------------------------------------------------------- capture replay

CAPTURE_FILES = sorted(p for p in CAPTURES.glob("*/*.json") if p.name != "summary.json")
FINAL_OUTPUT = {  # a piece of the tool output each CLI sent back in its captured second turn
    "claude": "(Bash completed with no output)",
    "codex": "Process exited with code 0",
    "codex-lite": "Script completed",
    "gemini": "Output: (empty) Process Group PGID:",
}
_DROP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "authorization",
    "x-api-key",
    "x-goog-api-key",
}


def _sse_payloads(raw: str) -> list[dict[str, Any]]:
    out = []
    for line in raw.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            out.append(json.loads(line[len("data: ") :]))
    return out


def _reduce(cli: str, raw: str, streamed: bool) -> tuple[str, list[tuple[str, Any]], bool]:
    """(text, [(tool name, arguments or input)], finished properly) from a raw answer."""
    events = _sse_payloads(raw) if streamed else [json.loads(raw)]
    text, calls = "", []
    if cli == "claude":
        for e in events:
            if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta":
                text += e["delta"]["text"]
            if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use":
                block = e["content_block"]
                args = json.loads(
                    "".join(
                        d["delta"]["partial_json"]
                        for d in events
                        if d["type"] == "content_block_delta" and d["index"] == e["index"]
                    )
                )
                calls.append((block["name"], args))
        return text, calls, events[-1]["type"] == "message_stop"
    if cli == "codex":
        for e in events:
            if e["type"] == "response.output_text.delta":
                text += e["delta"]
            if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call":
                calls.append((e["item"]["name"], json.loads(e["item"]["arguments"])))
            if e["type"] == "response.output_item.done" and e["item"]["type"] == "custom_tool_call":
                calls.append((e["item"]["name"], e["item"]["input"]))
        return text, calls, events[-1]["type"] == "response.completed"
    for e in events:
        for part in e["candidates"][0]["content"]["parts"]:
            text += part.get("text", "")
            if "functionCall" in part:
                assert part["functionCall"]["id"]
                calls.append((part["functionCall"]["name"], part["functionCall"]["args"]))
    return text, calls, events[-1]["candidates"][0].get("finishReason") == "STOP"


@pytest.mark.parametrize("path", CAPTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_capture_replay(path: Path) -> None:
    capture = json.loads(path.read_text())
    cli, case, req = capture["cli"], capture["case"], capture["request"]
    tool_case = case.startswith("tool")
    script = ShellRoundTrip(CMD) if tool_case else TextReply("MOCK_OK")
    headers = {k: v for k, v in req["headers"].items() if k.lower() not in _DROP_HEADERS}
    for name in ("x-api-key", "x-goog-api-key"):
        if name in req["headers"]:
            headers[name] = KEY
    if "authorization" in req["headers"]:
        headers["authorization"] = f"Bearer {KEY}"
    query = "&".join(f"{k}={v}" for k, values in req["query"].items() for v in values)
    with FakeUpstream(api_key=KEY, script=script) as server:
        got = httpx.post(
            server.base_url + req["path"] + ("?" + query if query else ""),
            content=json.dumps(req["body"]).encode(),
            headers=headers,
            timeout=10,
        )
        (recorded,) = server.requests
    assert got.status_code == 200, got.text
    streamed = "stream" in path.stem
    assert got.headers["content-type"].startswith(
        "text/event-stream" if streamed else "application/json"
    )
    text, calls, finished = _reduce(cli, got.text, streamed)
    assert finished
    if cli == "gemini":  # what the real CLI sent is what a real Gemini accepts
        assert recorded.turn is not None and recorded.turn.wire_problems == ()
    generation = req["body"].get("generationConfig", {})
    if generation.get("responseMimeType") == "application/json":  # gemini routing call
        assert recorded.outcome == "json" and not calls
        assert json.loads(text) == {"complexity_reasoning": "mock", "complexity_score": 1}
    elif "answered_tool_" in path.stem:  # first turn of a tool case: must call the shell tool
        expected = path.stem.split("answered_tool_", 1)[1]
        assert [name for name, _ in calls] == [expected]
        args = calls[0][1]
        if isinstance(args, str):  # codex responses-lite freeform `exec`
            assert f'tools.exec_command({{cmd: "{CMD}"}})' in args
        else:
            assert args.get("command", args.get("cmd")) == CMD
    elif tool_case:  # a later turn that carries the tool result
        assert not calls
        kind = "codex-lite" if "responses_lite" in case else cli
        assert text.startswith("FINAL: ")
        assert FINAL_OUTPUT[kind] in text
        assert recorded.outcome == "text"
    else:
        assert (text, calls, recorded.outcome) == ("MOCK_OK", [], "text")
