"""Real coding CLIs from npm, run through ``cligate run`` against the scripted upstream.

``tests/run`` installs the pinned CLIs into ``.cache/clis`` and sets ``CLIGATE_REQUIRE_E2E=1``,
which turns a missing CLI into a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
CLI_BIN = (
    Path(os.environ.get("CLIGATE_E2E_CLIS", REPO / ".cache" / "clis")) / "node_modules" / ".bin"
)
UPSTREAM_KEY = "e2e-upstream-key"


def one_shot(tool: str, prompt: str) -> list[str]:
    """The tool's one-turn arguments from the adapter table: what its guide in docs/tools
    shows, so a test that starts with them runs the guide's command."""
    from cligate.launcher.tools import TOOLS

    return [prompt if arg == "{prompt}" else arg for arg in TOOLS[tool].one_shot]


def require_installed(path: Path, what: str) -> Path:
    """``path``, or a failure under tests/run (which installs it) and a skip elsewhere."""
    if not path.exists():
        if os.environ.get("CLIGATE_REQUIRE_E2E") == "1":
            pytest.fail(f"{path} is missing: tests/run installs {what}")
        pytest.skip(f"{what} is not installed (tests/run installs it)")
    return path


def user_path(sandbox: Sandbox, **commands: Path) -> str:
    """PATH as a user has it for a tool installed on its own: each named command and
    ``cligate`` linked into one folder first (nothing else from their installs, such as a
    venv's python), then the sandbox's PATH."""
    folder = sandbox.home.parent / "bin"
    folder.mkdir(exist_ok=True)
    for name, target in {**commands, "cligate": Path(sys.executable).with_name("cligate")}.items():
        (folder / name).symlink_to(target)
    return f"{folder}:{sandbox.env()['PATH']}"


def require_cli(name: str) -> Path:
    path = CLI_BIN / name
    if not path.exists():
        if os.environ.get("CLIGATE_REQUIRE_E2E") == "1":
            pytest.fail(f"{path} is missing: tests/run installs the pinned CLIs")
        pytest.skip(f"{name} not installed in {CLI_BIN} (run tests/run to install it)")
    return path


@dataclass
class Sandbox:
    """A home, a work dir and a config dir for one run; kept out of /tmp because codex
    refuses to place its helper binaries there."""

    home: Path
    work: Path
    config: Path
    token: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{CLI_BIN}:{os.environ['PATH']}",
            "HOME": str(self.home),
            "CLIGATE_CONFIG_DIR": str(self.config),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
        env.update(extra)
        return env

    def write_config(
        self,
        protocol: str,
        base_url: str,
        tool: str,
        model: str | None = None,
        provider_models: tuple[str, ...] = (),
    ) -> None:
        """One provider "fake" bound to `tool`; `model`, when given, is the binding's model;
        `provider_models`, when given, the provider's chosen models (the first answers a
        request whose model means nothing to it)."""
        binding_model = f'model = "{model}"\n' if model is not None else ""
        models = (
            f"models = [{', '.join(json.dumps(m) for m in provider_models)}]\n"
            if provider_models
            else ""
        )
        (self.config / "config.toml").write_text(
            f'[providers.fake]\nprotocol = "{protocol}"\nbase_url = "{base_url}"\n'
            f'api_key = "env:FAKE_KEY"\n{models}\n[tools.{tool}]\nprovider = "fake"\n'
            f"{binding_model}"
        )


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    root = REPO / ".cache" / "e2e" / f"{request.node.name[:40]}-{secrets.token_hex(4)}"
    home, work, config = root / "home", root / "work", root / "config"
    for directory in (home, work, config):
        directory.mkdir(parents=True)
    token = f"TOKEN-{secrets.token_hex(8)}"
    (work / "token.txt").write_text(token + "\n")
    yield Sandbox(home, work, config, token)
    subprocess.run(["rm", "-rf", str(root)], check=False)


def run_cligate(
    tool: str, args: list[str], sandbox: Sandbox, timeout: float = 150, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``cligate run TOOL -- ARGS``; on timeout kill the whole process group."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cligate", "run", tool, "--", *args],
        cwd=sandbox.work,
        env=sandbox.env(FAKE_KEY=UPSTREAM_KEY, **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(
            f"cligate run {tool} timed out\nstdout:{stdout[-2000:]}\nstderr:{stderr[-2000:]}"
        )
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@dataclass
class EnvSpy:
    """Starts a CLI through a small shell wrapper that first writes down some of the variables
    cligate gave it (e.g. the per-run secret), then execs the real CLI in its place."""

    env: dict[str, str]
    """Extra environment for ``run_cligate``: points cligate at the wrapper."""
    record: Path

    def read(self) -> dict[str, str]:
        """The recorded variables (empty until the tool has started)."""
        if not self.record.exists():
            return {}
        pairs = (line.partition("=") for line in self.record.read_text().splitlines())
        return {name: value for name, _, value in pairs if name}


def spy_on_env(sandbox: Sandbox, tool: str, names: tuple[str, ...]) -> EnvSpy:
    real = require_cli(tool)
    root = sandbox.home.parent
    record = root / f"{tool}-env.txt"
    lines = [f'printf "%s\\n" "{name}=${{{name}}}" >> {shlex.quote(str(record))}' for name in names]
    wrapper = root / f"{tool}-spy"
    wrapper.write_text("#!/bin/sh\n" + "\n".join(lines) + f'\nexec {shlex.quote(str(real))} "$@"\n')
    wrapper.chmod(0o755)
    return EnvSpy({f"CLIGATE_{tool.upper()}_BIN": str(wrapper)}, record)
