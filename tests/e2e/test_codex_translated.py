"""The real Codex CLI through ``cligate run codex`` against a provider that speaks only OpenAI
Chat Completions or only Anthropic Messages: cligate translates codex's Responses requests and
the answers back.

When the provider speaks another protocol, cligate tells codex the catalog model "gpt-5.5" (its
requests then carry the freeform ``apply_patch`` tool) and sends the binding's model to the
provider. The fake upstream answers one protocol's path only; a tool round trip counts only if
the tool really ran in the work dir and its result went back upstream answering the call the
fake made.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate, spy_on_env
from tests.fake_upstream import (
    FakeUpstream,
    PatchFile,
    RecordedRequest,
    Script,
    ShellRoundTrip,
    TextReply,
    normalize_output,
)
from tests.fake_upstream.model import estimate_usage

pytestmark = pytest.mark.e2e

TIMEOUT = 120
BOUND_MODEL = "fake-large"
CODEX_MODEL = "gpt-5.5"  # what cligate tells codex when it translates
PROMPT_MARK = "prompt-mark-7f3a"
# codex exec runs in a read-only sandbox by default: apply_patch needs the work dir writable.
CODEX_FLAGS = ["--skip-git-repo-check", "--color", "never", "--sandbox", "workspace-write"]
USER_CODEX_CONFIG = '# my own codex settings\nmodel = "o3"\n'

# Top-level members of a Responses request that have no place in a Chat or Anthropic request.
RESPONSES_ONLY = frozenset(
    {
        "input",
        "instructions",
        "include",
        "text",
        "reasoning",
        "client_metadata",
        "previous_response_id",
        "truncation",
        "max_output_tokens",
        "conversation",
        "background",
    }
)
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
CHAT_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
ANTHROPIC_BLOCK_TYPES = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"}
)


@dataclass(frozen=True)
class Wire:
    """What the provider speaks, as cligate's config names it and as the fake records it."""

    config: str
    protocol: str
    path: str
    suffix: str  # appended to the fake's URL to make the provider's base_url


CHAT = Wire("openai-chat", "chat", "/v1/chat/completions", "/v1")
ANTHROPIC = Wire("anthropic", "anthropic", "/v1/messages", "")
RESPONSES = Wire("openai-responses", "responses", "/v1/responses", "/v1")


@dataclass
class CodexRun:
    result: subprocess.CompletedProcess[str]
    last_message: str | None
    """What codex wrote with ``-o`` (None when it wrote nothing)."""
    requests: list[RecordedRequest]
    secret: str
    """The per-run secret cligate gave codex (CLIGATE_CODEX_KEY)."""

    @property
    def context(self) -> str:
        outcomes = [f"{r.method} {r.path} → {r.outcome}" for r in self.requests]
        return (
            f"exit {self.result.returncode}\nlast message: {self.last_message!r}\n"
            f"upstream saw: {outcomes}\nstdout: {self.result.stdout[-2000:]}\n"
            f"stderr: {self.result.stderr[-4000:]}"
        )


def run_codex(
    sandbox: Sandbox, script: Script, wire: Wire, prompt: str, model: str = BOUND_MODEL
) -> CodexRun:
    """``cligate run codex -- exec … PROMPT`` with the fake as the bound provider; the user's
    own ``~/.codex/config.toml`` must be byte for byte the same afterwards."""
    require_cli("codex")
    user_config = sandbox.home / ".codex" / "config.toml"
    user_config.parent.mkdir(exist_ok=True)
    user_config.write_text(USER_CODEX_CONFIG)
    last = sandbox.home.parent / "last-message.txt"  # outside the work dir codex edits
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        sandbox.write_config(wire.config, upstream.base_url + wire.suffix, "codex", model=model)
        spy = spy_on_env(sandbox, "codex", ("CLIGATE_CODEX_KEY",))
        args = ["exec", *CODEX_FLAGS, "-o", str(last), prompt]
        result = run_cligate("codex", args, sandbox, timeout=TIMEOUT, **spy.env)
        requests = upstream.requests
    run = CodexRun(
        result,
        last.read_text() if last.exists() else None,
        requests,
        spy.read().get("CLIGATE_CODEX_KEY", ""),
    )
    assert run.secret, f"codex was never started\n{run.context}"
    assert user_config.read_text() == USER_CODEX_CONFIG, run.context
    assert not [p.name for p in user_config.parent.glob("config.toml?*")], run.context
    return run


# ---------------------------------------------------------------------------- wire checks


def assert_no_secret(request: RecordedRequest, secret: str, where: str) -> None:
    assert all(secret not in value for _, value in request.headers), where
    assert secret.encode() not in request.body and secret not in request.query, where


def assert_bound_model(request: RecordedRequest, where: str) -> None:
    """The provider was asked for the binding's model; the name codex was told stays local."""
    assert request.json.get("model") == BOUND_MODEL, (where, request.json.get("model"))
    assert CODEX_MODEL.encode() not in request.body, where


def assert_chat_only(run: CodexRun) -> None:
    """Every request the provider saw is a streamed Chat Completions POST with the provider's
    own key and the binding's model, and nothing Responses-specific or secret leaked in."""
    assert run.requests, f"the provider saw no request\n{run.context}"
    for request in run.requests:
        where = f"{request.method} {request.path} ({request.outcome})"
        assert (request.method, request.path, request.protocol) == (
            "POST",
            CHAT.path,
            "chat",
        ), (where, run.context)
        assert request.header("authorization") == f"Bearer {UPSTREAM_KEY}", where
        assert request.header("x-api-key") is None, where
        assert_no_secret(request, run.secret, where)
        body = request.json
        assert isinstance(body, dict), where
        assert_bound_model(request, where)
        assert body.get("stream") is True, where
        assert body.get("stream_options", {}).get("include_usage") is True, where
        assert not RESPONSES_ONLY & body.keys(), (where, sorted(RESPONSES_ONLY & body.keys()))
        messages = body.get("messages")
        assert isinstance(messages, list) and messages, where
        for message in messages:
            assert message.get("role") in CHAT_ROLES, (where, message.get("role"))
            content = message.get("content")
            if isinstance(content, list):
                kinds = {part.get("type") for part in content}
                assert kinds <= CHAT_PART_TYPES, (where, message["role"], kinds)
        for tool in body.get("tools", []):
            assert tool.get("type") == "function" and set(tool) <= {"type", "function"}, where
            assert isinstance(tool["function"].get("name"), str), where
        assert request.turn is not None
        assert request.turn.tool_pairing_errors == (), (where, request.turn.tool_pairing_errors)


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def anthropic_pairing_errors(messages: list[dict[str, Any]]) -> list[str]:
    """Where the history breaks Anthropic's rule (a 400 there): the tool_use blocks of an
    assistant message are answered by tool_result blocks in the very next (user) message, and
    every tool_result answers a tool_use of the message before it."""
    problems = []
    for index, message in enumerate(messages):
        results = [
            str(b.get("tool_use_id")) for b in _blocks(message) if b.get("type") == "tool_result"
        ]
        before = _blocks(messages[index - 1]) if index else []
        uses = [str(b.get("id")) for b in before if b.get("type") == "tool_use"]
        if message.get("role") == "user" and sorted(results) != sorted(uses):
            problems.append(f"messages[{index}]: results {results} for the calls {uses}")
        if message.get("role") == "assistant" and results:
            problems.append(f"messages[{index}]: an assistant message carries tool results")
    last = messages[-1] if messages else {}
    if last.get("role") == "assistant" and any(b.get("type") == "tool_use" for b in _blocks(last)):
        problems.append("the last assistant calls are unanswered")
    return problems


def assert_anthropic_only(run: CodexRun) -> None:
    """Every request the provider saw is a streamed Messages POST with the provider's own key
    (x-api-key) and the binding's model, and nothing Responses-specific or secret leaked in."""
    assert run.requests, f"the provider saw no request\n{run.context}"
    for request in run.requests:
        where = f"{request.method} {request.path} ({request.outcome})"
        assert (request.method, request.path, request.protocol) == (
            "POST",
            ANTHROPIC.path,
            "anthropic",
        ), (where, run.context)
        assert request.header("x-api-key") == UPSTREAM_KEY, where
        assert request.header("authorization") is None, where
        assert request.header("anthropic-version"), where
        assert_no_secret(request, run.secret, where)
        body = request.json
        assert isinstance(body, dict), where
        assert_bound_model(request, where)
        assert body.get("stream") is True, where
        assert isinstance(body.get("max_tokens"), int) and body["max_tokens"] > 0, where
        assert not RESPONSES_ONLY & body.keys(), (where, sorted(RESPONSES_ONLY & body.keys()))
        messages = body.get("messages")
        assert isinstance(messages, list) and messages, where
        assert messages[0].get("role") == "user", where
        for message in messages:
            assert message.get("role") in ("user", "assistant"), (where, message.get("role"))
            content = message.get("content")
            if isinstance(content, list):
                kinds = {block.get("type") for block in content}
                assert kinds <= ANTHROPIC_BLOCK_TYPES, (where, message["role"], kinds)
        assert anthropic_pairing_errors(messages) == [], where
        for tool in body.get("tools", []):
            assert isinstance(tool.get("name"), str), where
            assert isinstance(tool.get("input_schema"), dict), (where, tool.get("name"))
            assert tool.get("type") in (None, "custom"), (where, tool.get("type"))


def assert_one_protocol(run: CodexRun, wire: Wire) -> None:
    if wire is CHAT:
        assert_chat_only(run)
    else:
        assert_anthropic_only(run)


def offered_tools(request: RecordedRequest, wire: Wire) -> dict[str, dict[str, Any]]:
    """Tool name → its JSON schema, as the provider was offered them."""
    tools = request.json.get("tools", [])
    if wire is CHAT:
        return {t["function"]["name"]: t["function"].get("parameters", {}) for t in tools}
    return {t["name"]: t.get("input_schema", {}) for t in tools}


def assert_codex_main_request(run: CodexRun, wire: Wire) -> None:
    """codex's turns reached the provider with the user's prompt and codex's tools: the shell
    tool and, because codex was told gpt-5.5, apply_patch as a function taking a string
    `input` whose description holds the patch grammar."""
    main = [r for r in run.requests if r.json.get("tools")]
    assert main, f"codex's main request (with its tools) never reached the provider\n{run.context}"
    for request in main:
        assert PROMPT_MARK in json.dumps(request.json["messages"]), "the prompt is missing"
        tools = offered_tools(request, wire)
        assert "exec_command" in tools, sorted(tools)
        patch = tools.get("apply_patch")
        assert patch is not None, f"no apply_patch (was codex told {CODEX_MODEL}?): {sorted(tools)}"
        assert patch.get("properties", {}).get("input", {}).get("type") == "string", patch
        assert patch.get("required") == ["input"], patch
        assert "*** Begin Patch" in patch["properties"]["input"].get("description", ""), patch


def assert_usage_reached_codex(run: CodexRun) -> None:
    """codex's "tokens used" is the sum of the usage the provider reported for each turn (the
    fake counts about 4 bytes a token), so the usage survived the translation."""
    found = re.search(r"^tokens used\n([\d,]+)$", run.result.stderr, re.MULTILINE)
    assert found, f"codex reported no token usage\n{run.context}"
    reported = 0
    for request in run.requests:
        assert request.turn is not None and request.reply is not None, request.outcome
        reported += estimate_usage(request.turn, request.reply).total
    assert int(found.group(1).replace(",", "")) == reported, run.context


# ---------------------------------------------------------------------------- round trips


def _tool_messages(request: RecordedRequest, wire: Wire) -> dict[str, str]:
    """call id → the text of its result in this request."""
    out = {}
    for message in request.json["messages"]:
        if wire is CHAT:
            if message.get("role") == "tool":
                out[message["tool_call_id"]] = _text(message.get("content"))
            continue
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result":
                out[block["tool_use_id"]] = _text(block.get("content"))
    return out


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _echoed_calls(request: RecordedRequest, wire: Wire, first_id: str) -> list[Any]:
    """(id, name, arguments) of the assistant calls that the results for `first_id` answer."""
    messages = request.json["messages"]
    if wire is CHAT:
        at = next(i for i, m in enumerate(messages) if m.get("tool_call_id") == first_id)
        assistant = messages[at - 1]
        assert assistant["role"] == "assistant", assistant
        return [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in assistant["tool_calls"]
        ]
    at = next(
        i
        for i, m in enumerate(messages)
        if isinstance(m.get("content"), list)
        and any(b.get("tool_use_id") == first_id for b in m["content"])
    )
    assistant = messages[at - 1]
    assert assistant["role"] == "assistant", assistant
    return [
        (b["id"], b["name"], b["input"]) for b in assistant["content"] if b["type"] == "tool_use"
    ]


def assert_result_went_back(run: CodexRun, wire: Wire) -> tuple[RecordedRequest, str]:
    """The fake asked for exactly one tool call; a later request repeats that call (id, name,
    arguments) in an assistant message and answers it with its result. Returns that request
    and the result's text."""
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert len(asked) == 1, f"expected one tool call\n{run.context}"
    assert asked[0].reply is not None
    (call,) = asked[0].reply.tool_calls
    later = run.requests[run.requests.index(asked[0]) + 1 :]
    backs = [r for r in later if r.turn is not None and call.call_id in r.turn.tool_result_ids]
    assert backs, f"no request brought back the result of {call.call_id}\n{run.context}"
    back = backs[0]
    assert back.turn is not None and back.turn.tool_result_ids == (call.call_id,)
    assert _echoed_calls(back, wire, call.call_id) == [(call.call_id, call.name, call.arguments)]
    return back, _tool_messages(back, wire)[call.call_id]


# ---------------------------------------------------------------------------- tests

WIRES = [pytest.param(CHAT, id="chat"), pytest.param(ANTHROPIC, id="anthropic")]


@pytest.mark.parametrize("wire", WIRES)
def test_codex_gets_a_plain_answer_from_a_translated_provider(sandbox: Sandbox, wire: Wire) -> None:
    text = f"Hello from a {wire.protocol}-only provider."
    run = run_codex(sandbox, TextReply(text), wire, f"Say hello ({PROMPT_MARK})")
    assert run.result.returncode == 0, run.context
    assert run.last_message == text, run.context
    assert_one_protocol(run, wire)
    assert_codex_main_request(run, wire)
    assert [r.outcome for r in run.requests] == ["text"], run.context
    assert_usage_reached_codex(run)


@pytest.mark.parametrize("wire", WIRES)
def test_codex_runs_its_shell_tool_for_a_translated_provider(sandbox: Sandbox, wire: Wire) -> None:
    run = run_codex(
        sandbox, ShellRoundTrip("cat token.txt"), wire, f"Show me token.txt ({PROMPT_MARK})"
    )
    assert run.result.returncode == 0, run.context
    assert_one_protocol(run, wire)
    assert_codex_main_request(run, wire)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:exec_command"], run.context
    back, output = assert_result_went_back(run, wire)
    # exec_command really ran in the work dir: only the file holds the random token.
    assert sandbox.token in output, output
    assert back.turn is not None and back.turn.tool_results is not None
    assert run.last_message == f"FINAL: {normalize_output(back.turn.tool_results)}", run.context
    assert sandbox.token in run.last_message
    assert_usage_reached_codex(run)


PATCH_CASES = [
    pytest.param(None, id="add"),
    pytest.param("the old line", id="update"),
]


@pytest.mark.parametrize("old", PATCH_CASES)
@pytest.mark.parametrize("wire", WIRES)
def test_codex_applies_a_patch_for_a_translated_provider(
    sandbox: Sandbox, wire: Wire, old: str | None
) -> None:
    """The provider calls apply_patch as a function {"input": patch}; codex gets a freeform
    call with the patch text, really applies it, and its result goes back to the provider."""
    mark = f"written by apply_patch {secrets.token_hex(4)}"
    target = sandbox.work / "notes.txt"
    if old is not None:
        target.write_text(f"{old}\n")
    script = PatchFile(path="notes.txt", text=mark, replace=old)
    run = run_codex(sandbox, script, wire, f"Write notes.txt ({PROMPT_MARK})")
    assert run.result.returncode == 0, run.context
    assert_one_protocol(run, wire)
    assert_codex_main_request(run, wire)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:apply_patch"], run.context
    assert asked[0].reply is not None
    assert asked[0].reply.tool_calls[0].arguments == {"input": script.patch}
    assert target.exists(), f"codex did not write notes.txt\n{run.context}"
    assert target.read_text() == f"{mark}\n", run.context
    back, output = assert_result_went_back(run, wire)
    # codex's report of what it changed: A(dded) or M(odified)
    change = "A" if old is None else "M"
    assert f"Success. Updated the following files:\n{change} notes.txt" in output, output
    assert back.turn is not None and back.turn.tool_results is not None
    assert run.last_message == f"FINAL: {normalize_output(back.turn.tool_results)}", run.context
    assert_usage_reached_codex(run)


def test_codex_applies_a_patch_for_a_responses_provider_without_translation(
    sandbox: Sandbox,
) -> None:
    """The control for the tests above: the same script, codex told gpt-5.5 by the binding
    itself, and a provider that speaks Responses (no translation)."""
    mark = f"written by apply_patch {secrets.token_hex(4)}"
    script = PatchFile(path="notes.txt", text=mark)
    run = run_codex(sandbox, script, RESPONSES, f"Write notes.txt ({PROMPT_MARK})", CODEX_MODEL)
    assert run.result.returncode == 0, run.context
    assert {(r.method, r.path) for r in run.requests} == {("POST", RESPONSES.path)}, run.context
    for request in run.requests:
        assert request.header("authorization") == f"Bearer {UPSTREAM_KEY}"
        assert_no_secret(request, run.secret, request.outcome)
        assert request.json["model"] == CODEX_MODEL
    target = sandbox.work / "notes.txt"
    assert target.exists(), f"codex did not write notes.txt\n{run.context}"
    assert target.read_text() == f"{mark}\n", run.context
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:apply_patch"], run.context
    assert asked[0].reply is not None
    (call,) = asked[0].reply.tool_calls
    assert (call.kind, call.input) == ("custom", script.patch)
    backs = [r for r in run.requests if r.turn and r.turn.tool_result_ids == (call.call_id,)]
    assert backs, run.context
    assert backs[0].turn is not None and backs[0].turn.tool_results is not None
    assert "Success. Updated the following files:\nA notes.txt" in backs[0].turn.tool_results[0]
    assert run.last_message == f"FINAL: {normalize_output(backs[0].turn.tool_results)}"
    assert_usage_reached_codex(run)
