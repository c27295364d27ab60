"""Chat Completions request → neutral → Anthropic Messages body: golden rows, exact equality."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from cligate.protocols.anthropic.encode_request import encode_request
from cligate.protocols.capabilities import (
    CapabilityProfile,
    Decisions,
    StrictModeError,
    protocol_defaults,
)
from cligate.protocols.ir import DecodeError
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat.decode_request import decode_request

MODEL = "claude-test"
ANTHROPIC = replace(
    protocol_defaults(WireProtocol.ANTHROPIC, "anthropic:claude-test"), max_output_tokens=32000
)
BASH_ID = "toolu_cgx_ZnVuY3Rpb25zLkJhc2g6MA"  # to_anthropic_id("functions.Bash:0")
PNG = "iVBORw0KGgo="


def translate(
    body: dict[str, Any], profile: CapabilityProfile = ANTHROPIC, strict: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    decisions = Decisions(strict=strict)
    out = encode_request(decode_request(body), MODEL, profile, decisions)
    return out, decisions.summary()


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def text(value: str, cache: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": value}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def body_of(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1", "messages": list(messages), **fields}


def out_of(*messages: dict[str, Any], max_tokens: int = 32000, **fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": max_tokens, "messages": list(messages), **fields}


HI = {"role": "user", "content": "hi"}
READ_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    },
}
READ_TOOL_OUT = {
    "name": "read_file",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
}
CALL_TURN = {
    "role": "assistant",
    "content": None,
    "tool_calls": [call("call_1", "read_file", "{}")],
}
CALL_TURN_OUT = {
    "role": "assistant",
    "content": [{"type": "tool_use", "id": "call_1", "name": "read_file", "input": {}}],
}
RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "data"}
RESULT_OUT = {"type": "tool_result", "tool_use_id": "call_1", "content": [text("data")]}
SYNTHETIC = {
    "type": "tool_result",
    "tool_use_id": "call_1",
    "is_error": True,
    "content": [text("No result was sent for this tool call.")],
}

ROWS = [
    pytest.param(body_of(HI), out_of(user("hi")), (), id="minimal"),
    pytest.param(
        # what an OpenAI-compatible coding client sends mid-task
        body_of(
            {"role": "system", "content": "You are a coding agent."},
            {"role": "user", "content": [{"type": "text", "text": "Fix the failing test."}]},
            {
                "role": "assistant",
                "content": "Let me look.",
                "tool_calls": [
                    call("call_1", "read_file", '{"path": "t.py"}'),
                    call("functions.Bash:0", "bash", '{"command":"pytest -q"}'),
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "def test(): assert 1 == 2"},
            {"role": "tool", "tool_call_id": "functions.Bash:0", "content": "1 failed"},
            {"role": "assistant", "content": "The assertion is wrong."},
            {"role": "user", "content": "Fix it."},
            tools=[READ_TOOL],
            tool_choice="auto",
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=8192,
            temperature=0.2,
        ),
        {
            "model": MODEL,
            "max_tokens": 8192,
            "system": [text("You are a coding agent.")],
            "messages": [
                user("Fix the failing test."),
                {
                    "role": "assistant",
                    "content": [
                        text("Let me look."),
                        {
                            "type": "tool_use",
                            "id": "call_1",
                            "name": "read_file",
                            "input": {"path": "t.py"},
                        },
                        {
                            "type": "tool_use",
                            "id": BASH_ID,
                            "name": "bash",
                            "input": {"command": "pytest -q"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "call_1",
                            "content": [text("def test(): assert 1 == 2")],
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": BASH_ID,
                            "content": [text("1 failed")],
                        },
                    ],
                },
                {"role": "assistant", "content": [text("The assertion is wrong.")]},
                user("Fix it."),
            ],
            "tools": [READ_TOOL_OUT],
            "tool_choice": {"type": "auto"},
            "temperature": 0.2,
            "stream": True,
        },
        ("tool-id-mapped: tool call id 'functions.Bash:0'",),
        id="coding-client-turn",
    ),
    pytest.param(
        body_of(
            {"role": "developer", "content": [{"type": "text", "text": "A"}]},
            {"role": "system", "content": "B"},
            HI,
        ),
        out_of(user("hi"), system=[text("A"), text("B")]),
        (),
        id="leading-system-and-developer",
    ),
    pytest.param(
        body_of(
            HI,
            {"role": "system", "content": "Be brief."},
            {"role": "assistant", "content": "ok"},
            {"role": "system", "content": "Now in French."},
        ),
        out_of(
            {"role": "user", "content": [text("hi"), text("<system>\nBe brief.\n</system>")]},
            {"role": "assistant", "content": [text("ok")]},
            user("<system>\nNow in French.\n</system>"),
        ),
        ("system-message-moved: a system message inside the conversation: user text (x2)",),
        id="mid-conversation-system",
    ),
    pytest.param(
        body_of(HI, {"role": "user", "content": "there"}),
        out_of({"role": "user", "content": [text("hi"), text("there")]}),
        (),
        id="same-role-merged",
    ),
    pytest.param(
        body_of({"role": "assistant", "content": "Hello!"}, HI),
        out_of(user("Continue."), {"role": "assistant", "content": [text("Hello!")]}, user("hi")),
        (
            "user-turn-inserted: the conversation did not start with a user turn: a "
            "'Continue.' user turn was put first",
        ),
        id="assistant-first",
    ),
    pytest.param(
        body_of({"role": "system", "content": "Say hello."}),
        out_of(user("Continue."), system=[text("Say hello.")]),
        (
            "user-turn-inserted: the conversation did not start with a user turn: a "
            "'Continue.' user turn was put first",
        ),
        id="system-only",
    ),
    pytest.param(
        body_of(HI, {"role": "assistant", "content": ""}, {"role": "user", "content": ""}),
        out_of(user("hi")),
        (),
        id="empty-content-vanishes",
    ),
    pytest.param(
        body_of(HI, {"role": "tool", "tool_call_id": "call_9", "content": "late"}),
        out_of(
            {"role": "user", "content": [text("hi"), text("[result of tool call call_9]\nlate")]}
        ),
        ("orphan-tool-result-as-text: no tool call 'call_9' before it",),
        id="orphan-result",
    ),
    pytest.param(
        body_of(HI, CALL_TURN, RESULT, RESULT),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {"role": "user", "content": [RESULT_OUT, text("[result of tool call call_1]\ndata")]},
        ),
        ("orphan-tool-result-as-text: no tool call 'call_1' before it",),
        id="duplicate-result",
    ),
    pytest.param(
        body_of(HI, CALL_TURN, {"role": "user", "content": "never mind"}),
        out_of(
            user("hi"), CALL_TURN_OUT, {"role": "user", "content": [SYNTHETIC, text("never mind")]}
        ),
        ("unanswered-tool-call-closed: tool call 'call_1'",),
        id="unanswered-call",
    ),
    pytest.param(
        body_of(HI, CALL_TURN),
        out_of(user("hi"), CALL_TURN_OUT, {"role": "user", "content": [SYNTHETIC]}),
        ("unanswered-tool-call-closed: tool call 'call_1'",),
        id="unanswered-call-at-end",
    ),
    pytest.param(
        body_of(HI, CALL_TURN, {"role": "user", "content": "also"}, RESULT),
        out_of(user("hi"), CALL_TURN_OUT, {"role": "user", "content": [RESULT_OUT, text("also")]}),
        (),
        id="tool-results-go-first",
    ),
    pytest.param(
        body_of(
            HI,
            CALL_TURN,
            {
                "role": "tool",
                "tool_call_id": "call_1",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
        ),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "call_1",
                        "content": [text("a"), text("b")],
                    }
                ],
            },
        ),
        (),
        id="tool-result-parts",
    ),
    pytest.param(
        body_of(HI, {"role": "assistant", "content": "4", "reasoning_content": "2+2"}),
        out_of(user("hi"), {"role": "assistant", "content": [text("4")]}),
        ("unsigned-thinking-dropped: reasoning without an Anthropic signature",),
        id="unsigned-reasoning-dropped",
    ),
    pytest.param(
        body_of(
            HI,
            {"role": "assistant", "tool_calls": [call("call_1", "read_file", "{bad")]},
            RESULT,
            {"role": "assistant", "tool_calls": [call("call_2", "read_file", "")]},
            {"role": "tool", "tool_call_id": "call_2", "content": ""},
        ),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {"role": "user", "content": [RESULT_OUT]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "call_2", "name": "read_file", "input": {}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_2"}]},
        ),
        (
            "tool-arguments-not-json: tool call 'call_1' (read_file): arguments are not a JSON "
            "object, sent as {}",
        ),
        id="unparsable-arguments",
    ),
    pytest.param(
        body_of(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "see"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://x.test/a.jpg", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}},
                ],
            }
        ),
        out_of(
            {
                "role": "user",
                "content": [
                    text("see"),
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}},
                ],
            }
        ),
        ("image-type-unsupported: anthropic:claude-test takes no image/bmp images",),
        id="images",
    ),
    pytest.param(
        body_of(
            {
                "role": "user",
                "content": [
                    {
                        "type": "file",
                        "file": {
                            "filename": "a.pdf",
                            "file_data": "data:application/pdf;base64,JVBERi0=",
                        },
                    },
                    {
                        "type": "file",
                        "file": {
                            "filename": "n.txt",
                            "file_data": base64.b64encode(b"notes").decode(),
                        },
                    },
                ],
            }
        ),
        out_of(
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "title": "a.pdf",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBERi0=",
                        },
                    },
                    {
                        "type": "document",
                        "title": "n.txt",
                        "source": {"type": "text", "media_type": "text/plain", "data": "notes"},
                    },
                ],
            }
        ),
        (),
        id="documents",
    ),
    pytest.param(
        body_of(
            {
                "role": "system",
                "content": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://x.test/a.jpg"},
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "yo", "cache_control": {"type": "ephemeral"}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "more",
                        "prompt_cache_breakpoint": {"mode": "explicit"},
                    }
                ],
            },
        ),
        out_of(
            {
                "role": "user",
                "content": [
                    text("hi", cache=True),
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://x.test/a.jpg"},
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
            {"role": "assistant", "content": [text("yo", cache=True)]},
            {"role": "user", "content": [text("more", cache=True)]},
            system=[text("S")],
        ),
        ("cache-hint-dropped: 5 cache breakpoints, Anthropic takes 4",),
        id="cache-breakpoints-limited",
    ),
    pytest.param(
        body_of(
            HI,
            tools=[
                {
                    "type": "function",
                    "function": {"name": "noop"},
                    "cache_control": {"type": "ephemeral"},
                },
                {"type": "custom", "custom": {"name": "apply_patch"}},
            ],
            tool_choice={"type": "function", "function": {"name": "noop"}},
            parallel_tool_calls=False,
        ),
        out_of(
            user("hi"),
            tools=[
                {
                    "name": "noop",
                    "input_schema": {"type": "object", "properties": {}},
                    "cache_control": {"type": "ephemeral"},
                }
            ],
            tool_choice={"type": "tool", "name": "noop", "disable_parallel_tool_use": True},
        ),
        ("option-not-honoured: 'tools' has no Anthropic equivalent",),
        id="tools-forced-no-parallel",
    ),
    pytest.param(
        body_of(HI, tools=[READ_TOOL], tool_choice="required"),
        out_of(user("hi"), tools=[READ_TOOL_OUT], tool_choice={"type": "any"}),
        (),
        id="tool-choice-required",
    ),
    pytest.param(
        body_of(HI, tools=[READ_TOOL], tool_choice="none", parallel_tool_calls=False),
        out_of(user("hi"), tools=[READ_TOOL_OUT], tool_choice={"type": "none"}),
        (),
        id="tool-choice-none",
    ),
    pytest.param(
        body_of(HI, tools=[READ_TOOL], parallel_tool_calls=False),
        out_of(
            user("hi"),
            tools=[READ_TOOL_OUT],
            tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        ),
        (),
        id="parallel-false-alone",
    ),
    pytest.param(
        body_of(HI, tool_choice="required"),
        out_of(user("hi")),
        ("vendor-field-dropped: tool_choice without tools",),
        id="tool-choice-without-tools",
    ),
    pytest.param(
        body_of(HI, max_completion_tokens=100000, max_tokens=5),
        out_of(user("hi")),
        ("max-tokens-clamped: 100000 above anthropic:claude-test's 32000",),
        id="max-tokens-clamped",
    ),
    pytest.param(
        body_of(HI, temperature=1.5, top_p=0.9, top_k=40),
        out_of(user("hi"), temperature=1.0, top_k=40),
        ("sampling-option-dropped: temperature 1.5 above Anthropic's 1: sent 1 (x2)",),
        id="sampling-clamped-and-top-p-dropped",
    ),
    pytest.param(
        body_of(HI, top_p=0.9, temperature=None),
        out_of(user("hi"), top_p=0.9),
        (),
        id="top-p-alone",
    ),
    pytest.param(
        body_of(HI, top_p=1, temperature=0),
        out_of(user("hi"), temperature=0.0),
        (),
        id="top-p-default-left-out",
    ),
    pytest.param(
        body_of(HI, stop="END"),
        out_of(user("hi"), stop_sequences=["END"]),
        (),
        id="stop-string",
    ),
    pytest.param(
        body_of(HI, stop=["\n", "###"]),
        out_of(user("hi"), stop_sequences=["###"]),
        ("stop-sequences-dropped: 1 of 2 stop sequences",),
        id="stop-whitespace-dropped",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="high"),
        out_of(user("hi"), thinking={"type": "enabled", "budget_tokens": 16384}),
        (),
        id="effort-high",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="medium", max_tokens=5000),
        out_of(user("hi"), max_tokens=5000, thinking={"type": "enabled", "budget_tokens": 4999}),
        (),
        id="effort-budget-below-max-tokens",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="low", max_tokens=1000),
        out_of(user("hi"), max_tokens=1000),
        (
            "thinking-not-supported: thinking off: max_tokens 1000 leaves no room for a "
            "1024-token budget",
        ),
        id="effort-no-room",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="none"),
        out_of(user("hi"), thinking={"type": "disabled"}),
        (),
        id="effort-none",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="minimal"),
        out_of(user("hi"), thinking={"type": "disabled"}),
        (),
        id="effort-minimal",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="low", temperature=0.5, top_p=0.5, top_k=5),
        out_of(user("hi"), thinking={"type": "enabled", "budget_tokens": 2048}),
        (
            "sampling-option-dropped: temperature 0.5: not allowed with thinking (x2)",
            "top-k-dropped: top_k is not allowed with thinking",
        ),
        id="thinking-drops-sampling",
    ),
    pytest.param(
        body_of(HI, reasoning_effort="high", tools=[READ_TOOL], tool_choice="required"),
        out_of(user("hi"), tools=[READ_TOOL_OUT], tool_choice={"type": "any"}),
        (
            "thinking-not-supported: thinking off: Anthropic takes no thinking with a forced "
            "tool_choice",
        ),
        id="thinking-vs-forced-tool",
    ),
    pytest.param(
        body_of(HI, CALL_TURN, RESULT, reasoning_effort="high", tools=[READ_TOOL]),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {"role": "user", "content": [RESULT_OUT]},
            tools=[READ_TOOL_OUT],
        ),
        (
            "thinking-not-supported: thinking off: the tool loop's assistant turn has no signed "
            "thinking, which Anthropic needs",
        ),
        id="thinking-vs-unsigned-tool-loop",
    ),
    pytest.param(
        body_of(
            HI,
            CALL_TURN,
            RESULT,
            {"role": "user", "content": "next"},
            reasoning_effort="high",
            tools=[READ_TOOL],
        ),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {"role": "user", "content": [RESULT_OUT, text("next")]},
            tools=[READ_TOOL_OUT],
        ),
        (
            "thinking-not-supported: thinking off: the tool loop's assistant turn has no signed "
            "thinking, which Anthropic needs",
        ),
        id="thinking-vs-tool-loop-with-extra-text",
    ),
    pytest.param(
        body_of(
            HI,
            CALL_TURN,
            RESULT,
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "next"},
            reasoning_effort="high",
            tools=[READ_TOOL],
        ),
        out_of(
            user("hi"),
            CALL_TURN_OUT,
            {"role": "user", "content": [RESULT_OUT]},
            {"role": "assistant", "content": [text("done")]},
            user("next"),
            tools=[READ_TOOL_OUT],
            thinking={"type": "enabled", "budget_tokens": 16384},
        ),
        (),
        id="thinking-after-finished-tool-loop",
    ),
    pytest.param(
        body_of(
            HI,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "A", "strict": True, "schema": {"type": "object"}},
            },
        ),
        out_of(
            user("hi"),
            output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
        ),
        (),
        id="json-schema",
    ),
    pytest.param(
        body_of(HI, response_format={"type": "json_object"}),
        out_of(user("hi")),
        ("structured-output-dropped: JSON mode without a schema has no equivalent",),
        id="json-object",
    ),
    pytest.param(
        body_of(HI, response_format={"type": "text"}, user="u-42"),
        out_of(user("hi"), metadata={"user_id": "u-42"}),
        (),
        id="user-id",
    ),
    pytest.param(
        body_of(
            HI,
            n=1,
            seed=7,
            logprobs=False,
            presence_penalty=0.1,
            frequency_penalty=0.2,
            logit_bias={"1": 2},
            metadata={"k": "v"},
            service_tier="auto",
            store=False,
            modalities=["text"],
            prediction={"type": "content", "content": "x"},
            web_search_options={},
            stream_options={"include_usage": True},
            seed_null=None,
        ),
        out_of(user("hi")),
        (
            "vendor-field-dropped: 'n' has no Anthropic equivalent (x11)",
            # Web search asked for (with its defaults) and not done: lossy.
            "option-not-honoured: 'web_search_options' has no Anthropic equivalent",
        ),
        id="extras-dropped",
    ),
    pytest.param(
        body_of(HI, n=2, logprobs=True, modalities=["text", "audio"], seed=1),
        out_of(user("hi")),
        (
            "option-not-honoured: 'n' has no Anthropic equivalent (x3)",
            "vendor-field-dropped: 'seed' has no Anthropic equivalent",
        ),
        id="extras-that-change-the-answer-are-lossy",
    ),
    pytest.param(
        body_of(HI, {"role": "assistant", "content": "The answer is  \n"}),
        out_of(user("hi"), {"role": "assistant", "content": [text("The answer is")]}),
        (),
        id="prefill-trailing-whitespace",
    ),
    pytest.param(
        body_of(
            HI,
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_c",
                        "type": "custom",
                        "custom": {"name": "apply_patch", "input": "*** Begin"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_c", "content": "done"},
        ),
        out_of(
            user("hi"),
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "call_c",
                        "name": "apply_patch",
                        "input": {"input": "*** Begin"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_c", "content": [text("done")]}
                ],
            },
        ),
        ("custom-tool-as-function: custom tool call 'apply_patch' as {input}",),
        id="custom-tool-call-history",
    ),
]


@pytest.mark.parametrize(("chat", "expected", "summary"), ROWS)
def test_golden(chat: dict[str, Any], expected: dict[str, Any], summary: tuple[str, ...]) -> None:
    body, decisions = translate(chat)
    assert body == expected
    assert decisions == summary


PROFILE_ROWS = [
    pytest.param(
        CapabilityProfile(name="p", images=False),
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}, {"type": "text", "text": "x"}]},
        [text("x")],
        ("images-dropped: p takes no images",),
        id="no-images",
    ),
    pytest.param(
        CapabilityProfile(name="p", image_urls=False),
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}, {"type": "text", "text": "x"}]},
        [text("x")],
        ("images-dropped: p takes no image URLs",),
        id="no-image-urls",
    ),
    pytest.param(
        CapabilityProfile(name="p", documents=False),
        {"role": "user", "content": [
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "JVBERi0="}},
            {"type": "file", "file": {"filename": "n.md", "file_data": base64.b64encode(b"# N").decode()}},
        ]},
        [text("[n.md]\n# N")],
        ("document-dropped: p takes no documents", "document-as-text: p takes no documents"),
        id="no-documents",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("profile", "message", "content", "summary"), PROFILE_ROWS)
def test_profile_limits(
    profile: CapabilityProfile,
    message: dict[str, Any],
    content: list[dict[str, Any]],
    summary: tuple[str, ...],
) -> None:
    body, decisions = translate(body_of(message), profile)
    assert body["messages"] == [{"role": "user", "content": content}]
    assert body["max_tokens"] == 4096  # no profile limit: the documented default
    assert decisions == summary


def test_profile_without_options() -> None:
    profile = CapabilityProfile(
        name="p",
        tools=False,
        top_k=False,
        stop_sequences=False,
        structured_output=False,
        user=False,
        reasoning_effort=False,
    )
    chat = body_of(
        HI,
        tools=[READ_TOOL],
        top_k=3,
        stop=["x"],
        user="u",
        reasoning_effort="high",
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
    )
    body, decisions = translate(chat, profile)
    assert body == {"model": MODEL, "max_tokens": 4096, "messages": [user("hi")]}
    assert decisions == (
        "tools-dropped: p takes no tools",
        "thinking-not-supported: p takes no thinking",
        "top-k-dropped: p takes no top_k",
        "stop-sequences-dropped: 1 of 1 stop sequences",
        "structured-output-dropped: p takes no output schema",
        "user-id-dropped: p takes no user id",
    )


def test_parallel_control_dropped_for_profile() -> None:
    profile = CapabilityProfile(name="p", parallel_tool_calls=False)
    body, decisions = translate(body_of(HI, tools=[READ_TOOL], parallel_tool_calls=False), profile)
    assert body["tool_choice"] == {"type": "auto"}
    assert decisions == ("parallel-tool-control-dropped: p: parallel_tool_calls",)


def test_strict_mode_refuses_lossy_degradation() -> None:
    with pytest.raises(StrictModeError, match="top-k-dropped"):
        translate(body_of(HI, top_k=3), CapabilityProfile(name="p"), strict=True)
    # harmless rules pass in strict mode
    body, _ = translate(body_of({"role": "assistant", "content": "a"}, HI), strict=True)
    assert body["messages"][0] == user("Continue.")


def test_signed_thinking_is_replayed() -> None:
    from cligate.protocols import ir

    request = ir.Request(
        model=None,
        messages=(
            ir.Message("user", (ir.Text("hi"),)),
            ir.Message(
                "assistant",
                (
                    ir.Thinking("hmm", signature="sig"),
                    ir.Thinking(redacted="enc"),
                    ir.ToolCall("call_1", "read_file", "{}"),
                ),
            ),
            ir.Message("user", (ir.ToolResult("call_1", (ir.Text("r"),), is_error=True),)),
        ),
        tools=(ir.ToolDef("read_file"),),
        thinking=ir.ThinkingConfig(enabled=True, effort=ir.Effort.LOW),
    )
    decisions = Decisions()
    body = encode_request(request, MODEL, ANTHROPIC, decisions)
    assert body["messages"][1]["content"][:2] == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "enc"},
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": [text("r")], "is_error": True}
    ]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert decisions.summary() == ()


DECODE_ERRORS = [
    ([], "not a JSON object"),
    ({"messages": []}, "messages: must be a non-empty list"),
    ({"messages": [HI], "model": 3}, "model: must be a string"),
    ({"messages": ["x"]}, r"messages\[0\]: must be an object"),
    ({"messages": [{"role": "bot", "content": "x"}]}, r"messages\[0\].role: unknown role 'bot'"),
    (
        {"messages": [HI, {"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}]},
        r"messages\[1\].tool_calls\[0\].function: 'name' is missing",
    ),
    (
        {"messages": [HI, {"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}]},
        r"messages\[1\].tool_calls\[0\]: 'id' is missing",
    ),
    (
        {"messages": [HI, {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}]}]},
        r"'arguments' must be a string",
    ),
    ({"messages": [{"role": "tool", "content": "x"}]}, r"messages\[0\]: 'tool_call_id' is missing"),
    ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "legacy 'function' role"),
    ({"messages": [HI], "functions": [{"name": "f"}]}, "functions: the legacy functions API"),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        r"messages\[0\].content\[0\]: audio input cannot be translated",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]}]},
        "only base64 data URLs",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
        r"image_url: 'url' is missing",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}]},
        "'file_id' cannot be resolved",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": "data:image/png;base64,AA=="}}]}]},
        "unsupported file type 'image/png'",
    ),
    ({"messages": [{"role": "user", "content": [{"type": "video"}]}]}, "unknown part type 'video'"),
    ({"messages": [{"role": "system", "content": [{"type": "image_url"}]}]}, "only text parts"),
    ({"messages": [HI], "tools": {}}, "tools: must be a list"),
    ({"messages": [HI], "tools": [{"type": "function"}]}, r"tools\[0\]: 'function' is missing"),
    ({"messages": [HI], "tool_choice": "sometimes"}, "tool_choice: unknown value 'sometimes'"),
    ({"messages": [HI], "tool_choice": {"type": "function"}}, "tool_choice.function: 'name' is missing"),
    ({"messages": [HI], "max_tokens": 0}, "max_tokens: must be at least 1"),
    ({"messages": [HI], "max_tokens": "9"}, "max_tokens: must be an integer"),
    ({"messages": [HI], "temperature": True}, "temperature: must be a number"),
    ({"messages": [HI], "stream": "yes"}, "stream: must be true or false"),
    ({"messages": [HI], "stop": [1]}, "stop: must be a string or a list of strings"),
    ({"messages": [HI], "reasoning_effort": "huge"}, "reasoning_effort: unknown value 'huge'"),
    ({"messages": [HI], "response_format": {"type": "xml"}}, "response_format.type: unknown value"),
    ({"messages": [HI], "user": 5}, "user: must be a string"),
]  # fmt: skip


@pytest.mark.parametrize(("chat", "message"), DECODE_ERRORS)
def test_decode_errors_name_the_field(chat: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_request(chat)


def test_decoded_request_keeps_chat_facts() -> None:
    from cligate.protocols import ir

    request = decode_request(
        body_of(
            HI,
            {"role": "assistant", "content": None, "refusal": "I can't", "reasoning": "why"},
            stream=True,
            stream_options={"include_usage": True},
            reasoning_effort="xhigh",
            tools=[READ_TOOL],
            tool_choice={"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
            top_k=4,
        )
    )
    assert request.stream is True
    assert request.extras["stream_options"] == {"include_usage": True}
    assert request.extras["tool_choice"]["type"] == "allowed_tools"
    assert request.tool_choice is None
    assert request.thinking == ir.ThinkingConfig(enabled=True, effort=ir.Effort.MAX)
    assert request.messages[1].parts == (ir.Thinking("why"), ir.Text("I can't"))
    assert request.top_k == 4


def test_small_repairs() -> None:
    chat = body_of(
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/jpg;base64,/9j/"}}]},
        {"role": "assistant", "content": "ok"},
        {"role": "system", "content": [
            {"type": "text", "text": "Later.", "cache_control": {"type": "ephemeral"}}]},
    )  # fmt: skip
    body, _ = translate(chat)
    assert body["messages"][0]["content"][0]["source"]["media_type"] == "image/jpeg"
    assert body["messages"][2]["content"] == [text("<system>\nLater.\n</system>", cache=True)]


def test_cache_hints_dropped_for_a_profile_without_cache_control() -> None:
    chat = body_of(
        {"role": "system", "content": [
            {"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}]},
        HI,
    )  # fmt: skip
    body, decisions = translate(chat, CapabilityProfile(name="p"))
    assert body["system"] == [text("S")]
    assert decisions == ("cache-hint-dropped: p takes no cache_control",)


def test_without_max_tokens_the_thinking_budget_comes_on_top_of_the_answers_room() -> None:
    unlimited = replace(ANTHROPIC, max_output_tokens=None)
    out, summary = translate(body_of(HI, reasoning_effort="high"), unlimited)
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 16384}
    assert out["max_tokens"] == 4096 + 16384 and summary == ()
    # Given by the client, max_tokens is the whole limit, as Chat counts it.
    out, _ = translate(body_of(HI, reasoning_effort="high", max_tokens=20000), unlimited)
    assert (out["max_tokens"], out["thinking"]["budget_tokens"]) == (20000, 16384)
