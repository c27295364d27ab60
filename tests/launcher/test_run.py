"""``cligate run`` end to end with a stand-in tool: exit codes, signals, clean-up, errors."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.launcher.conftest import (
    UPSTREAM_KEY,
    LaunchEnv,
    exit_code,
    in_terminal,
    pid_alive,
    port_open,
    read_until,
)


def test_exit_code_and_arguments_pass_through(launch_env: LaunchEnv) -> None:
    launch_env.env["FAKE_TOOL_EXIT"] = "7"
    args = ["-p", "a prompt with spaces; $(not a shell) 'quoted'", "--flag"]
    result = launch_env.run("run", "claude", "--", *args)
    assert result.returncode == 7, result.stderr
    assert launch_env.report()["argv"] == args


def test_unknown_options_before_the_separator_also_reach_the_tool(launch_env: LaunchEnv) -> None:
    result = launch_env.run("run", "claude", "-p", "hi", "--output-format", "json")
    assert result.returncode == 0, result.stderr
    assert launch_env.report()["argv"] == ["-p", "hi", "--output-format", "json"]


def test_killed_by_a_signal_is_128_plus_n(launch_env: LaunchEnv) -> None:
    launch_env.env["FAKE_TOOL_MODE"] = "self-kill"
    assert launch_env.run("run", "claude").returncode == 128 + signal.SIGKILL


def test_the_tool_reaches_the_provider_through_the_proxy(launch_env: LaunchEnv) -> None:
    launch_env.env["FAKE_TOOL_MODE"] = "request"
    result = launch_env.run("run", "claude")
    assert result.returncode == 0, result.stderr
    report = launch_env.report()
    assert report["status"] == 200, report
    assert report["has_user_key"] is False
    assert str(report["base_url"]).startswith("http://127.0.0.1:")
    secret = str(report["token"])
    assert len(secret) >= 32 and secret != UPSTREAM_KEY
    [recorded] = launch_env.upstream.requests
    sent = dict(recorded.headers)
    assert sent["x-api-key"] == UPSTREAM_KEY
    assert secret not in json.dumps(recorded.headers)
    # The proxy is gone once the tool has exited.
    assert not port_open(str(report["base_url"]))


def test_each_run_gets_a_fresh_secret(launch_env: LaunchEnv) -> None:
    tokens = set()
    for _ in range(2):
        assert launch_env.run("run", "claude").returncode == 0
        tokens.add(launch_env.report()["token"])
    assert len(tokens) == 2


@pytest.mark.parametrize(
    ("sig", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_signal_to_cligate_ends_tool_proxy_and_every_descendant(
    launch_env: LaunchEnv, sig: signal.Signals, expected: int
) -> None:
    launch_env.env["FAKE_TOOL_MODE"] = "sleep-with-grandchildren"
    process = launch_env.start("run", "claude")
    try:
        report = launch_env.wait_report("ready")
        assert port_open(str(report["base_url"]))
        process.send_signal(sig)
        assert process.wait(timeout=20) == expected
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    pids = [int(report["pid"]), *report["grandchildren"]]  # type: ignore[list-item]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert [pid for pid in pids if pid_alive(pid)] == []
    assert not port_open(str(report["base_url"]))


def test_keyboard_ctrl_c_reaches_the_tool_exactly_once(launch_env: LaunchEnv) -> None:
    """In a terminal the tool owns the foreground: one Ctrl-C is one SIGINT, not two."""
    launch_env.env["FAKE_TOOL_MODE"] = "count-sigint"
    with in_terminal(launch_env.command("run", "claude"), launch_env.env) as (pid, master):
        report = launch_env.wait_report("ready")
        assert report["tty_foreground"] is True
        os.write(master, b"\x03")  # Ctrl-C typed at the keyboard
        report = launch_env.wait_report("sigints")
        assert report["sigints"] == 1
        assert exit_code(pid) == 0


def test_upstream_unreachable_is_an_error_in_the_tools_protocol(launch_env: LaunchEnv) -> None:
    launch_env.write_config(
        """
[providers.down]
protocol = "anthropic"
base_url = "http://127.0.0.1:9"
[tools.claude]
provider = "down"
"""
    )
    launch_env.env["FAKE_TOOL_MODE"] = "request"
    assert launch_env.run("run", "claude").returncode == 0
    report = launch_env.report()
    assert report["status"] == 502
    error = json.loads(str(report["body"]))
    assert error["type"] == "error" and error["error"]["type"] == "api_error"
    assert "cligate" in error["error"]["message"] and "'down'" in error["error"]["message"]


# --- errors before anything starts -----------------------------------------------------------


def test_unknown_tool_lists_the_known_ones(launch_env: LaunchEnv) -> None:
    result = launch_env.run("run", "cursor")
    assert result.returncode == 2
    assert "unknown tool 'cursor'" in result.stderr
    assert "aider, claude, codex, crush, gemini, openclaw, opencode, qwen" in result.stderr


def test_tool_not_installed_is_127_with_how_to_install(launch_env: LaunchEnv) -> None:
    del launch_env.env["CLIGATE_CLAUDE_BIN"]
    launch_env.env["PATH"] = str(launch_env.root)  # no claude here
    result = launch_env.run("run", "claude")
    assert result.returncode == 127
    assert "npm install -g @anthropic-ai/claude-code" in result.stderr


def test_missing_key_variable_is_named(launch_env: LaunchEnv) -> None:
    del launch_env.env["FAKE_UPSTREAM_KEY"]
    result = launch_env.run("run", "claude")
    assert result.returncode == 2
    assert "FAKE_UPSTREAM_KEY" in result.stderr


def test_with_no_config_the_vendor_provider_needs_its_usual_key(launch_env: LaunchEnv) -> None:
    launch_env.write_config("")
    del launch_env.env["ANTHROPIC_API_KEY"]
    result = launch_env.run("run", "claude")
    assert result.returncode == 2
    assert "'anthropic'" in result.stderr and "ANTHROPIC_API_KEY" in result.stderr
    assert "--provider" in result.stderr and "[tools.claude]" in result.stderr


def test_with_no_config_the_vendor_provider_is_used(launch_env: LaunchEnv) -> None:
    launch_env.write_config("")
    result = launch_env.run("run", "claude")  # the fake tool makes no request
    assert result.returncode == 0, result.stderr
    assert launch_env.report()["has_user_key"] is False  # the user's key stays with cligate


def test_unknown_provider_flag_lists_known_providers(launch_env: LaunchEnv) -> None:
    result = launch_env.run("run", "claude", "--provider", "nope")
    assert result.returncode == 2
    assert "'nope'" in result.stderr and "fake" in result.stderr


def test_provider_of_a_protocol_without_translation_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cligate.config.settings import ProviderSettings, Settings
    from cligate.errors import ConfigError
    from cligate.launcher.run import RunRequest, resolve
    from cligate.protocols.kinds import WireProtocol

    monkeypatch.setattr("cligate.protocols.kinds.TRANSLATABLE", frozenset())
    fake = ProviderSettings("fake", WireProtocol.ANTHROPIC, "https://fake")
    with pytest.raises(ConfigError) as caught:
        resolve(RunRequest("gemini", [], provider="fake"), Settings({"fake": fake}), {})
    assert "Anthropic Messages" in caught.value.message
    assert "Gemini generateContent" in caught.value.message
    assert "cannot translate" in caught.value.message


@pytest.mark.parametrize("tool", ["claude", "codex", "gemini"])
def test_first_run_without_any_key_prints_the_commands_to_set_up(
    launch_env: LaunchEnv, tool: str
) -> None:
    launch_env.write_config("")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        launch_env.env.pop(name, None)
    result = launch_env.run("run", tool)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert f"{tool} has no provider yet" in result.stderr
    add = next(line.strip() for line in lines if "cligate providers add" in line)
    bind = next(line.strip() for line in lines if "cligate bind" in line)
    preset = add.split()[3]
    assert bind == f"cligate bind {tool} --provider {preset}"
    # The suggested commands really work, and leave the tool bound to a provider it can use.
    for command in (add, bind):
        assert launch_env.run(*command.split()[1:]).returncode == 0, command
    assert f'provider = "{preset}"' in (launch_env.root / "config" / "config.toml").read_text()


def test_first_run_in_a_terminal_sets_up_a_provider_then_runs_the_tool(
    launch_env: LaunchEnv,
) -> None:
    """The real terminal program: questions answered by keystrokes, then the tool starts."""
    launch_env.write_config("")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        launch_env.env.pop(name, None)
    launch_env.env["DEEPSEEK_API_KEY"] = "ds-key"
    launch_env.env["TERM"] = "xterm"
    with in_terminal(launch_env.command("run", "claude"), launch_env.env) as (pid, master):
        read_until(master, b"Set up a provider for claude now?")
        os.write(master, b"y")
        read_until(master, b"Which provider?")
        os.write(master, b"deepseek")
        time.sleep(0.3)
        os.write(master, b"\r")
        read_until(master, b"Where is the API key?")
        os.write(master, b"\r")  # from $DEEPSEEK_API_KEY
        read_until(master, b"Which model will you use most?")
        os.write(master, b"\r")
        read_until(master, b"Name for this provider")
        os.write(master, b"\r")
        read_until(master, b"now uses provider 'deepseek'")
        assert exit_code(pid) == 0
    assert launch_env.report()["pid"]  # the tool ran after the setup
    config = (launch_env.root / "config" / "config.toml").read_text()
    assert "[providers.deepseek]" in config and 'provider = "deepseek"' in config
    assert 'api_key = "env:DEEPSEEK_API_KEY"' in config


def test_orphans_adopted_during_the_run_do_not_linger_as_zombies(launch_env: LaunchEnv) -> None:
    launch_env.env["FAKE_TOOL_MODE"] = "orphan-maker"
    process = launch_env.start("run", "claude")
    try:
        report = launch_env.wait_report("ready")
        orphan = int(report["orphan"])  # type: ignore[call-overload]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists(f"/proc/{orphan}"):
            time.sleep(0.05)
        # Exited and reaped by cligate while the tool still runs: no zombie entry remains.
        assert not os.path.exists(f"/proc/{orphan}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_with_stdin_piped_the_tool_still_owns_the_terminal(launch_env: LaunchEnv) -> None:
    """`echo x | cligate run claude` in a terminal: the tool may read /dev/tty directly."""
    argv = launch_env.command("run", "claude")
    with in_terminal(argv, launch_env.env, piped_stdin=b"x\n") as (pid, _):
        report = launch_env.wait_report("controlling_tty_foreground")
        assert report["tty_foreground"] is False  # stdin is the pipe
        assert report["controlling_tty_foreground"] is True
        assert exit_code(pid) == 0


def test_ctrl_z_then_bg_leaves_the_terminal_with_the_shell(launch_env: LaunchEnv) -> None:
    """In an interactive shell: Ctrl-Z suspends tool and cligate, `bg` resumes them in the
    background, and when the tool ends the shell still owns the terminal."""
    import shlex

    launch_env.env["FAKE_TOOL_MODE"] = "sleep-then-exit"
    launch_env.env["FAKE_TOOL_SECONDS"] = "2"
    launch_env.env["PS1"] = "PROMPT$ "
    launch_env.env["TERM"] = "dumb"
    bash = ["/bin/bash", "--norc", "--noprofile", "-i"]
    with in_terminal(bash, launch_env.env) as (_, master):
        read_until(master, b"PROMPT$ ")
        command = " ".join(shlex.quote(part) for part in launch_env.command("run", "claude"))
        os.write(master, command.encode() + b"\r")
        launch_env.wait_report("ready")
        os.write(master, b"\x1a")  # Ctrl-Z
        read_until(master, b"Stopped")
        os.write(master, b"bg\r")
        read_until(master, b"PROMPT$ ")
        time.sleep(3)  # the tool exits while in the background
        os.write(master, b"echo STILL-HERE-$((40+2))\r")
        seen = read_until(master, b"STILL-HERE-42", timeout=10)
        assert b"STILL-HERE-42" in seen


def test_the_verbose_log_never_holds_a_key_or_the_secret(launch_env: LaunchEnv) -> None:
    launch_env.env["FAKE_TOOL_MODE"] = "request"
    assert launch_env.run("run", "--verbose", "claude").returncode == 0
    secret = str(launch_env.report()["token"])
    log = launch_env.root / "config" / "state" / "cligate.log"
    text = log.read_text()
    assert "POST /v1/messages" in text and "fake" in text  # it did log the request
    assert UPSTREAM_KEY not in text and secret not in text
    assert "the-users-own-key" not in text


@pytest.mark.parametrize("option", ["--provider=", "--model=", "--model= "])
def test_empty_option_values_are_refused(launch_env: LaunchEnv, option: str) -> None:
    result = launch_env.run("run", option, "claude")
    assert result.returncode == 2 and "needs a value" in result.stderr
