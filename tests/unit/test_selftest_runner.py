"""The selftest runner with stand-in tools (shell scripts named like the real CLIs): a hanging
tool is stopped at the timeout with nothing left running, and a missing one is skipped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil

from cligate.selftest.runner import run_selftest


def tool_dir(tmp_path: Path, name: str, body: str) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    script = directory / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return directory


def env_with(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIGATE_")}
    env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    env["CLIGATE_STATE_DIR"] = str(tmp_path / "state")
    return env


def test_a_hanging_tool_is_stopped_and_its_second_check_not_run(tmp_path: Path) -> None:
    pid_file = tmp_path / "tool.pid"
    bin_dir = tool_dir(tmp_path, "claude", f"echo $$ > {pid_file}\nexec sleep 60")
    started = time.monotonic()
    text, tool = run_selftest(["claude"], env=env_with(tmp_path, bin_dir), timeout=3)
    assert time.monotonic() - started < 20
    assert (text.check, text.status, text.exit_status) == ("text", "fail", None)
    assert "never reached the provider" in text.reason and "stopped after 3 s" in text.reason
    assert (tool.check, tool.status) == ("tool", "fail")
    assert tool.reason == "not run: the previous check of this tool timed out"
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid), "the tool outlived the selftest"
    assert list((tmp_path / "state" / "selftest").iterdir()) == []  # the sandboxes are gone


def test_a_tool_not_on_path_is_skipped_with_its_install_line(tmp_path: Path) -> None:
    env = env_with(tmp_path, tmp_path)
    env["PATH"] = str(tmp_path / "empty")
    (result,) = run_selftest(["gemini"], env=env)
    assert (result.tool, result.protocol, result.check, result.status) == (
        "gemini",
        "gemini",
        "install",
        "skipped",
    )
    assert result.reason == "not installed (install it with: npm install -g @google/gemini-cli)"


def test_a_tool_without_a_shell_tool_gets_the_text_check_alone(tmp_path: Path) -> None:
    bin_dir = tool_dir(tmp_path, "aider", "echo 'aider: broken' >&2\nexit 1")
    text, tool = run_selftest(["aider"], env=env_with(tmp_path, bin_dir), timeout=10)
    assert (text.tool, text.protocol, text.check, text.status) == (
        "aider",
        "openai-chat",
        "text",
        "fail",
    )
    assert "aider: broken" in text.reason
    assert (tool.check, tool.status, tool.exit_status) == ("tool", "skipped", None)
    assert tool.reason == "aider has no shell tool a model can call"
    assert tool.binary == str(bin_dir / "aider")
