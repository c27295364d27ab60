"""The real Claude Code through ``cligate run claude`` against a provider that speaks only OpenAI
Chat Completions: cligate translates Anthropic Messages to Chat and back.

The fake upstream answers only ``/v1/chat/completions`` (any other path would be a 404 the
tests see). A tool round trip counts only if the command really ran in the work dir and its
output went back upstream as a ``tool`` message answering the call the fake made.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate, spy_on_env
from tests.fake_upstream import (
    FakeUpstream,
    HttpError,
    RecordedRequest,
    ShellCommands,
    TextReply,
    normalize_output,
)

pytestmark = pytest.mark.e2e

CLAUDE_FLAGS = ["--output-format", "json", "--allowedTools", "Bash,Read,Write,Edit"]
TIMEOUT = 120
# Top-level members of an Anthropic Messages request that have no place in a Chat request.
ANTHROPIC_ONLY = frozenset(
    {
        "system",
        "thinking",
        "output_config",
        "output_format",
        "context_management",
        "anthropic_beta",
        "anthropic_version",
        "betas",
        "top_k",
        "stop_sequences",
        "cache_control",
        "mcp_servers",
        "container",
    }
)
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
CHAT_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})


@dataclass
class ChatRun:
    result: subprocess.CompletedProcess[str]
    answer: dict[str, Any]
    """Claude Code's JSON result (stdout)."""
    requests: list[RecordedRequest]
    secret: str
    """The per-run secret cligate gave Claude Code (ANTHROPIC_AUTH_TOKEN)."""


def run_claude_on_chat(
    sandbox: Sandbox, upstream: FakeUpstream, prompt: str, **env: str
) -> ChatRun:
    """``cligate run claude -- -p PROMPT`` with the fake as an ``openai-chat`` provider."""
    require_cli("claude")
    sandbox.write_config("openai-chat", upstream.base_url + "/v1", "claude")
    spy = spy_on_env(sandbox, "claude", ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"))
    result = run_cligate(
        "claude", ["-p", prompt, *CLAUDE_FLAGS], sandbox, timeout=TIMEOUT, **spy.env, **env
    )
    requests = upstream.requests
    secret = spy.read().get("ANTHROPIC_AUTH_TOKEN", "")
    context = (
        f"exit {result.returncode}\nstdout: {result.stdout[-2000:]}\n"
        f"stderr: {result.stderr[-3000:]}"
    )
    assert secret, f"Claude Code was never started\n{context}"
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"Claude Code printed no JSON result\n{context}")
    assert isinstance(answer, dict), context
    return ChatRun(result, answer, requests, secret)


def keys_anywhere(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_anywhere(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_anywhere(item)


def assert_chat_only(requests: list[RecordedRequest], secret: str) -> None:
    """Every request the provider saw is a well-formed, streamed Chat Completions POST with
    the provider's own key, and nothing Anthropic-specific or secret leaked into it."""
    assert requests, "the provider saw no request"
    for request in requests:
        where = f"{request.method} {request.path} ({request.outcome})"
        assert (request.method, request.path, request.protocol) == (
            "POST",
            "/v1/chat/completions",
            "chat",
        ), where
        assert request.header("authorization") == f"Bearer {UPSTREAM_KEY}", where
        assert request.header("x-api-key") is None, where
        assert all(secret not in value for _, value in request.headers), where
        assert secret.encode() not in request.body and secret not in request.query, where
        assert b"x-anthropic-billing-header" not in request.body, where
        body = request.json
        assert isinstance(body, dict), where
        assert body.get("stream") is True, where
        assert body.get("stream_options", {}).get("include_usage") is True, where
        assert not ANTHROPIC_ONLY & body.keys(), (where, sorted(ANTHROPIC_ONLY & body.keys()))
        assert "cache_control" not in set(keys_anywhere(body)), where
        assert isinstance(body.get("model"), str) and body["model"], where
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


def assert_results_went_back(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    """For each answer of the fake that made tool calls: a later request carries exactly those
    calls' results as ``tool`` messages (ids in call order), right after an assistant message
    repeating the calls with their ids and arguments. Returns those later requests."""
    asked = [r for r in requests if r.reply is not None and r.reply.tool_calls]
    assert asked, [r.outcome for r in requests]
    answered = []
    for position, request in enumerate(requests):
        if request not in asked:
            continue
        assert request.reply is not None
        calls = request.reply.tool_calls
        ids = tuple(call.call_id for call in calls)
        later = [
            r
            for r in requests[position + 1 :]
            if r.turn is not None and set(ids) & set(r.turn.tool_result_ids)
        ]
        assert later, f"no request brought back the results of {ids}"
        back = later[0]
        assert back.turn is not None
        assert back.turn.tool_result_ids == ids, (back.turn.tool_result_ids, ids)
        messages = back.json["messages"]
        first_tool = next(i for i, m in enumerate(messages) if m.get("tool_call_id") == ids[0])
        tools = messages[first_tool : first_tool + len(ids)]
        assert [(m["role"], m["tool_call_id"]) for m in tools] == [("tool", i) for i in ids]
        assistant = messages[first_tool - 1]
        assert assistant["role"] == "assistant"
        echoed = [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in assistant["tool_calls"]
        ]
        assert echoed == [(c.call_id, c.name, c.arguments) for c in calls]
        answered.append(back)
    return answered


def tool_message(request: RecordedRequest, call_id: str) -> str:
    (content,) = [
        m["content"] for m in request.json["messages"] if m.get("tool_call_id") == call_id
    ]
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content)
    assert isinstance(content, str)
    return content


def test_claude_code_gets_a_plain_answer_from_a_chat_only_provider(sandbox: Sandbox) -> None:
    text = "Hello from a Chat-only provider."
    thinking = "The user says hello; a greeting back will do."
    script = TextReply(text, reasoning=thinking)
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        run = run_claude_on_chat(sandbox, upstream, "hello")
    assert run.result.returncode == 0, run.result.stderr[-2000:]
    assert run.answer["is_error"] is False, run.answer
    assert run.answer["result"] == text  # the thinking did not leak into the answer
    assert_chat_only(run.requests, run.secret)
    # The usage the provider reported (the fake counts 4 bytes a token) reached Claude Code.
    assert len(run.requests) == 1, [r.outcome for r in run.requests]
    usage = run.answer["usage"]
    assert usage["input_tokens"] == len(run.requests[0].body) // 4
    assert usage["output_tokens"] == (len(text) + len(thinking)) // 4
    main = [r for r in run.requests if r.json.get("tools")]
    assert main, "Claude Code's main request (with its tools) never reached the provider"
    for request in main:
        roles = [m["role"] for m in request.json["messages"]]
        assert roles[0] in ("system", "developer"), roles  # Claude Code's system prompt
        users = [m for m in request.json["messages"] if m["role"] == "user"]
        assert any("hello" in json.dumps(m["content"]) for m in users)
        assert {t["function"]["name"] for t in request.json["tools"]} >= {"Bash", "Read"}


def test_claude_code_runs_bash_in_a_tool_loop_on_a_chat_only_provider(sandbox: Sandbox) -> None:
    mark = f"CLIGATE-{secrets.token_hex(4)}"
    script = ShellCommands((f"printf {mark} > out.txt", "cat token.txt out.txt"), parallel=False)
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        run = run_claude_on_chat(sandbox, upstream, "Write out.txt, then show it")
    assert run.result.returncode == 0, run.result.stderr[-2000:]
    assert (sandbox.work / "out.txt").read_text() == mark  # Bash really ran the first call
    assert_chat_only(run.requests, run.secret)
    backs = assert_results_went_back(run.requests)
    assert len(backs) == 2, [r.outcome for r in run.requests]  # one call per turn, two turns
    # The second command's output (the token and the file) went back as its tool message.
    second = backs[1]
    assert second.turn is not None
    output = tool_message(second, second.turn.tool_result_ids[0])
    assert sandbox.token in output and mark in output, output
    assert len(second.turn.all_tool_results) == 2
    assert run.answer["is_error"] is False, run.answer
    assert run.answer["result"] == f"FINAL: {normalize_output(second.turn.all_tool_results)}"
    assert run.answer["result"].endswith(f"{sandbox.token} {mark}")


def test_claude_code_runs_two_parallel_tool_calls_from_a_chat_only_provider(
    sandbox: Sandbox,
) -> None:
    mark = f"PARALLEL-{secrets.token_hex(4)}"
    script = ShellCommands(
        (f"printf {mark} > a.txt", "cat token.txt"),
        parallel=True,
        reasoning="Both commands are independent, so I ask for them together.",
    )
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        run = run_claude_on_chat(sandbox, upstream, "Write a.txt and show token.txt")
    assert run.result.returncode == 0, run.result.stderr[-2000:]
    assert (sandbox.work / "a.txt").read_text() == mark  # the first call really ran
    assert_chat_only(run.requests, run.secret)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [len(r.reply.tool_calls) for r in asked if r.reply] == [2]  # one turn, two calls
    (back,) = assert_results_went_back(run.requests)
    assert back.turn is not None and back.turn.tool_results is not None
    assert len(back.turn.tool_results) == 2
    # the second call really ran too: the token came back in its own tool message
    assert sandbox.token in tool_message(back, back.turn.tool_result_ids[1])
    assert sandbox.token not in tool_message(back, back.turn.tool_result_ids[0])
    assert run.answer["is_error"] is False, run.answer
    assert run.answer["result"] == f"FINAL: {normalize_output(back.turn.tool_results)}"
    assert run.answer["result"].endswith(sandbox.token)


@pytest.mark.parametrize("status", [429, 500])
def test_claude_code_shows_the_chat_providers_error(sandbox: Sandbox, status: int) -> None:
    message = f"injected upstream failure {status} marker-{secrets.token_hex(3)}"
    with FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("never said")) as upstream:
        upstream.set_fault(HttpError(status, message))
        run = run_claude_on_chat(
            sandbox,
            upstream,
            "hello",
            CLAUDE_CODE_MAX_RETRIES="0",  # Claude Code retries 429 and 5xx otherwise
        )
    assert run.result.returncode != 0, run.answer
    assert run.answer["is_error"] is True, run.answer
    assert run.answer["api_error_status"] == status, run.answer
    assert message in run.answer["result"], run.answer
    assert "never said" not in run.result.stdout
    assert_chat_only(run.requests, run.secret)
    assert {r.outcome for r in run.requests} == {f"error:{status}"}
