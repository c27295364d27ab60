"""``cligate serve`` as a real process: the real Claude Code, configured only with the lines
``cligate env claude`` prints, completes a tool loop against it; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_cli
from tests.fake_upstream import FakeUpstream, ShellCommands

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(sandbox: Sandbox, port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cligate", "serve", "--port", str(port)],
        env=sandbox.env(FAKE_KEY=UPSTREAM_KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in line, line + process.stderr.read()
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=40)


def env_lines(sandbox: Sandbox, port: int) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cligate", "env", "claude", "--port", str(port)],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_claude_code_configured_by_cligate_env_runs_a_tool_loop_against_serve(
    sandbox: Sandbox,
) -> None:
    claude = require_cli("claude")
    mark = f"SERVE-{secrets.token_hex(4)}"
    script = ShellCommands((f"printf {mark} > out.txt", "cat token.txt out.txt"), parallel=False)
    port = free_port()
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as upstream:
        sandbox.write_config("openai-chat", upstream.base_url + "/v1", "claude")
        with serving(sandbox, port) as server:
            lines = env_lines(sandbox, port)
            assert "ANTHROPIC_BASE_URL=http://127.0.0.1:" in lines
            # A shell that knows nothing of cligate but these lines runs Claude Code.
            command = f"{lines}\nexec {claude} -p 'Write out.txt, then show it' " + (
                "--output-format json --allowedTools Bash"
            )
            env = {k: v for k, v in sandbox.env().items() if not k.startswith("CLIGATE_")}
            result = subprocess.run(
                ["sh", "-c", command],
                cwd=sandbox.work,
                env=env,
                capture_output=True,
                text=True,
                timeout=150,
            )
            requests = upstream.requests
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=40) == 0
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert (sandbox.work / "out.txt").read_text() == mark  # Bash really ran
    assert answer["is_error"] is False and answer["result"].endswith(f"{sandbox.token} {mark}")
    chat = [r for r in requests if r.path == "/v1/chat/completions"]
    assert len([r for r in chat if r.turn and r.turn.tool_results]) == 2  # both results went back


def test_serve_refuses_an_outside_address_without_the_flag(sandbox: Sandbox) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cligate", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "--allow-remote" in result.stderr


def test_the_serve_key_is_made_once_and_kept_private(sandbox: Sandbox) -> None:
    def show() -> str:
        return subprocess.run(
            [sys.executable, "-m", "cligate", "serve", "--show-key"],
            env=sandbox.env(), capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip

    first, second = show(), show()
    assert first == second and len(first) > 30
    key_file = sandbox.config / "serve.key"
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
