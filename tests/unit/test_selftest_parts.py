"""The selftest's pieces without a real CLI: the script's decisions, the judge's reasons, the
sandbox's environment and the command's output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cligate.cli import selftest_command
from cligate.protocols.kinds import WireProtocol
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
    assert "claude  anthropic         text answer      pass (2.1 s)" in lines
    assert "claude  anthropic         tool round trip  FAIL (0.2 s): it broke" in lines
    assert "codex   openai-responses  not installed (x)" in lines
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


def test_nothing_installed_or_an_unknown_tool_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cligate.selftest.runner.run_selftest", fake_results(SKIP))
    assert selftest_command.main(["codex"], as_json=False) == 1
    assert "none of the selected tools is installed" in capsys.readouterr().err
    assert selftest_command.main(["vim"], as_json=False) == 2
    assert "unknown tool 'vim'" in capsys.readouterr().err
