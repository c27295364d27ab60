"""``cligate selftest`` with the real CLIs: each one passes both checks offline with no key, and
a broken tool is reported as a clear failure."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import Sandbox, require_cli

pytestmark = pytest.mark.e2e

PROTOCOLS = {"claude": "anthropic", "codex": "openai-responses", "gemini": "gemini"}


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


def test_selftest_of_every_tool_prints_one_line_per_check(sandbox: Sandbox) -> None:
    for tool in PROTOCOLS:
        require_cli(tool)
    started = time.monotonic()
    result = selftest(sandbox)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    for tool, protocol in PROTOCOLS.items():
        for check in ("text answer", "tool round trip"):
            prefix = f"{tool:<7} {protocol:<17} {check:<16} pass ("
            assert any(line.startswith(prefix) for line in lines), result.stdout
    assert lines[-1].startswith("all 6 checks passed")
    assert elapsed < 90, f"the selftest of three tools took {elapsed:.0f} s"


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
