"""The Cline CLI (npm ``cline``, pinned in ``tests/run``) set up with the ``cline auth`` line of
docs/tools/cline.md, then run one turn against ``cligate serve``: its ``run_commands`` tool
really runs and the output goes back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import psutil
import pytest

from cligate.guides.render import client_page
from tests.e2e.conftest import UPSTREAM_KEY, Sandbox, require_installed, user_path
from tests.e2e.test_more_tools import TOOLS_ROOT
from tests.e2e.test_real_clis import assert_round_trip
from tests.e2e.test_serve_clients import free_port, serving
from tests.fake_upstream import FakeUpstream, ShellRoundTrip

pytestmark = pytest.mark.e2e

CLINE = TOOLS_ROOT / "npm" / "node_modules" / ".bin" / "cline"
MODEL = "deepseek-flash"  # the model the guide sets


def guide_auth_line(port: int) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", client_page("cline"), re.DOTALL)
    [line] = [ln.strip() for b in blocks for ln in b.splitlines() if "cline auth" in ln]
    return line.replace("127.0.0.1:8081", f"127.0.0.1:{port}")


@pytest.fixture
def no_hub_left(sandbox: Sandbox) -> Iterator[None]:
    """Each run leaves a hub daemon behind (the CLI's own design); end the ones of this home."""
    yield
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or ())
            home = (process.info["environ"] or {}).get("HOME")
        except (psutil.Error, TypeError):
            continue
        if "--cline-hub-daemon" in cmdline and home == str(sandbox.home):
            process.kill()


def test_cline_cli_set_up_by_its_guide_runs_a_tool_through_serve(
    sandbox: Sandbox, no_hub_left: None
) -> None:
    import subprocess

    cline = require_installed(CLINE, "cline")
    env = sandbox.env(FAKE_KEY=UPSTREAM_KEY, PATH=user_path(sandbox, cline=cline))
    port = free_port()
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as upstream:
        sandbox.write_config("openai-chat", upstream.base_url + "/v1", "serve", model=MODEL)
        with serving(sandbox, port):
            subprocess.run(["sh", "-c", guide_auth_line(port)], env=env, check=True,
                           timeout=120, capture_output=True, cwd=sandbox.work)  # fmt: skip
            result = subprocess.run(
                ["cline", "--json", "--auto-approve", "true", "Show me token.txt"],
                env=env, cwd=sandbox.work, capture_output=True, text=True, timeout=240,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        requests = upstream.requests
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    # NDJSON events, the last one the run's result (the tool output, wrapped, in its text).
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["type"] == "run_result" and final["finishReason"] == "completed"
    assert final["text"].startswith("FINAL: ") and sandbox.token in final["text"]
    assert_round_trip(requests, sandbox.token, "authorization")
    turns = [r for r in requests if r.turn is not None]
    assert "tool_call:run_commands" in {r.outcome for r in turns}
    assert {r.turn.model for r in turns if r.turn} == {MODEL}
