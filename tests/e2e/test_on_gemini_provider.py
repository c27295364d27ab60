"""The real Claude Code and Codex through ``cligate run`` against a provider that speaks only
the Gemini API: cligate translates Anthropic Messages and OpenAI Responses requests to
``streamGenerateContent`` and Gemini's answers back.

The fake upstream answers Gemini's paths only, checks each request as Gemini would (see
``tests.fake_upstream.gemini_problems``: unknown members, roles, function responses that do not
answer the calls before them, current-turn calls without a thought signature), and, like
Gemini's thinking models, signs the first function call of each answer. A tool round trip
counts only if the shell tool really ran in the work dir and its result went back as a
``functionResponse`` answering the call the fake made (same id and name), after the call itself
replayed with a thought signature.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate, spy_on_env
from tests.fake_upstream import (
    SKIP_SIGNATURE,
    FakeUpstream,
    RecordedRequest,
    Script,
    ShellCommands,
    ShellRoundTrip,
    TextReply,
    ToolCall,
    normalize_output,
    signature_call_id,
)
from tests.fake_upstream.model import estimate_usage

pytestmark = pytest.mark.e2e

TIMEOUT = 120
BOUND_MODEL = "fake-large"
STREAM_PATH = f"/v1beta/models/{BOUND_MODEL}:streamGenerateContent"
CLAUDE_FLAGS = ["--output-format", "json", "--allowedTools", "Bash"]
CODEX_FLAGS = ["--skip-git-repo-check", "--color", "never", "--sandbox", "workspace-write"]
USER_CODEX_CONFIG = '# my own codex settings\nmodel = "o3"\n'
# JSON-schema keywords Gemini refuses in function declarations (cligate's sanitiser drops them).
UNSANITISED = frozenset({"$schema", "additionalProperties"})


@dataclass
class Run:
    tool: str
    result: subprocess.CompletedProcess[str]
    answer: Any
    """Claude Code's JSON result, or the last message codex wrote with ``-o`` (str)."""
    requests: list[RecordedRequest]
    secret: str
    """The per-run secret cligate gave the tool."""

    @property
    def context(self) -> str:
        outcomes = [f"{r.method} {r.path}?{r.query} → {r.outcome}" for r in self.requests]
        problems = [r.turn.wire_problems for r in self.requests if r.turn and r.turn.wire_problems]
        return (
            f"exit {self.result.returncode}\nanswer: {self.answer!r}\n"
            f"upstream saw: {outcomes}\nproblems Gemini would refuse: {problems}\n"
            f"stdout: {self.result.stdout[-2000:]}\nstderr: {self.result.stderr[-4000:]}"
        )


def _run(
    tool: str, args: list[str], sandbox: Sandbox, upstream: FakeUpstream, secret_var: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    sandbox.write_config("gemini", upstream.base_url, tool, model=BOUND_MODEL)
    spy = spy_on_env(sandbox, tool, (secret_var,))
    try:
        result = run_cligate(tool, args, sandbox, timeout=TIMEOUT, **spy.env)
    except pytest.fail.Exception as timed_out:
        outcomes = [f"{r.method} {r.path} → {r.outcome}" for r in upstream.requests]
        pytest.fail(f"{timed_out}\nupstream saw: {outcomes}")
    return result, spy.read().get(secret_var, "")


def run_claude(sandbox: Sandbox, script: Script, prompt: str, **fake: Any) -> Run:
    """``cligate run claude -- -p PROMPT`` with the fake as a ``gemini`` provider."""
    require_cli("claude")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script, **fake) as upstream:
        args = ["-p", prompt, *CLAUDE_FLAGS]
        result, secret = _run("claude", args, sandbox, upstream, "ANTHROPIC_AUTH_TOKEN")
        requests = upstream.requests
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        answer = None
    run = Run("claude", result, answer, requests, secret)
    assert run.secret, f"Claude Code was never started\n{run.context}"
    assert isinstance(answer, dict), f"Claude Code printed no JSON result\n{run.context}"
    return run


def run_codex(sandbox: Sandbox, script: Script, prompt: str) -> Run:
    """``cligate run codex -- exec … PROMPT`` with the fake as a ``gemini`` provider; the
    user's own ``~/.codex/config.toml`` must be byte for byte the same afterwards."""
    require_cli("codex")
    user_config = sandbox.home / ".codex" / "config.toml"
    user_config.parent.mkdir(exist_ok=True)
    user_config.write_text(USER_CODEX_CONFIG)
    last = sandbox.home.parent / "last-message.txt"  # outside the work dir codex edits
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        args = ["exec", *CODEX_FLAGS, "-o", str(last), prompt]
        result, secret = _run("codex", args, sandbox, upstream, "CLIGATE_CODEX_KEY")
        requests = upstream.requests
    answer = last.read_text() if last.exists() else None
    run = Run("codex", result, answer, requests, secret)
    assert run.secret, f"codex was never started\n{run.context}"
    assert user_config.read_text() == USER_CODEX_CONFIG, run.context
    return run


# ---------------------------------------------------------------------------- wire checks


def schema_keywords(schema: Any) -> Iterator[str]:
    """Every keyword used in a JSON schema (property names are not keywords)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key
            if key in ("properties", "$defs", "definitions", "patternProperties"):
                if isinstance(value, dict):
                    for sub in value.values():
                        yield from schema_keywords(sub)
            else:
                yield from schema_keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_keywords(item)


def declarations(request: RecordedRequest) -> dict[str, dict[str, Any]]:
    """Function name → its declaration, as the provider was offered them."""
    out = {}
    for tool in request.json.get("tools") or []:
        for declaration in tool.get("functionDeclarations") or []:
            out[declaration["name"]] = declaration
    return out


def parameters(declaration: dict[str, Any]) -> dict[str, Any]:
    schema = declaration.get("parametersJsonSchema", declaration.get("parameters"))
    return schema if isinstance(schema, dict) else {}


def assert_gemini_only(run: Run) -> None:
    """Every request the provider saw is a streamed generateContent POST for the binding's
    model with the provider's own key, which a real Gemini would accept, with sanitised tool
    schemas and no secret."""
    assert run.requests, f"the provider saw no request\n{run.context}"
    for request in run.requests:
        where = f"{request.method} {request.path}?{request.query} ({request.outcome})"
        assert (request.method, request.path, request.protocol) == (
            "POST",
            STREAM_PATH,
            "gemini",
        ), (where, run.context)
        assert request.query_params.get("alt") == ["sse"], where
        assert request.header("x-goog-api-key") == UPSTREAM_KEY, where
        assert request.header("authorization") is None, where
        assert request.header("x-api-key") is None, where
        assert all(run.secret not in value for _, value in request.headers), where
        assert run.secret.encode() not in request.body and run.secret not in request.query, where
        assert b"x-anthropic-billing-header" not in request.body, where
        assert request.turn is not None, where
        assert request.turn.wire_problems == (), (where, request.turn.wire_problems)
        for name, declaration in declarations(request).items():
            used = UNSANITISED & set(schema_keywords(parameters(declaration)))
            assert not used, (where, name, sorted(used))


def assert_calls_went_back(run: Run, ids_sent: bool = True) -> list[RecordedRequest]:
    """For each answer of the fake that made tool calls: the next request that carries
    function responses answers exactly those calls (same name; same id when the fake sent
    one), right after a model content replaying the calls with their arguments and a thought
    signature (the fake's own for that call, or Gemini's skip sentinel). Returns those
    requests."""
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert asked, f"the fake made no tool call\n{run.context}"
    backs = []
    for request in asked:
        assert request.reply is not None
        calls = request.reply.tool_calls
        later = run.requests[run.requests.index(request) + 1 :]
        answering = [r for r in later if r.turn is not None and r.turn.tool_results is not None]
        assert answering, f"no request brought back the results of {calls}\n{run.context}"
        back = answering[0]
        contents = back.json["contents"]
        responses = function_parts(contents[-1], "functionResponse")
        assert [r["name"] for r, _ in responses] == [c.name for c in calls], run.context
        if ids_sent:
            assert [r.get("id") for r, _ in responses] == [c.call_id for c in calls]
        replayed = function_parts(contents[-2], "functionCall")
        assert contents[-2].get("role") == "model", contents[-2]
        assert [(c["name"], c.get("args")) for c, _ in replayed] == [
            (c.name, c.arguments) for c in calls
        ], run.context
        if ids_sent:
            assert [c.get("id") for c, _ in replayed] == [c.call_id for c in calls]
        for (replay, part), call in zip(replayed, calls, strict=True):
            assert_signed(part, call, ids_sent)
            if replay.get("id") is not None:
                ids = [r.get("id") for r, _ in responses]
                assert replay["id"] in ids, (replay, ids)
        backs.append(back)
    return backs


def function_parts(content: dict[str, Any], kind: str) -> list[tuple[dict[str, Any], Any]]:
    """(functionCall or functionResponse, its part) of a content, in order."""
    return [(p[kind], p) for p in content.get("parts", []) if isinstance(p.get(kind), dict)]


def assert_signed(part: dict[str, Any], call: ToolCall, ids_sent: bool) -> None:
    signature = part.get("thoughtSignature")
    assert isinstance(signature, str) and signature, f"a replayed call has no signature: {part}"
    if signature == SKIP_SIGNATURE:
        return
    made_for = signature_call_id(signature)
    assert made_for is not None, f"a signature the provider never issued: {signature!r}"
    # Without ids on the wire the fake's own id is only inside its signature.
    assert made_for == call.call_id, (made_for, call.call_id, ids_sent)


def assert_every_replayed_call_signed(run: Run) -> None:
    """Every functionCall part replayed in any request carries a thought signature."""
    for request in run.requests:
        assert request.turn is not None
        assert all(request.turn.call_signatures), (request.outcome, request.turn.call_signatures)


def response_text(request: RecordedRequest) -> str:
    ((response, _),) = function_parts(request.json["contents"][-1], "functionResponse")
    assert request.turn is not None and request.turn.tool_results is not None
    return json.dumps(response["response"])


def codex_tokens_used(run: Run) -> int:
    found = re.search(r"^tokens used\n([\d,]+)$", run.result.stderr, re.MULTILINE)
    assert found, f"codex reported no token usage\n{run.context}"
    return int(found.group(1).replace(",", ""))


def reported_usage(run: Run) -> int:
    """The total the provider reported over the run (the fake counts about 4 bytes a token)."""
    total = 0
    for request in run.requests:
        assert request.turn is not None and request.reply is not None, request.outcome
        total += estimate_usage(request.turn, request.reply).total
    return total


# ---------------------------------------------------------------------------- Claude Code


def test_claude_code_gets_a_plain_answer_from_a_gemini_provider(sandbox: Sandbox) -> None:
    """The provider thinks first (thought parts, counted in thoughtsTokenCount): the thoughts
    stay out of the answer, and the usage Claude Code reports counts them as output."""
    text = "Hello from a Gemini-only provider."
    thinking = "The user says hello; a greeting back will do."
    run = run_claude(sandbox, TextReply(text, reasoning=thinking), "hello")
    assert run.result.returncode == 0, run.context
    assert run.answer["is_error"] is False, run.context
    assert run.answer["result"] == text  # the thoughts did not leak into the answer
    assert_gemini_only(run)
    assert [r.outcome for r in run.requests] == ["text"], run.context
    (request,) = run.requests
    assert request.json.get("systemInstruction"), "Claude Code's system prompt is missing"
    assert "hello" in json.dumps(request.json["contents"])
    assert {"Bash", "Read"} <= set(declarations(request)), sorted(declarations(request))
    usage = run.answer["usage"]
    assert usage["input_tokens"] == len(request.body) // 4, (usage, len(request.body))
    assert usage["output_tokens"] == (len(text) + len(thinking)) // 4, usage


def assert_thoughts_not_replayed_as_text(run: Run, thinking: str) -> None:
    """The provider's thoughts come back, if at all, only as thought parts: never as text
    the model would read as something it said."""
    for request in run.requests:
        for content in request.json["contents"]:
            for part in content.get("parts", []):
                if thinking in str(part.get("text", "")):
                    assert part.get("thought") is True, (request.outcome, part)


def test_claude_code_runs_bash_in_a_tool_loop_on_a_gemini_provider(sandbox: Sandbox) -> None:
    mark = f"CLIGATE-{secrets.token_hex(4)}"
    thinking = "Two steps: write the file, then show it with the token."
    script = ShellCommands(
        (f"printf {mark} > out.txt", "cat token.txt out.txt"), parallel=False, reasoning=thinking
    )
    run = run_claude(sandbox, script, "Write out.txt, then show it")
    assert run.result.returncode == 0, run.context
    assert (sandbox.work / "out.txt").read_text() == mark  # Bash really ran the first call
    assert_gemini_only(run)
    assert_thoughts_not_replayed_as_text(run, thinking)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:Bash"] * 2, run.context
    backs = assert_calls_went_back(run)
    assert len(backs) == 2, run.context
    assert_every_replayed_call_signed(run)
    second = backs[1]
    output = response_text(second)
    assert sandbox.token in output and mark in output, output
    assert second.turn is not None and len(second.turn.all_tool_results) == 2
    assert run.answer["is_error"] is False, run.context
    assert run.answer["result"] == f"FINAL: {normalize_output(second.turn.all_tool_results)}"
    assert run.answer["result"].endswith(f"{sandbox.token} {mark}")


def test_claude_code_on_a_gemini_provider_whose_calls_have_no_ids(sandbox: Sandbox) -> None:
    """Gemini models often answer function calls without an ``id``: cligate must give Claude
    Code one, and the response still answers the call by name (and by any id it replays)."""
    script = ShellRoundTrip("cat token.txt")
    run = run_claude(sandbox, script, "Show me token.txt", gemini_call_ids=False)
    assert run.result.returncode == 0, run.context
    assert_gemini_only(run)
    (back,) = assert_calls_went_back(run, ids_sent=False)
    assert_every_replayed_call_signed(run)
    assert sandbox.token in response_text(back)
    assert back.turn is not None and back.turn.tool_results is not None
    assert run.answer["is_error"] is False, run.context
    assert run.answer["result"] == f"FINAL: {normalize_output(back.turn.tool_results)}"


# ---------------------------------------------------------------------------- Codex


def test_codex_gets_a_plain_answer_from_a_gemini_provider(sandbox: Sandbox) -> None:
    """As for Claude Code: thoughts stay out of the answer and count in the usage."""
    text = "Hello from a Gemini-only provider."
    thinking = "A greeting is all that is asked for."
    run = run_codex(sandbox, TextReply(text, reasoning=thinking), "Say hello")
    assert run.result.returncode == 0, run.context
    assert run.answer == text, run.context
    assert_gemini_only(run)
    assert [r.outcome for r in run.requests] == ["text"], run.context
    (request,) = run.requests
    assert "Say hello" in json.dumps(request.json["contents"])
    offered = declarations(request)
    assert "exec_command" in offered, sorted(offered)
    # codex was told gpt-5.5: its freeform apply_patch became a one-string function
    patch = parameters(offered.get("apply_patch", {}))
    assert patch.get("properties", {}).get("input", {}).get("type") in ("string", "STRING"), patch
    assert codex_tokens_used(run) == reported_usage(run), run.context


def test_codex_runs_its_shell_tool_for_a_gemini_provider(sandbox: Sandbox) -> None:
    thinking = "Reading the file is one command."
    script = ShellCommands(("cat token.txt",), reasoning=thinking)
    run = run_codex(sandbox, script, "Show me token.txt")
    assert run.result.returncode == 0, run.context
    assert_gemini_only(run)
    assert_thoughts_not_replayed_as_text(run, thinking)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:exec_command"], run.context
    (back,) = assert_calls_went_back(run)
    assert_every_replayed_call_signed(run)
    # exec_command really ran in the work dir: only the file holds the random token.
    assert sandbox.token in response_text(back)
    assert back.turn is not None and back.turn.tool_results is not None
    assert run.answer == f"FINAL: {normalize_output(back.turn.tool_results)}", run.context
    assert sandbox.token in run.answer
    assert codex_tokens_used(run) == reported_usage(run), run.context
