"""Hermes Agent (PyPI ``hermes-agent``, pinned in ``tests/run``) set up exactly as its guide says
(the ``hermes config set`` lines of docs/tools/hermes.md, run by a shell), then run one turn
against ``cligate serve``: its ``terminal`` tool really runs and the output goes back."""

from __future__ import annotations

import re
import subprocess

import pytest

from cligate.guides.render import client_page
from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_installed, user_path
from tests.e2e.test_more_tools import TOOLS_ROOT
from tests.e2e.test_real_clis import assert_round_trip
from tests.e2e.test_serve_clients import free_port, serving
from tests.fake_upstream import FakeUpstream, ShellRoundTrip

pytestmark = pytest.mark.e2e

HERMES = TOOLS_ROOT / "hermes" / "bin" / "hermes"
MODEL = "deepseek-flash"  # the model the guide sets


def guide_setup_lines(port: int) -> list[str]:
    """The guide's `hermes config set` block, for a serve on ``port`` instead of 8081."""
    blocks = re.findall(r"```sh\n(.*?)```", client_page("hermes"), re.DOTALL)
    [block] = [b for b in blocks if "hermes config set" in b]
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    return [line.replace("127.0.0.1:8081", f"127.0.0.1:{port}") for line in lines]


def test_hermes_set_up_by_its_guide_runs_a_tool_through_serve(sandbox: Sandbox) -> None:
    hermes = require_installed(HERMES, "hermes-agent")
    env = sandbox.env(
        FAKE_KEY=UPSTREAM_KEY,
        PATH=user_path(sandbox, hermes=hermes),
        HERMES_HOME=str(sandbox.home / ".hermes"),
    )
    port = free_port()
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        # Hermes's requests (an OpenAI SDK user-agent, Chat) use serve's [tools.serve].
        sandbox.write_config("openai-chat", upstream.base_url + "/v1", "serve", model=MODEL)
        with serving(sandbox, port):
            for line in guide_setup_lines(port):
                subprocess.run(["sh", "-c", line], env=env, check=True, timeout=120,
                               capture_output=True, cwd=sandbox.work)  # fmt: skip
            result = subprocess.run(
                ["hermes", "-z", "Show me token.txt"],
                env=env, cwd=sandbox.work, capture_output=True, text=True, timeout=240,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        requests = upstream.requests
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    final = result.stdout[result.stdout.find("FINAL: ") :]
    assert "FINAL: " in result.stdout and sandbox.token in final, result.stdout[-3000:]
    assert_round_trip(requests, sandbox.token, "authorization")
    turns = [r for r in requests if r.turn is not None]
    assert "tool_call:terminal" in {r.outcome for r in turns}
    assert {r.turn.model for r in turns if r.turn} == {MODEL}
