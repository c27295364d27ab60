"""``cligate selftest`` with the real CLIs: each one passes both checks offline with no key (aider,
which has no shell tool, the text check), and a broken tool is reported as a clear failure."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from cligate.launcher.tools import TOOLS
from tests.e2e.conftest import Sandbox, require_cli
from tests.e2e.test_more_tools import INSTALLED, tool_path

pytestmark = pytest.mark.e2e

PROTOCOLS = {"claude": "anthropic", "codex": "openai-responses", "gemini": "gemini"}
# The Chat Completions tools tests/run pins (Crush is not pinned: it is tested where installed).
CHAT_TOOLS = sorted(INSTALLED)
NO_SHELL = {"aider": "aider has no shell tool a model can call"}


def selftest(sandbox: Sandbox, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``cligate selftest ARGS`` with the pinned CLIs first on PATH; its sandboxes go under
    the test's own state dir (not /tmp: codex refuses to run from there)."""
    state = sandbox.home.parent / "state"
    return subprocess.run(
        [sys.executable, "-m", "cligate", "selftest", *args],
        cwd=sandbox.work,
        env=sandbox.env(CLIGATE_STATE_DIR=str(state), **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.parametrize("tool", sorted(PROTOCOLS))
def test_selftest_passes_with_the_real_cli(sandbox: Sandbox, tool: str) -> None:
    require_cli(tool)
    result = selftest(sandbox, "--tool", tool, "--json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True
    checks = [(r["tool"], r["protocol"], r["check"], r["status"]) for r in report["results"]]
    assert checks == [
        (tool, PROTOCOLS[tool], "text", "pass"),
        (tool, PROTOCOLS[tool], "tool", "pass"),
    ]
    assert all(r["exit_status"] == 0 and r["reason"] == "" for r in report["results"])
    # Each run's sandbox is gone afterwards.
    assert list((sandbox.home.parent / "state" / "selftest").iterdir()) == []


@pytest.mark.parametrize("tool", CHAT_TOOLS)
def test_selftest_passes_with_a_real_chat_tool(sandbox: Sandbox, tool: str) -> None:
    path = tool_path(sandbox, tool)
    # The user's shell is elsewhere: the tool must still work in the selftest's own directory
    # (opencode's shell tool runs in $PWD).
    result = selftest(sandbox, "--tool", tool, "--json", PATH=path, PWD=str(sandbox.work))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True
    checks = [(r["tool"], r["protocol"], r["check"], r["status"]) for r in report["results"]]
    tool_status = "skipped" if tool in NO_SHELL else "pass"
    assert checks == [
        (tool, "openai-chat", "text", "pass"),
        (tool, "openai-chat", "tool", tool_status),
    ]
    text, round_trip = report["results"]
    assert text["exit_status"] == 0 and text["reason"] == ""
    assert round_trip["reason"] == NO_SHELL.get(tool, "")
    assert list((sandbox.home.parent / "state" / "selftest").iterdir()) == []


def test_selftest_of_every_tool_prints_one_line_per_check(sandbox: Sandbox) -> None:
    for tool in PROTOCOLS:
        require_cli(tool)
    # Each Chat tool's folder first, as tool_path gives it (OpenClaw's brings Node 24).
    folders = [tool_path(sandbox, tool).split(":", 1)[0] for tool in CHAT_TOOLS]
    path = ":".join([*dict.fromkeys(folders), sandbox.env()["PATH"]])
    started = time.monotonic()
    result = selftest(sandbox, PATH=path)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    expected = [*PROTOCOLS.items(), *((tool, "openai-chat") for tool in CHAT_TOOLS)]
    for tool, protocol in expected:
        for check in ("text answer", "tool round trip"):
            outcome = (
                f"skipped: {NO_SHELL[tool]}"
                if check == "tool round trip" and tool in NO_SHELL
                else "pass ("
            )
            prefix = f"{tool:<8} {protocol:<17} {check:<16} {outcome}"
            assert any(line.startswith(prefix) for line in lines), result.stdout
    # Every tool of the table has a line (crush: "not installed" unless the machine has it).
    assert {line.split()[0] for line in lines[1:-1]} == set(TOOLS)
    assert lines[-1].startswith("all "), result.stdout
    passed = int(lines[-1].split()[1])
    assert passed >= 2 * len(expected) - len(NO_SHELL)
    assert elapsed < 180, f"the selftest of every tool took {elapsed:.0f} s"


def test_a_broken_tool_fails_clearly(sandbox: Sandbox) -> None:
    """A ``claude`` on PATH that only prints an error and exits 1."""
    broken_bin = sandbox.home.parent / "broken-bin"
    broken_bin.mkdir()
    fake = broken_bin / "claude"
    fake.write_text("#!/bin/sh\necho 'claude: cannot start (broken install)' >&2\nexit 1\n")
    fake.chmod(0o755)
    path = f"{broken_bin}:{sandbox.env()['PATH']}"
    result = selftest(sandbox, "--tool", "claude", PATH=path)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("claude ")]
    assert len(lines) == 2 and all(" FAIL (" in line for line in lines), result.stdout
    for line in lines:
        assert "never reached the provider" in line
        assert "exit status 1" in line
        assert "claude: cannot start (broken install)" in line
    assert "No provider was involved" in result.stdout

    report = json.loads(selftest(sandbox, "--tool", "claude", "--json", PATH=path).stdout)
    assert report["ok"] is False
    assert {r["status"] for r in report["results"]} == {"fail"}
    assert {r["exit_status"] for r in report["results"]} == {1}
    assert all(r["binary"] == str(fake) for r in report["results"])
