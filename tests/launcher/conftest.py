from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fake_upstream import FakeUpstream, TextReply

FAKE_TOOL = Path(__file__).with_name("fake_tool.py")
UPSTREAM_KEY = "upstream-key-for-tests"


@dataclass
class LaunchEnv:
    """A sandbox for ``cligate run``: its own config dir, a fake tool and a fake upstream."""

    root: Path
    upstream: FakeUpstream
    env: dict[str, str] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.root / "report.json"

    def report(self) -> dict[str, object]:
        if not self.report_path.exists():
            return {}
        return json.loads(self.report_path.read_text())  # type: ignore[no-any-return]

    def wait_report(self, key: str, timeout: float = 10.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            report = self.report()
            if key in report:
                return report
            time.sleep(0.02)
        raise AssertionError(f"the fake tool never reported {key!r}: {self.report()}")

    def write_config(self, text: str) -> None:
        (self.root / "config" / "config.toml").write_text(text)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "cligate", *args]

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """``cligate ARGS`` in the background, in a session of its own (signals in tests)."""
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run(
        self, *args: str, timeout: float = 30, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **kwargs,  # type: ignore[call-overload]
        )


@pytest.fixture
def launch_env(tmp_path: Path) -> Iterator[LaunchEnv]:
    tool = tmp_path / "fake-claude"
    tool.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_TOOL}" "$@"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "config").mkdir()
    with FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("hello")) as upstream:
        sandbox = LaunchEnv(tmp_path, upstream)
        sandbox.write_config(
            f"""
[providers.fake]
protocol = "anthropic"
base_url = "{upstream.base_url}"
api_key = "env:FAKE_UPSTREAM_KEY"

[tools.claude]
provider = "fake"
"""
        )
        sandbox.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONPATH": str(Path(__file__).parents[2]),
            "CLIGATE_CONFIG_DIR": str(tmp_path / "config"),
            "CLIGATE_CLAUDE_BIN": str(tool),
            "FAKE_UPSTREAM_KEY": UPSTREAM_KEY,
            "FAKE_TOOL_REPORT": str(sandbox.report_path),
            "ANTHROPIC_API_KEY": "the-users-own-key",
        }
        yield sandbox


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is gone for every practical purpose.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def in_terminal(
    argv: list[str], env: dict[str, str], piped_stdin: bytes | None = None
) -> Iterator[tuple[int, int]]:
    """Run ``argv`` as a session whose controlling terminal is a new pty; yield (pid, the
    pty's master end). With ``piped_stdin`` its stdin is a pipe holding those bytes instead.
    The process is killed and reaped on the way out."""
    import pty

    pid, master = pty.fork()
    if pid == 0:
        if piped_stdin is not None:
            read_end, write_end = os.pipe()
            os.write(write_end, piped_stdin)
            os.close(write_end)
            os.dup2(read_end, 0)
        os.execve(argv[0], argv, env)
    try:
        yield pid, master
    finally:
        os.close(master)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def exit_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def read_until(master: int, marker: bytes, timeout: float = 20.0) -> bytes:
    """What the terminal shows until ``marker`` appears (an AssertionError if it never does)."""
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            shown = seen.decode(errors="replace")
            raise AssertionError(f"never saw {marker!r}; the terminal showed:\n{shown}")
        ready, _, _ = select.select([master], [], [], remaining)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen
