"""The selftest's pieces without a real CLI: the script's decisions, the judge's reasons, the
sandbox's environment and the command's output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cligate.cli import selftest_command
from cligate.launcher.tools import TOOLS
from cligate.protocols.kinds import WireProtocol
from cligate.selftest import chat_wire
from cligate.selftest.clis import RECIPES
from cligate.selftest.judge import RunOutcome, judge
from cligate.selftest.provider import Exchange
from cligate.selftest.results import CheckResult
from cligate.selftest.sandbox import KEY_VAR, TOKEN_FILE, Sandbox
from cligate.selftest.schema_instance import minimal_instance
from cligate.selftest.scripts import Reply, ShellRoundTrip, TextScript, answer, shell_arguments
from cligate.selftest.turns import ToolDecl, Turn

A = WireProtocol.ANTHROPIC
COMMAND = "cat selftest-token.txt"
SCRIPT = ShellRoundTrip(COMMAND, "selftest-abc")


def turn(
    tools: tuple[ToolDecl, ...] = (),
    results: tuple[str, ...] | None = None,
    schema: dict[str, Any] | None = None,
) -> Turn:
    return Turn(A, "m", True, tools, results, schema)


# --- scripts -------------------------------------------------------------------------------


def test_the_round_trip_calls_the_shell_tool_then_checks_the_result() -> None:
    tools = (ToolDecl("Read"), ToolDecl("Bash", {"properties": {"command": {"type": "string"}}}))
    call = SCRIPT.reply(turn(tools))
    assert call.step == "call" and call.call is not None
    assert (call.call.name, call.call.arguments) == ("Bash", {"command": COMMAND})
    assert SCRIPT.reply(turn(tools, ("Output: selftest-abc\n",))).text == SCRIPT.expected_answer
    wrong = SCRIPT.reply(turn(tools, ("cat: selftest-token.txt: No such file",)))
    assert wrong.step == "wrong_result" and "No such file" in wrong.detail
    assert SCRIPT.reply(turn()).step == "text"  # a side call without tools
    missing = SCRIPT.reply(turn((ToolDecl("Read"), ToolDecl("Write"))))
    assert missing.step == "no_shell_tool" and missing.detail == "Read, Write"


def test_each_tools_own_shell_tool_is_chosen_and_never_a_code_runner() -> None:
    schema = {"properties": {"command": {"type": "string"}}}
    for spec in TOOLS.values():
        if spec.shell_tool is not None:
            offered = (
                ToolDecl("read"),
                ToolDecl("execute_code", schema),
                ToolDecl(spec.shell_tool),
            )
            call = SCRIPT.reply(turn(offered)).call
            assert call is not None and call.name == spec.shell_tool
    # Hermes Agent: "terminal" is its shell, "execute_code" runs Python.
    hermes = (ToolDecl("execute_code", schema), ToolDecl("terminal", schema))
    call = SCRIPT.reply(turn(hermes)).call
    assert call is not None and call.name == "terminal"
    # A name hint must be a whole word: no shell among these.
    assert SCRIPT.reply(turn((ToolDecl("execute_code"), ToolDecl("bashful")))).step == (
        "no_shell_tool"
    )
    call = SCRIPT.reply(turn((ToolDecl("execute_code"), ToolDecl("runBashCommand")))).call
    assert call is not None and call.name == "runBashCommand"


def test_the_chat_stream_is_lf_framed_and_ends_with_done() -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    parsed = chat_wire.parse(body, 100)
    assert (parsed.protocol, parsed.stream, parsed.tool_results) == (
        WireProtocol.OPENAI_CHAT,
        True,
        None,
    )
    events = chat_wire.render(parsed, Reply("text", "hello there"), usage_chunk=False).events
    assert events is not None and events[-1] == b"data: [DONE]\n\n"
    assert all(e.startswith(b"data: {") and e.endswith(b"}\n\n") for e in events[:-1])


def test_chat_tool_results_are_those_after_the_models_last_message() -> None:
    def results(*roles: str) -> tuple[str, ...] | None:
        messages = [{"role": role, "content": f"{role} {i}"} for i, role in enumerate(roles)]
        return chat_wire.parse({"messages": messages}, 0).tool_results

    assert results("user", "assistant", "tool", "tool") == ("tool 2", "tool 3")
    assert results("user", "assistant", "tool", "user") == ("tool 2",)  # OpenClaw's note
    assert results("user", "assistant", "tool", "system", "user", "user") == ("tool 2",)
    assert results("user", "assistant", "tool", "assistant", "user") is None
    assert results("user") is None and results() is None


def test_shell_arguments_follow_the_tools_schema() -> None:
    argv = {"properties": {"command": {"type": "array", "items": {"type": "string"}}}}
    assert shell_arguments(argv, "ls") == {"command": ["bash", "-lc", "ls"]}
    extra = {
        "properties": {"cmd": {"type": "string"}, "timeout": {"type": "integer"}},
        "required": ["cmd", "timeout"],
    }
    assert shell_arguments(extra, "ls") == {"cmd": "ls", "timeout": 1}
    assert shell_arguments({}, "ls") == {"command": "ls"}


def test_json_requests_get_json_whatever_the_script() -> None:
    schema = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}}}
    reply = answer(TextScript("hello"), turn(schema=schema))
    assert reply.step == "json" and json.loads(reply.text) == {"a": "x"}


def test_minimal_instances() -> None:
    assert minimal_instance({"type": ["null", "string"], "minLength": 12}) == "selftestxxxx"
    assert minimal_instance({"type": "ARRAY", "minItems": 2, "items": {"type": "BOOLEAN"}}) == [
        False,
        False,
    ]
    assert minimal_instance({"anyOf": [{"type": "null"}, {"const": 3}]}) == 3
    assert minimal_instance({"properties": {"n": {"type": "number", "minimum": 5}}}) == {"n": 5}


# --- the judge -----------------------------------------------------------------------------


def run(exit_status: int | None = 0, answer_: str = "", stderr: str = "") -> RunOutcome:
    return RunOutcome(exit_status, "", stderr, answer_, 1.0, 60.0)


def seen(*steps: str, detail: str = "") -> list[Exchange]:
    return [
        Exchange("POST", "/v1/messages", A, True, s, Reply("text", detail=detail)) for s in steps
    ]


def test_a_pass_needs_the_whole_path() -> None:
    good = run(answer_=SCRIPT.expected_answer)
    assert judge("tool", good, seen("call", "final"), SCRIPT.expected_answer, COMMAND) is None
    assert judge("text", run(answer_="hi there"), seen("text"), "hi", COMMAND) is None


@pytest.mark.parametrize(
    ("exchanges", "outcome", "expected"),
    [
        ([], run(1, stderr="boom\nclaude: broken"), "never reached the provider"),
        ([], run(None), "stopped after 60 s"),
        (seen("call"), run(0), "never sent its result back"),
        (seen("call", "wrong_result", detail="denied"), run(0), "without the file's content"),
        (seen("no_shell_tool", detail="Read"), run(0), "no shell tool (its tools: Read)"),
        (seen("call", "final"), run(3, stderr="crash"), "failed after the provider answered"),
        (seen("call", "final"), run(0, answer_="something else"), "answer is not the provider's"),
        (
            [Exchange("POST", "/v1/messages", A, False, "unauthorized")],
            run(1),
            "did not send the provider's key",
        ),
        ([Exchange("POST", "/x", None, True, "error: KeyError()")], run(0), "scripted provider"),
    ],
)
def test_each_failure_names_its_stage(
    exchanges: list[Exchange], outcome: RunOutcome, expected: str
) -> None:
    reason = judge("tool", outcome, exchanges, SCRIPT.expected_answer, COMMAND)
    assert reason is not None and expected in reason


def test_the_reason_quotes_the_end_of_the_output() -> None:
    reason = judge("text", run(1, stderr="a\nb\nc\nclaude: broken\n"), [], "x", COMMAND)
    assert reason == (
        "the tool never reached the provider through cligate (exit status 1); "
        "it printed: b | c | claude: broken"
    )


# --- the sandbox ---------------------------------------------------------------------------


def test_the_sandbox_has_its_own_home_config_and_token(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path / "run")
    assert (sandbox.work / TOKEN_FILE).read_text() == sandbox.token + "\n"
    sandbox.write_config("gemini", "http://127.0.0.1:1", "gemini", None)
    config = (sandbox.config / "config.toml").read_text()
    assert 'base_url = "http://127.0.0.1:1"' in config and "model" not in config
    user = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "CODEX_HOME": "/home/me/.codex",
        "NO_PROXY": "corp.example",
        "ANTHROPIC_API_KEY": "sk-real",
        "ANTHROPIC_AUTH_TOKEN": "real",
    }
    env = sandbox.env(user, "k", {"EXTRA": "1"})
    assert env["HOME"] == str(sandbox.home) and "CODEX_HOME" not in env
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert env["CLIGATE_CONFIG_DIR"] == str(sandbox.config) and env[KEY_VAR] == "k"
    assert env["NO_PROXY"] == "corp.example,127.0.0.1,localhost" == env["no_proxy"]
    assert env["PATH"] == "/usr/bin" and env["EXTRA"] == "1"
    # Not the user's shell's directory: opencode's shell tool runs in $PWD.
    assert sandbox.env({"PWD": "/home/me/project"}, "k", {})["PWD"] == str(sandbox.work)


# --- the recipes ---------------------------------------------------------------------------


def test_every_tool_has_a_recipe_of_its_own_protocol() -> None:
    assert set(RECIPES) == set(TOOLS)
    for name, recipe in RECIPES.items():
        assert (recipe.tool, recipe.protocol) == (name, TOOLS[name].protocol)


def test_chat_recipes_use_the_adapter_tables_one_shot_arguments(tmp_path: Path) -> None:
    for name, spec in TOOLS.items():
        if spec.protocol is WireProtocol.OPENAI_CHAT:
            recipe = RECIPES[name]
            args = recipe.args("say hi", tmp_path / "out.txt")
            expected = [arg.replace("{prompt}", "say hi") for arg in spec.one_shot]
            assert args[: len(expected)] == expected, name
            assert recipe.model is not None and recipe.base_url_suffix == spec.base_url_suffix


def test_aiders_answer_is_what_it_printed_between_banner_and_token_count() -> None:
    stdout = (
        "Detected dumb terminal, disabling fancy input and pretty output.\n\n"
        "Aider v0.86.2\nModel: openai/selftest-model with whole edit format\nGit repo: none\n"
        "Repo-map: disabled\n\ncligate selftest answer 1234\nsecond line\n"
        "Tokens: 599 sent, 8 received.\n"
    )
    answer = RECIPES["aider"].answer(stdout, Path("unused"))
    assert answer == "cligate selftest answer 1234\nsecond line"
    assert RECIPES["opencode"].answer("the answer\n", Path("unused")) == "the answer\n"


# --- the command ---------------------------------------------------------------------------


def fake_results(*results: CheckResult) -> object:
    def run_selftest(tools: list[str], on_result: object = None) -> list[CheckResult]:
        for result in results:
            if callable(on_result):
                on_result(result)
        return list(results)

    return run_selftest


PASS = CheckResult("claude", "anthropic", "text", "pass", 2.14, binary="/bin/claude", exit_status=0)
FAIL = CheckResult("claude", "anthropic", "tool", "fail", 0.2, "it broke", "/bin/claude", 1)
SKIP = CheckResult("codex", "openai-responses", "install", "skipped", reason="not installed (x)")


def test_the_command_prints_a_line_per_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cligate.selftest.runner.run_selftest", fake_results(PASS, FAIL, SKIP))
    assert selftest_command.main([], as_json=False) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "claude   anthropic         text answer      pass (2.1 s)" in lines
    assert "claude   anthropic         tool round trip  FAIL (0.2 s): it broke" in lines
    assert "codex    openai-responses  not installed (x)" in lines
    assert lines[-1].startswith("1 of 2 checks failed. No provider was involved")


def test_the_command_passes_when_every_installed_tool_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cligate.selftest.runner.run_selftest", fake_results(PASS, SKIP))
    assert selftest_command.main(["claude", "codex"], as_json=True) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] is True
    assert [(r["tool"], r["check"], r["status"]) for r in printed["results"]] == [
        ("claude", "text", "pass"),
        ("codex", "install", "skipped"),
    ]


def test_a_check_skipped_for_a_tool_without_a_shell_tool_is_no_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CheckResult("aider", "openai-chat", "text", "pass", 4.0, binary="/bin/aider")
    reason = "aider has no shell tool a model can call"
    tool = CheckResult(
        "aider", "openai-chat", "tool", "skipped", reason=reason, binary="/bin/aider"
    )
    monkeypatch.setattr("cligate.selftest.runner.run_selftest", fake_results(text, tool))
    assert selftest_command.main(["aider"], as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"aider    openai-chat       tool round trip  skipped: {reason}" in lines
    assert lines[-1].startswith("all 1 checks passed")


def test_the_default_selection_is_every_tool(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[list[str]] = []

    def run_selftest(tools: list[str], on_result: object = None) -> list[CheckResult]:
        asked.append(tools)
        return [PASS]

    monkeypatch.setattr("cligate.selftest.runner.run_selftest", run_selftest)
    assert selftest_command.main([], as_json=True) == 0
    assert asked == [list(RECIPES)] and set(RECIPES) == set(TOOLS)
    assert selftest_command.main(["openclaw", "qwen", "openclaw"], as_json=True) == 0
    assert asked[-1] == ["openclaw", "qwen"]


def test_nothing_installed_or_an_unknown_tool_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cligate.selftest.runner.run_selftest", fake_results(SKIP))
    assert selftest_command.main(["codex"], as_json=False) == 1
    assert "none of the selected tools is installed" in capsys.readouterr().err
    assert selftest_command.main(["vim"], as_json=False) == 2
    assert "unknown tool 'vim'" in capsys.readouterr().err
