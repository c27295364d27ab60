"""One tool-calling round trip per real CLI: the tool really runs ``cat token.txt``, its output
goes back upstream, and the scripted final answer carrying it is the CLI's answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, one_shot, require_cli, run_cligate
from tests.fake_upstream import FakeUpstream, Hang, RecordedRequest, ShellRoundTrip

pytestmark = pytest.mark.e2e


def assert_round_trip(requests: list[RecordedRequest], token: str, auth_header: str) -> None:
    turns = [r for r in requests if r.protocol is not None]
    assert len(turns) >= 2, [r.outcome for r in requests]
    assert any(r.outcome.startswith("tool_call:") for r in turns), [r.outcome for r in turns]
    # The command's output (the token) went back to the provider as a tool result.
    assert any(token.encode() in r.body for r in turns if not r.outcome.startswith("tool_call"))
    for request in requests:
        assert request.header(auth_header) is not None, request.path
        # The provider only ever sees its own key, never the per-run secret.
        keys = {request.header(h) for h in ("authorization", "x-api-key", "x-goog-api-key")}
        keys.discard(None)
        assert keys <= {UPSTREAM_KEY, f"Bearer {UPSTREAM_KEY}"}, keys


def test_claude_code_runs_a_tool_through_cligate(sandbox: Sandbox) -> None:
    require_cli("claude")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        sandbox.write_config("anthropic", upstream.base_url, "claude")
        result = run_cligate(
            "claude", [*one_shot("claude", "Show me token.txt"), "--output-format", "json"], sandbox
        )
        requests = upstream.requests
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert answer["is_error"] is False
    assert answer["result"] == f"FINAL: {sandbox.token}"
    assert_round_trip(requests, sandbox.token, "x-api-key")


def test_codex_runs_a_tool_through_cligate(sandbox: Sandbox) -> None:
    require_cli("codex")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        sandbox.write_config("openai-responses", upstream.base_url + "/v1", "codex")
        user_config = sandbox.home / ".codex" / "config.toml"
        user_config.parent.mkdir()
        user_config.write_text('# my own codex settings\nmodel = "o3"\n')
        last_message = sandbox.work / "last.txt"
        result = run_cligate(
            "codex",
            [*one_shot("codex", "Show me token.txt"), "--color", "never", "-o", str(last_message)],
            sandbox,
        )
        requests = upstream.requests
    assert result.returncode == 0, result.stderr[-2000:]
    assert sandbox.token in last_message.read_text()
    assert last_message.read_text().startswith("FINAL:")
    assert_round_trip(requests, sandbox.token, "authorization")
    assert user_config.read_text() == '# my own codex settings\nmodel = "o3"\n'


def test_gemini_cli_runs_a_tool_through_cligate_leaving_its_settings_alone(
    sandbox: Sandbox,
) -> None:
    require_cli("gemini")
    user_gemini = sandbox.home / ".gemini"
    user_gemini.mkdir()
    settings = (
        "{\n  // the user's own choice, which headless runs through cligate must override\n"
        '  "security": {"auth": {"selectedType": "oauth-personal"}},\n'
        '  "ui": {"theme": "GitHub"}\n}\n'
    )
    (user_gemini / "settings.json").write_text(settings)
    (user_gemini / "GEMINI.md").write_text("Remember: the magic word is MEMORY-MARKER-7.\n")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        sandbox.write_config("gemini", upstream.base_url, "gemini")
        result = run_cligate(
            "gemini",
            [*one_shot("gemini", "Show me token.txt"), "-o", "json", "-m", "gemini-2.5-pro"],
            sandbox,
            GEMINI_CLI_TRUST_WORKSPACE="true",  # the user's decision, not cligate's
        )
        requests = upstream.requests
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout[result.stdout.index("{") :])
    # Gemini CLI wraps tool output ("<untrusted_context> Output: …"); the fake echoes it all.
    assert answer["response"].startswith("FINAL: ")
    assert sandbox.token in answer["response"]
    assert_round_trip(requests, sandbox.token, "x-goog-api-key")
    # The user's settings are byte for byte what they were, and their memory was still read.
    assert (user_gemini / "settings.json").read_text() == settings
    assert all(b"MEMORY-MARKER-7" in r.body for r in requests if r.protocol == "gemini")
    assert not list(user_gemini.glob("settings.json.*"))


def test_claude_code_shows_cligates_error_when_the_provider_is_down(sandbox: Sandbox) -> None:
    """The provider is unreachable: Claude Code reports an error naming cligate and the
    provider, in its own words, and exits non-zero."""
    require_cli("claude")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sandbox.write_config("anthropic", dead, "claude")
    result = run_cligate(
        "claude",
        ["-p", "hello", "--output-format", "json"],
        sandbox,
        CLAUDE_CODE_MAX_RETRIES="0",  # it retries a 502 for about three minutes otherwise
    )
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["is_error"] is True and answer["api_error_status"] == 502
    assert "cligate: provider 'fake'" in answer["result"] and dead in answer["result"]


def test_sigint_to_cligate_ends_claude_and_the_proxy_and_passes_its_code_on(
    sandbox: Sandbox,
) -> None:
    """Claude Code answers SIGINT by exiting 0 (it does so without cligate too); cligate
    returns that code, and leaves neither the tool nor the proxy behind."""
    require_cli("claude")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        upstream.set_fault(Hang(60))  # the model "thinks" until we interrupt
        sandbox.write_config("anthropic", upstream.base_url, "claude")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cligate",
                "run",
                "claude",
                "--",
                "-p",
                "hello",
                "--output-format",
                "json",
            ],
            cwd=sandbox.work,
            env=sandbox.env(FAKE_KEY=UPSTREAM_KEY),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            upstream.wait_for_requests(1, timeout=60)
            tree = [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
            assert tree, "claude should be running under cligate"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(psutil.pid_exists(pid) for pid in tree):
        time.sleep(0.05)
    assert [pid for pid in tree if psutil.pid_exists(pid)] == []
