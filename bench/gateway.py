"""cligate's real launcher for bench/suite.py: ``cligate run claude`` with a stub tool.

The stub (a shell script) prints the proxy URL and secret it was given, then waits for its
stdin to close; the proxy is then the ``cligate run`` process itself, as a user gets it
(records on, written to a scratch state directory). One config serves both paths: claude's
models go through to an Anthropic provider, except its "haiku" tier, bound to a Chat
Completions provider, so those requests are translated. Both providers are the same upstream.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run import pin

REPO = Path(__file__).resolve().parents[1]
UPSTREAM_KEY = "bench-upstream-key"
CHAT_MODEL = "bench-model"  # what the Chat provider is asked for
PASS_MODEL = "claude-sonnet-4-6"  # routed to the Anthropic provider, passed through
BRIDGED_MODEL = "claude-haiku-4-5"  # routed to the Chat provider, translated
STUB = """#!/bin/sh
printf 'BENCH %s %s\\n' "$ANTHROPIC_BASE_URL" "$ANTHROPIC_AUTH_TOKEN"
read -r _
exit 0
"""


def prepare(directory: Path, upstream_url: str) -> dict[str, str]:
    """Write the config and the stub tool into ``directory``; the environment to launch with."""
    (directory / "config.toml").write_text(
        f'[providers.bench]\nprotocol = "anthropic"\nbase_url = "{upstream_url}"\n'
        f'api_key = "{UPSTREAM_KEY}"\n\n'
        f'[providers.benchchat]\nprotocol = "openai-chat"\nbase_url = "{upstream_url}/v1"\n'
        f'api_key = "{UPSTREAM_KEY}"\n\n'
        f'[tools.claude]\nprovider = "bench"\ntiers = {{ haiku = "benchchat:{CHAT_MODEL}" }}\n'
    )
    stub = directory / "stub-claude"
    stub.write_text(STUB)
    stub.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLIGATE_")}
    env.update(
        CLIGATE_CONFIG_DIR=str(directory),
        CLIGATE_STATE_DIR=str(directory / "state"),
        CLIGATE_CLAUDE_BIN=str(stub),
    )
    return env


def cligate_argv(profile: Path | None = None) -> list[str]:
    """``cligate run claude``; with ``profile``, under cProfile writing its stats there."""
    if profile is not None:
        wrapper = REPO / "bench" / "profiled_cligate.py"
        return [sys.executable, str(wrapper), str(profile), "claude"]
    script = Path(sys.executable).with_name("cligate")
    if script.exists():
        return [str(script), "run", "claude"]
    return [sys.executable, "-m", "cligate", "run", "claude"]


def on_core(core: int) -> None:  # runs in the child between fork and exec
    pin(0, core)


@dataclass
class Gateway:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    secret: str
    spawned: float  # perf_counter() just before the launch
    reported: float  # perf_counter() when the tool had printed the URL

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Close the tool's stdin: the stub ends, and cligate with it."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=15)


def launch(env: dict[str, str], core: int, profile: Path | None = None) -> Gateway:
    spawned = time.perf_counter()
    process = subprocess.Popen(
        cligate_argv(profile),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        preexec_fn=lambda: on_core(core),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    reported = time.perf_counter()
    if not line.startswith(b"BENCH http://"):
        process.kill()
        process.wait(timeout=15)
        raise RuntimeError(f"cligate run did not start the stub tool: {line[:300]!r}")
    url, secret = line.split()[1:3]
    host, port = url.decode().removeprefix("http://").rsplit(":", 1)
    return Gateway(process, host, int(port), secret.decode(), spawned, reported)


def wait_accepting(host: str, port: int, attempts: int = 5000) -> None:
    """Connect until the port accepts (a listening socket accepts into its backlog at once)."""
    for _ in range(attempts):
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.0005)
    raise RuntimeError(f"{host}:{port} never accepted")
