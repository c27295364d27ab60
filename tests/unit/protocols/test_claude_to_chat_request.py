"""Claude Code's Anthropic requests → Chat Completions bodies: real captures and golden rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_request import decode_request
from cligate.protocols.capabilities import (
    CapabilityProfile,
    Decisions,
    StrictModeError,
    TokenParam,
)
from cligate.protocols.openai_chat.encode_request import UNANSWERED_RESULT, encode_request
from cligate.protocols.tool_ids import to_anthropic_id

CAPTURES = sorted((Path(__file__).parents[2] / "captures" / "claude").glob("*__*.json"))


def _capture(name: str) -> dict[str, Any]:
    path = next(p for p in CAPTURES if p.name.startswith(name))
    body: dict[str, Any] = json.loads(path.read_text())["request"]["body"]
    return body


def translate(
    body: dict[str, Any], profile: CapabilityProfile | None = None, strict: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    decisions = Decisions(strict=strict)
    out = encode_request(decode_request(body), "gpt-x", profile or CapabilityProfile(), decisions)
    return out, decisions.summary()


# --- real Claude Code captures ------------------------------------------------------------


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name.split("_messages")[0])
def test_capture_translates(path: Path) -> None:
    body = json.loads(path.read_text())["request"]["body"]
    out, summary = translate(body, CapabilityProfile(max_output_tokens=8192, reasoning_effort=True))
    messages = out["messages"]
    dumped = json.dumps(out)
    assert "x-anthropic-billing-header" not in dumped
    assert "cache_control" not in dumped
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("You are a Claude agent")
    assert len(out["tools"]) == len(body["tools"])
    assert all(t["type"] == "function" and "parameters" in t["function"] for t in out["tools"])
    assert out["max_tokens"] == 8192
    assert out["reasoning_effort"] == "high"
    # Claude Code's user_id is a JSON record of device and session ids: not sent on.
    assert body["metadata"]["user_id"].startswith("{") and "user" not in out
    assert "user-id-dropped: not a plain end-user id" in summary
    assert out["stream"] is True and out["stream_options"] == {"include_usage": True}
    assert summary[0] == "billing-header-dropped: system[0]"
    cache_lines = [line for line in summary if line.startswith("cache-hint-dropped")]
    assert len(cache_lines) == 1  # recorded once, with a count
    assert f"max-tokens-clamped: {body['max_tokens']} → 8192" in summary
    assert "vendor-field-dropped: context_management" in summary
    assert all(m["role"] in ("system", "user", "assistant", "tool") for m in messages)


def test_capture_mid_conversation_system_message_stays_in_place() -> None:
    out, _ = translate(_capture("plain__01"))
    roles = [m["role"] for m in out["messages"]]
    assert roles == ["system", "user", "system"]
    assert out["messages"][2]["content"].startswith("Available agent types")


def test_capture_tool_result_follows_its_call() -> None:
    body = _capture("tool__02")
    out, summary = translate(body)
    roles = [m["role"] for m in out["messages"]]
    assert roles == ["system", "user", "system", "assistant", "tool"]
    assistant, tool = out["messages"][3], out["messages"][4]
    call_id = body["messages"][2]["content"][1]["id"]
    assert assistant["content"] == "I will create the file."
    assert assistant["tool_calls"] == [
        {
            "id": call_id,
            "type": "function",
            "function": {
                "name": "Bash",
                "arguments": '{"command":"echo hello > out.txt",'
                '"description":"Run a shell command requested by the mock"}',
            },
        }
    ]
    assert tool == {
        "role": "tool",
        "tool_call_id": call_id,
        "content": "(Bash completed with no output)",
    }
    assert "cache-hint-dropped: cache_control on a text block (x2)" in summary


def test_capture_budget_thinking_maps_to_effort() -> None:
    # budget 31999: the top of the scale
    out, _ = translate(_capture("bearer_sonnet__01"), CapabilityProfile(reasoning_effort=True))
    assert out["reasoning_effort"] == "high"
    assert out["max_tokens"] == 32000  # no clamp without a profile limit


def test_capture_decodes_billing_header_and_cache() -> None:
    request = decode_request(_capture("plain__01"))
    assert request.system[0].text.startswith("x-anthropic-billing-header:")
    assert [t.cache for t in request.system] == [False, True, True]
    assert request.messages[1].role == "system"
    assert request.thinking == ir.ThinkingConfig(enabled=True, effort=ir.Effort.HIGH, adaptive=True)
    assert set(request.extras) == {"context_management"}


def test_output_is_deterministic() -> None:
    body = _capture("tool__02")
    first, _ = translate(body)
    second, _ = translate(body)
    assert json.dumps(first) == json.dumps(second)


# --- golden rows: one per rule, supported and degraded ------------------------------------

USER_HI = [{"role": "user", "content": "hi"}]
PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
TOOL = {"name": "Bash", "description": "Run", "input_schema": {"type": "object"}}
CHAT_TOOL = {
    "type": "function",
    "function": {"name": "Bash", "description": "Run", "parameters": {"type": "object"}},
}


def _call(call_id: str, name: str = "Bash", args: str = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def _use(call_id: str, name: str = "Bash") -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": {}}


def _result(call_id: str, content: Any = "ok", **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": content, **more}


def _tool_msg(call_id: str, content: Any = "ok") -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


MAPPED = to_anthropic_id("functions.Bash:0")  # a Kimi-style id, mapped for Anthropic

ROWS: list[Any] = [
    pytest.param(
        {
            "system": [
                {"type": "text", "text": "x-anthropic-billing-header: cc_version=1;"},
                {"type": "text", "text": "A"},
                {"type": "text", "text": "B"},
            ]
        },
        {},
        {"messages": [{"role": "system", "content": "A\n\nB"}, {"role": "user", "content": "hi"}]},
        ("billing-header-dropped: system[0]",),
        id="system-joined-billing-dropped",
    ),
    pytest.param(
        {
            "system": "S",
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "system", "content": "mid"},
                {"role": "assistant", "content": "b"},
            ],
        },
        {},
        {
            "messages": [
                {"role": "system", "content": "S"},
                {"role": "user", "content": "a"},
                {"role": "system", "content": "mid"},
                {"role": "assistant", "content": "b"},
            ]
        },
        (),
        id="mid-system-in-place",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "see"},
                        {"type": "image", "source": PNG},
                        {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}},
                    ],
                }
            ]
        },
        {},
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "see"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                        },
                        {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
                    ],
                }
            ]
        },
        (),
        id="images-supported",
    ),
    pytest.param(
        {"messages": [{"role": "user", "content": [{"type": "image", "source": PNG}]}]},
        {"images": False},
        {
            "messages": [
                {"role": "user", "content": "[image omitted: this model does not take images]"}
            ]
        },
        ("images-dropped: the target takes no images",),
        id="images-dropped",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image", "source": {**PNG, "media_type": "image/bmp"}},
                        {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}},
                    ],
                }
            ]
        },
        {"image_urls": False},
        {
            "messages": [
                {
                    "role": "user",
                    "content": "[image omitted: image/bmp is not supported]\n\n"
                    "[image omitted: https://x/a.png]",
                }
            ]
        },
        ("image-type-unsupported: image/bmp (x2)",),
        id="image-type-and-url-unsupported",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "title": "notes",
                            "source": {"type": "text", "media_type": "text/plain", "data": "body"},
                        },
                        {
                            "type": "document",
                            "title": "a.pdf",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": "JVBE",
                            },
                        },
                    ],
                }
            ]
        },
        {"documents": True},
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "notes\n\nbody"},
                        {
                            "type": "file",
                            "file": {
                                "filename": "a.pdf",
                                "file_data": "data:application/pdf;base64,JVBE",
                            },
                        },
                    ],
                }
            ]
        },
        ("document-as-text: notes",),
        id="documents-supported",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": "JVBE",
                            },
                        },
                        {"type": "document", "source": {"type": "url", "url": "https://x/d.pdf"}},
                    ],
                }
            ]
        },
        {},
        {
            "messages": [
                {
                    "role": "user",
                    "content": "[document omitted]\n\n[document omitted: https://x/d.pdf]",
                }
            ]
        },
        ("document-dropped: document (x2)",),
        id="documents-dropped",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [{"type": "text", "text": "ok"}, _use(MAPPED)]},
                {"role": "user", "content": [_result(MAPPED)]},
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": "ok", "tool_calls": [_call("functions.Bash:0")]},
                _tool_msg("functions.Bash:0"),
            ]
        },
        (),
        id="tool-call-and-result-ids-mapped-back",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [_use("a"), _use("b", "Read")]},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "before"},
                        _result("b", "B"),
                        _result("a", "A"),
                        {"type": "text", "text": "after"},
                    ],
                },
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [_call("a"), _call("b", "Read")],
                },
                _tool_msg("a", "A"),
                _tool_msg("b", "B"),
                {"role": "user", "content": "before\n\nafter"},
            ]
        },
        (),
        id="tool-results-in-call-order-before-text",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [_use("a")]},
                {
                    "role": "user",
                    "content": [_result("a", [{"type": "text", "text": "boom"}], is_error=True)],
                },
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": None, "tool_calls": [_call("a")]},
                _tool_msg("a", "Error: boom"),
            ]
        },
        ("tool-error-flag-as-text: Chat has no tool error flag",),
        id="tool-error-as-text",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [_use("a")]},
                {
                    "role": "user",
                    "content": [
                        _result(
                            "a",
                            [{"type": "text", "text": "shot"}, {"type": "image", "source": PNG}],
                        )
                    ],
                },
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": None, "tool_calls": [_call("a")]},
                _tool_msg("a", "shot"),
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Image from the result of tool call a:"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                        },
                    ],
                },
            ]
        },
        ("tool-result-image-moved: Chat tool messages take text only",),
        id="tool-result-image-moved",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": [_result("zz", "lost"), {"type": "text", "text": "hi"}]}
            ]
        },
        {},
        {"messages": [{"role": "user", "content": "Result of tool call zz:\n\nlost\n\nhi"}]},
        ("orphan-tool-result-as-text: no open tool call has id 'zz'",),
        id="orphan-tool-result",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [_use("a"), _use("b")]},
                {"role": "user", "content": [_result("a")]},
                {"role": "assistant", "content": [_use("c")]},
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": None, "tool_calls": [_call("a"), _call("b")]},
                _tool_msg("a"),
                _tool_msg("b", UNANSWERED_RESULT),
                {"role": "assistant", "content": None, "tool_calls": [_call("c")]},
                _tool_msg("c", UNANSWERED_RESULT),
            ]
        },
        ("unanswered-tool-call-closed: tool call 'b' (x2)",),
        id="unanswered-tool-calls",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [_use("a")]},
                {"role": "system", "content": "note"},
                {"role": "user", "content": [_result("a")]},
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": None, "tool_calls": [_call("a")]},
                _tool_msg("a"),
                {"role": "system", "content": "note"},
            ]
        },
        ("system-message-moved: a system message between tool calls and results",),
        id="system-between-call-and-result-moved",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                        {"type": "redacted_thinking", "data": "xx"},
                        {"type": "text", "text": "a"},
                    ],
                },
            ]
        },
        {},
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a", "reasoning_content": "hmm"},
            ]
        },
        (
            "thinking-signature-dropped: thinking signatures are only valid for Anthropic",
            "reasoning-history-dropped: redacted thinking is only readable by Anthropic",
        ),
        id="thinking-history-as-reasoning-content",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": ""},
                        {"type": "text", "text": "a"},
                    ],
                },
            ]
        },
        {"reasoning_field": "reasoning"},
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a", "reasoning": "hmm"},
            ]
        },
        (),
        id="thinking-history-as-reasoning",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                        {"type": "text", "text": "a"},
                    ],
                },
                {"role": "user", "content": "more"},
                {
                    "role": "assistant",
                    "content": [{"type": "thinking", "thinking": "only", "signature": "sig"}],
                },
            ]
        },
        {"reasoning_field": ""},
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": "more"},
            ]
        },
        ("reasoning-history-dropped: the target takes no reasoning in history (x2)",),
        id="thinking-history-dropped-and-empty-assistant-skipped",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "any", "disable_parallel_tool_use": True}},
        {},
        {"tools": [CHAT_TOOL], "tool_choice": "required", "parallel_tool_calls": False},
        (),
        id="tools-any-parallel-off",
    ),
    pytest.param(
        {
            "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": "Bash", "disable_parallel_tool_use": True},
        },
        {"parallel_tool_calls": False},
        {"tools": [CHAT_TOOL], "tool_choice": {"type": "function", "function": {"name": "Bash"}}},
        ("parallel-tool-control-dropped: the target takes no parallel_tool_calls",),
        id="tools-named-parallel-control-dropped",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "none"}},
        {},
        {"tools": [CHAT_TOOL], "tool_choice": "none"},
        (),
        id="tool-choice-none",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "auto"}},
        {"tools": False},
        {},
        ("tools-dropped: 1 tools",),
        id="tools-dropped",
    ),
    pytest.param(
        {"tools": [TOOL, {"type": "web_search_20250305", "name": "web_search"}]},
        {},
        {"tools": [CHAT_TOOL]},
        ("tools-dropped: server tool web_search_20250305",),
        id="server-tool-dropped",
    ),
    pytest.param(
        {"max_tokens": 64000},
        {"max_output_tokens": 8192, "max_tokens_param": TokenParam.MAX_COMPLETION_TOKENS},
        {"max_tokens": None, "max_completion_tokens": 8192},
        ("max-tokens-clamped: 64000 → 8192",),
        id="max-tokens-clamped",
    ),
    pytest.param(
        {"max_tokens": 4000},
        {"max_output_tokens": 8192},
        {"max_tokens": 4000},
        (),
        id="max-tokens-under-limit",
    ),
    pytest.param(
        {"temperature": 0.5, "top_p": 0.9, "top_k": 40},
        {"top_k": True},
        {"temperature": 0.5, "top_p": 0.9, "top_k": 40},
        (),
        id="sampling-supported",
    ),
    pytest.param(
        {"top_k": 40},
        {},
        {},
        ("top-k-dropped: top_k=40",),
        id="top-k-dropped",
    ),
    pytest.param(
        {"stop_sequences": ["a", "b"]},
        {},
        {"stop": ["a", "b"]},
        (),
        id="stop-sequences",
    ),
    pytest.param(
        {"stop_sequences": ["a", "b", "c", "d", "e", "f"]},
        {},
        {"stop": ["a", "b", "c", "d"]},
        ("stop-sequences-dropped: 2 beyond the first 4",),
        id="stop-sequences-beyond-four",
    ),
    pytest.param(
        {"stop_sequences": ["a"]},
        {"stop_sequences": False},
        {},
        ("stop-sequences-dropped: all 1",),
        id="stop-sequences-unsupported",
    ),
    pytest.param(
        {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        {"reasoning_effort": True},
        {"reasoning_effort": "low"},
        (),
        id="thinking-budget-to-effort",
    ),
    pytest.param(
        {"thinking": {"type": "adaptive"}},
        {"reasoning_effort": True},
        {"reasoning_effort": "medium"},
        (),
        id="thinking-adaptive-medium",
    ),
    pytest.param(
        {"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}},
        {"reasoning_effort": True},
        {"reasoning_effort": "high"},
        (),
        id="thinking-adaptive-with-effort",
    ),
    pytest.param(
        {"thinking": {"type": "disabled"}},
        {"reasoning_effort": True},
        {},
        (),
        id="thinking-disabled",
    ),
    pytest.param(
        {"output_config": {"effort": "low"}},
        {"reasoning_effort": True},
        {"reasoning_effort": "low"},
        (),
        id="effort-without-thinking-config",
    ),
    pytest.param(
        {"thinking": {"type": "disabled"}, "output_config": {"effort": "low"}},
        {"reasoning_effort": True},
        {},
        ("vendor-field-dropped: output_config.effort",),
        id="effort-with-thinking-disabled",
    ),
    pytest.param(
        {"thinking": {"type": "adaptive"}},
        {},
        {},
        ("thinking-left-to-model: effort medium",),
        id="thinking-off-in-default-profile",
    ),
    pytest.param(
        {"thinking": {"type": "enabled", "budget_tokens": 10000}},
        {"reasoning_effort": False},
        {},
        ("thinking-not-supported: a budget of 10000",),
        id="thinking-not-supported",
    ),
    pytest.param(
        {"output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}},
        {},
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": {"type": "object"}},
            }
        },
        (),
        id="structured-output",
    ),
    pytest.param(
        {"output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}},
        {"structured_output": False},
        {"response_format": {"type": "json_object"}},
        ("structured-output-as-json-mode: a JSON schema",),
        id="structured-output-as-json-mode",
    ),
    pytest.param(
        {"metadata": {"user_id": "u1"}},
        {},
        {"user": "u1"},
        (),
        id="user",
    ),
    pytest.param(
        {"metadata": {"user_id": "u1"}},
        {"user": False},
        {},
        ("user-id-dropped: the target takes no end-user id",),
        id="user-dropped",
    ),
    pytest.param(
        {
            "system": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}
                    ],
                }
            ],
        },
        {},
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}]},
        ("cache-hint-dropped: cache_control on a text block (x2)",),
        id="cache-hints-dropped",
    ),
    pytest.param(
        {
            "system": [
                {"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "T"},
            ],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}
                    ],
                }
            ],
        },
        {"cache_control": True},
        {
            "messages": [
                {
                    "role": "system",
                    "content": [
                        {"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}},
                        {"type": "text", "text": "T"},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}
                    ],
                },
            ]
        },
        (),
        id="cache-hints-kept",
    ),
    pytest.param(
        {"context_management": {"edits": []}, "service_tier": "auto"},
        {},
        {},
        ("vendor-field-dropped: context_management (x2)",),
        id="extras-dropped",
    ),
    pytest.param(
        {"stream": True},
        {},
        {"stream": True, "stream_options": {"include_usage": True}},
        (),
        id="stream-with-usage",
    ),
    pytest.param(
        {"stream": True},
        {"stream_usage": False},
        {"stream": True},
        (),
        id="stream-without-usage",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"type": "text", "text": ""}]},
                {"role": "user", "content": "b"},
            ]
        },
        {},
        {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
        (),
        id="empty-assistant-not-produced",
    ),
]


@pytest.mark.parametrize(("body", "profile", "expected", "summary"), ROWS)
def test_golden_row(
    body: dict[str, Any],
    profile: dict[str, Any],
    expected: dict[str, Any],
    summary: tuple[str, ...],
) -> None:
    full = {"model": "claude-x", "max_tokens": 100, "messages": USER_HI, **body}
    want: dict[str, Any] = {"model": "gpt-x", "messages": [{"role": "user", "content": "hi"}]}
    want["max_tokens"] = 100
    want.update(expected)
    want = {k: v for k, v in want.items() if v is not None}
    out, got_summary = translate(full, CapabilityProfile(**profile))
    assert out == want
    assert got_summary == summary


def test_strict_mode_refuses_lossy_but_not_harmless() -> None:
    body = {"model": "c", "max_tokens": 10, "messages": USER_HI, "top_k": 3}
    with pytest.raises(StrictModeError, match="top-k-dropped"):
        translate(body, strict=True)
    harmless = {**body, "top_k": None, "metadata": {"user_id": "u"}}
    out, summary = translate(harmless, CapabilityProfile(user=False), strict=True)
    assert "user" not in out and summary == ("user-id-dropped: the target takes no end-user id",)


# --- the decoder's errors name the field --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "body: expected a JSON object"),
        ({"model": "m"}, "messages: required"),
        ({"messages": {}}, "messages: expected a list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        (
            {
                "messages": [
                    {"role": "user", "content": "a"},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "a"},
                            {"type": "text", "text": "b"},
                            {"type": "text", "text": "c"},
                            {"type": "foo"},
                        ],
                    },
                ]
            },
            "messages[1].content[3]: unknown block type 'foo'",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": "a", "name": "x", "input": []}],
                    }
                ]
            },
            "messages[0].content[0].input: expected an object",
        ),
        ({"messages": [], "max_tokens": "9"}, "max_tokens: expected an integer"),
        ({"messages": [], "thinking": {"type": "odd"}}, "thinking.type"),
        ({"messages": [], "tool_choice": {"type": "some"}}, "tool_choice.type"),
        ({"messages": [], "tools": [{"name": "x"}]}, "tools[0].input_schema: expected an object"),
        ({"messages": [], "output_config": {"effort": "huge"}}, "output_config.effort"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}],
                    }
                ]
            },
            "messages[0].content[0].source: unsupported image source type 'file'",
        ),
    ],
)
def test_decode_errors_name_the_field(body: Any, message: str) -> None:
    with pytest.raises(ir.DecodeError) as caught:
        decode_request(body)
    assert message in str(caught.value)


def test_decode_keeps_unknown_members_and_tool_extras() -> None:
    request = decode_request(
        {
            "model": "m",
            "messages": [],
            "container": "c",
            "metadata": {"user_id": "u", "other": 1},
            "tools": [{**TOOL, "strict": True}],
            "output_config": {"task_budget": 5},
        }
    )
    assert request.user == "u"
    assert dict(request.extras) == {
        "container": "c",
        "metadata": {"other": 1},
        "tools[].strict": True,
        "output_config.task_budget": 5,
    }
