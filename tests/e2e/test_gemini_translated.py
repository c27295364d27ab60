"""The real Gemini CLI through ``cligate run gemini`` against a provider that speaks only OpenAI
Chat Completions or only Anthropic Messages: cligate translates Gemini's generateContent
requests and the answers back.

With the default model ``auto`` Gemini CLI first makes a non-streamed routing call that asks for
JSON matching a schema; a non-JSON answer makes it retry with a long back-off, so the translation
must carry the schema to the provider (the fake answers schema-valid JSON when it sees one). The
fake answers one protocol's path only; a tool round trip counts only if ``run_shell_command``
really ran in the work dir and its output went back upstream answering the call the fake made.
The user's own ``~/.gemini/settings.json`` is byte for byte the same afterwards.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli, run_cligate, spy_on_env
from tests.fake_upstream import (
    FakeUpstream,
    RecordedRequest,
    Script,
    ShellRoundTrip,
    TextReply,
    normalize_output,
    thought_signature,
)
from tests.fake_upstream.model import estimate_usage

pytestmark = pytest.mark.e2e

TIMEOUT = 120
BOUND_MODEL = "fake-large"
GEMINI_FLAGS = ["-o", "json", "--approval-mode", "yolo"]
MEMORY_MARK = "MEMORY-MARKER-7"
USER_SETTINGS = (
    "{\n  // the user's own choice, which headless runs through cligate must override\n"
    '  "security": {"auth": {"selectedType": "oauth-personal"}},\n'
    '  "ui": {"theme": "GitHub"}\n}\n'
)

# Members of a Gemini request (and of its parts) that have no place in a Chat or Anthropic one.
GEMINI_ONLY = frozenset(
    {
        "contents",
        "systemInstruction",
        "system_instruction",
        "generationConfig",
        "generation_config",
        "toolConfig",
        "safetySettings",
        "cachedContent",
        "functionDeclarations",
        "parametersJsonSchema",
        "functionCall",
        "functionResponse",
        "thoughtSignature",
        "responseJsonSchema",
        "responseMimeType",
        "thinkingConfig",
    }
)
JSON_SCHEMA_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
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
GEMINI = Wire("gemini", "gemini", "", "")  # the control: no translation
WIRES = [pytest.param(CHAT, id="chat"), pytest.param(ANTHROPIC, id="anthropic")]


@dataclass
class GeminiRun:
    result: subprocess.CompletedProcess[str]
    answer: dict[str, Any] | None
    """Gemini CLI's JSON result (stdout), None when it printed none."""
    requests: list[RecordedRequest]
    env: dict[str, str]
    """What cligate gave Gemini CLI: GEMINI_API_KEY (the per-run secret) and GEMINI_MODEL."""

    @property
    def secret(self) -> str:
        return self.env.get("GEMINI_API_KEY", "")

    @property
    def context(self) -> str:
        outcomes = [f"{r.method} {r.path} → {r.outcome}" for r in self.requests]
        return (
            f"exit {self.result.returncode}\nupstream saw: {outcomes}\n"
            f"stdout: {self.result.stdout[-3000:]}\nstderr: {self.result.stderr[-4000:]}"
        )


def run_gemini(
    sandbox: Sandbox,
    script: Script,
    wire: Wire,
    prompt: str,
    model: str | None,
) -> GeminiRun:
    """``cligate run gemini -- -p PROMPT -o json --approval-mode yolo`` with the fake as the
    bound provider. ``model`` is the binding's model; None leaves Gemini CLI on ``auto`` and
    gives the provider ``models = [BOUND_MODEL]``, whose first model answers then."""
    require_cli("gemini")
    user_gemini = sandbox.home / ".gemini"
    user_gemini.mkdir(exist_ok=True)
    (user_gemini / "settings.json").write_text(USER_SETTINGS)
    (user_gemini / "GEMINI.md").write_text(f"Remember: the magic word is {MEMORY_MARK}.\n")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        sandbox.write_config(
            wire.config,
            upstream.base_url + wire.suffix,
            "gemini",
            model=model,
            provider_models=(BOUND_MODEL,) if model is None else (),
        )
        spy = spy_on_env(sandbox, "gemini", ("GEMINI_API_KEY", "GEMINI_MODEL"))
        try:
            result = run_cligate(
                "gemini",
                ["-p", prompt, *GEMINI_FLAGS],
                sandbox,
                timeout=TIMEOUT,
                GEMINI_CLI_TRUST_WORKSPACE="true",  # the user's decision, not cligate's
                **spy.env,
            )
        except pytest.fail.Exception as timed_out:
            outcomes = [f"{r.method} {r.path} → {r.outcome}" for r in upstream.requests]
            pytest.fail(f"{timed_out}\nupstream saw: {outcomes}")
        requests = upstream.requests
    answer = None
    if "{" in result.stdout:
        try:
            answer = json.loads(result.stdout[result.stdout.index("{") :])
        except ValueError:
            answer = None
    run = GeminiRun(result, answer, requests, spy.read())
    assert run.secret, f"Gemini CLI was never started\n{run.context}"
    # The user's settings are byte for byte what they were; no stray copies were left.
    assert (user_gemini / "settings.json").read_text() == USER_SETTINGS, run.context
    assert not list(user_gemini.glob("settings.json.*")), run.context
    return run


# ---------------------------------------------------------------------------- wire checks


def keys_anywhere(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_anywhere(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_anywhere(item)


def schema_types(schema: Any) -> Iterator[Any]:
    """Every `type` value in a JSON schema (property names are not keywords)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "type" and not isinstance(value, dict):
                yield value
            elif key in ("properties", "$defs", "definitions", "patternProperties"):
                if isinstance(value, dict):
                    for sub in value.values():
                        yield from schema_types(sub)
            else:
                yield from schema_types(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_types(item)


def assert_json_schema_types(schema: Any, where: str) -> None:
    """Chat and Anthropic take JSON Schema: lower-case type names (Gemini CLI writes its
    routing schema with OpenAPI's OBJECT / STRING / INTEGER)."""
    for kind in schema_types(schema):
        names = kind if isinstance(kind, list) else [kind]
        assert all(n in JSON_SCHEMA_TYPES for n in names), (where, kind)


def output_schema(request: RecordedRequest, wire: Wire) -> Any:
    """The JSON schema the request asks the answer to match, as it was sent."""
    body = request.json
    if wire is CHAT:
        return body["response_format"]["json_schema"]["schema"]
    fmt = body.get("output_config", {}).get("format") or body.get("output_format") or {}
    return fmt.get("schema")


def tool_schemas(request: RecordedRequest, wire: Wire) -> dict[str, Any]:
    tools = request.json.get("tools") or []
    if wire is CHAT:
        return {t["function"]["name"]: t["function"].get("parameters", {}) for t in tools}
    return {t["name"]: t.get("input_schema", {}) for t in tools}


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def anthropic_pairing_errors(messages: list[dict[str, Any]]) -> list[str]:
    """Where the history breaks Anthropic's rule (a 400 there): an assistant message's
    tool_use blocks are answered by tool_result blocks in the very next (user) message, and
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


def assert_one_protocol(run: GeminiRun, wire: Wire) -> None:
    """Every request the provider saw is a POST of its own protocol with its own key and the
    binding's model, streamed except for JSON (routing) calls, well formed, and nothing
    Gemini-specific or secret leaked into it."""
    assert run.requests, f"the provider saw no request\n{run.context}"
    for request in run.requests:
        where = f"{request.method} {request.path} ({request.outcome})"
        assert (request.method, request.path, request.protocol) == (
            "POST",
            wire.path,
            wire.protocol,
        ), (where, run.context)
        if wire is CHAT:
            assert request.header("authorization") == f"Bearer {UPSTREAM_KEY}", where
            assert request.header("x-api-key") is None, where
        else:
            assert request.header("x-api-key") == UPSTREAM_KEY, where
            assert request.header("authorization") is None, where
            assert request.header("anthropic-version"), where
        assert request.header("x-goog-api-key") is None, where
        assert all(run.secret not in value for _, value in request.headers), where
        assert run.secret.encode() not in request.body, where
        assert run.secret not in request.query, where
        body = request.json
        assert isinstance(body, dict), where
        assert body.get("model") == BOUND_MODEL, (where, body.get("model"))
        leaked = GEMINI_ONLY & set(keys_anywhere(body))
        assert not leaked, (where, sorted(leaked))
        turn = request.turn
        assert turn is not None, where
        # Routing calls were generateContent (one JSON answer); turns were streamed.
        assert (body.get("stream") is True) is (not turn.wants_json), where
        if wire is CHAT:
            _assert_chat_body(body, where)
            assert turn.tool_pairing_errors == (), (where, turn.tool_pairing_errors)
        else:
            _assert_anthropic_body(body, where)
        for name, schema in tool_schemas(request, wire).items():
            assert isinstance(schema, dict), (where, name)
            assert_json_schema_types(schema, f"{where} tool {name}")


def _assert_chat_body(body: dict[str, Any], where: str) -> None:
    if body.get("stream") is True:
        assert body.get("stream_options", {}).get("include_usage") is True, where
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


def _assert_anthropic_body(body: dict[str, Any], where: str) -> None:
    assert isinstance(body.get("max_tokens"), int) and body["max_tokens"] > 0, where
    messages = body.get("messages")
    assert isinstance(messages, list) and messages, where
    assert messages[0].get("role") == "user", where
    for message in messages:
        assert message.get("role") in ("user", "assistant"), (where, message.get("role"))
        content = message.get("content")
        if isinstance(content, list):
            kinds = {block.get("type") for block in content}
            assert kinds <= ANTHROPIC_BLOCK_TYPES, (where, message["role"], kinds)
    assert anthropic_pairing_errors(messages) == [], (where, anthropic_pairing_errors(messages))
    for tool in body.get("tools", []):
        assert isinstance(tool.get("name"), str), where
        assert isinstance(tool.get("input_schema"), dict), (where, tool.get("name"))
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        assert_anthropic_thinking_rules(body, thinking, where)


def assert_anthropic_thinking_rules(
    body: dict[str, Any], thinking: dict[str, Any], where: str
) -> None:
    """What Anthropic refuses (400) once thinking is on: a budget under 1024 or not under
    max_tokens, a temperature other than 1, top_k, a top_p under 0.95, and a tool loop whose
    assistant turn does not start with its thinking block."""
    budget = thinking.get("budget_tokens")
    assert isinstance(budget, int) and 1024 <= budget < body["max_tokens"], (where, thinking)
    assert body.get("temperature", 1) == 1, (where, body.get("temperature"))
    assert "top_k" not in body, where
    assert body.get("top_p", 1) >= 0.95, (where, body.get("top_p"))
    messages = body["messages"]
    asked = [
        i
        for i, m in enumerate(messages)
        if m.get("role") == "user"
        and (isinstance(m.get("content"), str) or any(b.get("type") == "text" for b in _blocks(m)))
    ]
    for message in messages[asked[-1] + 1 if asked else 0 :]:
        blocks = _blocks(message)
        if message.get("role") == "assistant" and any(b.get("type") == "tool_use" for b in blocks):
            first = blocks[0].get("type")
            assert first in ("thinking", "redacted_thinking"), (where, "tool loop", first)


def assert_routing_calls_got_json(run: GeminiRun, wire: Wire) -> list[RecordedRequest]:
    """Each JSON request (Gemini CLI's routing call) carried the router's schema as JSON Schema,
    and the fake answered it with an instance of that schema. Returns those requests."""
    routing = [r for r in run.requests if r.turn is not None and r.turn.wants_json]
    for request in routing:
        where = f"{request.path} ({request.outcome})"
        assert request.turn is not None
        schema = request.turn.json_schema
        assert isinstance(schema, dict) and schema.get("properties"), (where, schema)
        assert output_schema(request, wire) == schema, where
        assert_json_schema_types(schema, where)
        assert not request.json.get("tools"), where
        assert request.outcome == "json", where
        assert request.reply is not None and request.reply.kind == "json"
        value = json.loads(request.reply.text)
        assert isinstance(value, dict) and set(schema.get("required", [])) <= set(value), value
    return routing


def assert_main_turns(run: GeminiRun, wire: Wire) -> list[RecordedRequest]:
    """Gemini CLI's turns (not its routing calls) reached the provider with its system prompt,
    the user's memory (GEMINI.md), the prompt and its tools, run_shell_command among them."""
    main = [r for r in run.requests if r.turn is not None and not r.turn.wants_json]
    assert main, f"no turn of Gemini CLI reached the provider\n{run.context}"
    for request in main:
        where = f"{request.path} ({request.outcome})"
        assert MEMORY_MARK.encode() in request.body, where
        if wire is CHAT:
            assert request.json["messages"][0]["role"] in ("system", "developer"), where
        else:
            assert request.json.get("system"), where
        assert "run_shell_command" in tool_schemas(request, wire), where
    return main


def assert_usage_reached_gemini_cli(run: GeminiRun) -> None:
    """Gemini CLI's stats (prompt and candidate tokens over all its models) are the sums of
    the usage the provider reported for each request (the fake counts about 4 bytes a
    token), so the usage survived the translation, routing calls included."""
    assert run.answer is not None, run.context
    models = run.answer["stats"]["models"]
    prompt = sum(m["tokens"]["prompt"] for m in models.values())
    candidates = sum(m["tokens"]["candidates"] for m in models.values())
    asked = sum(m["api"]["totalRequests"] for m in models.values())
    usages = []
    for request in run.requests:
        assert request.turn is not None and request.reply is not None, request.outcome
        usages.append(estimate_usage(request.turn, request.reply))
    assert asked == len(run.requests), (models, run.context)
    assert (prompt, candidates) == (
        sum(u.input_tokens for u in usages),
        sum(u.output_tokens for u in usages),
    ), models


# ---------------------------------------------------------------------------- round trips


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def tool_results(request: RecordedRequest, wire: Wire) -> dict[str, str]:
    """call id → the text of its result in this request."""
    out = {}
    for message in request.json["messages"]:
        if wire is CHAT:
            if message.get("role") == "tool":
                out[message["tool_call_id"]] = _text(message.get("content"))
            continue
        for block in _blocks(message):
            if block.get("type") == "tool_result":
                out[block["tool_use_id"]] = _text(block.get("content"))
    return out


def echoed_calls(request: RecordedRequest, wire: Wire, first_id: str) -> list[Any]:
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
        if any(b.get("tool_use_id") == first_id for b in _blocks(m))
    )
    assistant = messages[at - 1]
    assert assistant["role"] == "assistant", assistant
    return [(b["id"], b["name"], b["input"]) for b in _blocks(assistant) if b["type"] == "tool_use"]


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("wire", WIRES)
def test_gemini_cli_on_auto_gets_a_plain_answer_from_a_translated_provider(
    sandbox: Sandbox, wire: Wire
) -> None:
    """Model ``auto``: the routing call is answered with JSON through the translation, then
    the turn is answered with the scripted text."""
    text = f"Hello from a {wire.protocol}-only provider."
    # The Chat fake thinks first (reasoning_content); the thoughts must not become the answer.
    script = TextReply(text, reasoning="A greeting is all that is asked for.")
    run = run_gemini(sandbox, script, wire, "Say hello", model=None)
    assert run.env.get("GEMINI_MODEL") == "", f"Gemini CLI was told a model\n{run.context}"
    assert run.result.returncode == 0, run.context
    assert run.answer is not None and run.answer.get("response") == text, run.context
    assert_one_protocol(run, wire)
    routing = assert_routing_calls_got_json(run, wire)
    assert len(routing) == 1, f"expected one routing call\n{run.context}"
    main = assert_main_turns(run, wire)
    assert [r.outcome for r in run.requests] == ["json", "text"], run.context
    assert run.requests[0] is routing[0] and run.requests[1] is main[0]
    prompt = json.dumps(main[0].json["messages"])
    assert "Say hello" in prompt, prompt[-2000:]
    assert_usage_reached_gemini_cli(run)


@pytest.mark.parametrize("auto", [False, True], ids=["bound-model", "auto"])
@pytest.mark.parametrize("wire", WIRES)
def test_gemini_cli_runs_its_shell_tool_for_a_translated_provider(
    sandbox: Sandbox, wire: Wire, auto: bool
) -> None:
    """The provider calls run_shell_command; Gemini CLI really runs ``cat token.txt``, and
    its output goes back upstream answering that call (same id), after an assistant message
    repeating the call; the final answer carries the token."""
    model = None if auto else BOUND_MODEL
    run = run_gemini(sandbox, ShellRoundTrip("cat token.txt"), wire, "Show me token.txt", model)
    assert run.env.get("GEMINI_MODEL") == ("" if auto else BOUND_MODEL), run.context
    assert run.result.returncode == 0, run.context
    assert_one_protocol(run, wire)
    routing = assert_routing_calls_got_json(run, wire)
    assert len(routing) == (1 if auto else 0), run.context
    assert_main_turns(run, wire)
    asked = [r for r in run.requests if r.reply is not None and r.reply.tool_calls]
    assert [r.outcome for r in asked] == ["tool_call:run_shell_command"], run.context
    assert asked[0].reply is not None
    (call,) = asked[0].reply.tool_calls
    later = run.requests[run.requests.index(asked[0]) + 1 :]
    backs = [r for r in later if r.turn is not None and call.call_id in r.turn.tool_result_ids]
    assert backs, f"no request brought back the result of {call.call_id}\n{run.context}"
    back = backs[0]
    assert back.turn is not None and back.turn.tool_result_ids == (call.call_id,), run.context
    assert echoed_calls(back, wire, call.call_id) == [(call.call_id, call.name, call.arguments)]
    output = tool_results(back, wire)[call.call_id]
    # run_shell_command really ran in the work dir: only the file holds the random token.
    assert sandbox.token in output, output
    assert back.turn.tool_results is not None
    assert run.answer is not None, run.context
    assert run.answer.get("response") == f"FINAL: {normalize_output(back.turn.tool_results)}"
    assert sandbox.token in run.answer["response"]
    assert run.requests[-1] is back and back.outcome == "text", run.context
    assert_usage_reached_gemini_cli(run)


def test_gemini_cli_on_auto_on_a_gemini_provider_replays_the_providers_signature(
    sandbox: Sandbox,
) -> None:
    """The control for the tests above, without translation: the same tool loop on ``auto``
    against a Gemini provider. Every request is one a real Gemini accepts, and Gemini CLI
    replays the thought signature the provider put on its call (what cligate's translation
    must make up for, since Chat and Anthropic have none)."""
    run = run_gemini(sandbox, ShellRoundTrip("cat token.txt"), GEMINI, "Show me token.txt", None)
    assert run.result.returncode == 0, run.context
    assert {r.protocol for r in run.requests} == {"gemini"}, run.context
    for request in run.requests:
        assert request.turn is not None
        assert request.turn.wire_problems == (), (request.path, request.turn.wire_problems)
        assert request.header("x-goog-api-key") == UPSTREAM_KEY
        assert run.secret.encode() not in request.body
    assert [r.outcome for r in run.requests] == ["json", "tool_call:run_shell_command", "text"]
    asked, back = run.requests[1], run.requests[2]
    assert asked.reply is not None and back.turn is not None
    (call,) = asked.reply.tool_calls
    assert back.turn.tool_result_ids == (call.call_id,)
    assert back.turn.call_signatures == (thought_signature(call.call_id),)
    assert run.answer is not None and sandbox.token in run.answer.get("response", "")
