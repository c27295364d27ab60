"""The terminal tools beyond the first three, each the real release pinned in ``tests/run``, run
non-interactively through ``cligate run`` with exactly the one-shot arguments of the adapter
table (the ones docs/tools shows) against the scripted Chat provider.

Where a tool has a shell tool the model can call, the round trip must be real: the tool runs
``cat``, the file's token goes back to the provider, and the scripted answer carrying it is what
the tool prints. aider has no such tool; what it does with an answer (write a file it was asked
to write) is the round trip instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cligate.launcher.tools import TOOLS
from tests.e2e.conftest import (
    UPSTREAM_KEY,
    Sandbox,
    one_shot,
    require_installed,
    run_cligate,
    user_path,
)
from tests.e2e.test_real_clis import assert_round_trip
from tests.fake_upstream import FakeUpstream, ShellRoundTrip, TextReply

pytestmark = pytest.mark.e2e

TOOLS_ROOT = Path(
    os.environ.get("CLIGATE_E2E_TOOLS", Path(__file__).parents[2] / ".cache" / "tools")
)
# Where tests/run installs each tool, and the folders a user's PATH would hold for it.
INSTALLED = {
    "opencode": [TOOLS_ROOT / "npm" / "node_modules" / ".bin"],
    "qwen": [TOOLS_ROOT / "npm" / "node_modules" / ".bin"],
    # Node 24 from npm's node package sits in the same .bin folder and runs OpenClaw.
    "openclaw": [TOOLS_ROOT / "openclaw" / "node_modules" / ".bin"],
    "aider": [TOOLS_ROOT / "aider" / "bin"],
}
MODEL = "chat-model-1"


def tool_path(sandbox: Sandbox, tool: str) -> str:
    """PATH with the tool's folder first (OpenClaw's holds the Node 24 it needs); aider's
    venv is linked in by its command alone, so its python does not shadow the machine's."""
    folder = INSTALLED[tool][0]
    binary = require_installed(folder / TOOLS[tool].binary, tool)
    if tool == "aider":
        return user_path(sandbox, aider=binary)
    return f"{folder}:{sandbox.env()['PATH']}"


@pytest.fixture
def chat_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("unused")) as upstream:
        yield upstream


def files_left(prefix: str) -> list[str]:
    import tempfile

    return [name for name in os.listdir(tempfile.gettempdir()) if name.startswith(prefix)]


@pytest.mark.parametrize("tool", ["opencode", "qwen", "openclaw"])
def test_a_chat_tool_runs_its_shell_tool_through_cligate(
    sandbox: Sandbox, chat_upstream: FakeUpstream, tool: str
) -> None:
    path = tool_path(sandbox, tool)
    chat_upstream.set_script(ShellRoundTrip("cat token.txt"))
    sandbox.write_config("openai-chat", chat_upstream.base_url + "/v1", tool, model=MODEL)
    before = set(files_left(f"cligate-{tool}-"))
    result = run_cligate(tool, one_shot(tool, "Show me token.txt"), sandbox, timeout=240, PATH=path)
    requests = chat_upstream.requests
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    # The scripted final answer echoes the tool result, which some tools wrap ("Output: …").
    final = result.stdout[result.stdout.find("FINAL: ") :]
    assert "FINAL: " in result.stdout and sandbox.token in final, result.stdout[-3000:]
    assert_round_trip(requests, sandbox.token, "authorization")
    turns = [r for r in requests if r.turn is not None]
    assert {r.path for r in turns} == {"/v1/chat/completions"}
    assert {r.turn.model for r in turns if r.turn} == {MODEL}
    # The shell call the provider asked for used the tool's own shell tool.
    assert f"tool_call:{TOOLS[tool].shell_tool}" in {r.outcome for r in turns}
    # The run's private files are gone, and nothing was written into the user's home config
    # except what the tool keeps there itself.
    assert set(files_left(f"cligate-{tool}-")) == before


def test_aider_writes_the_file_the_scripted_answer_asks_for(
    sandbox: Sandbox, chat_upstream: FakeUpstream
) -> None:
    """aider has no shell tool a model can call: its round trip is an edit. The scripted answer
    is a file in aider's "whole" edit format (its format for a model it has no settings for);
    aider writes it."""
    path = tool_path(sandbox, "aider")
    answer = f"Creating the file.\n\nnotes.txt\n```\n{sandbox.token}\n```\n"
    chat_upstream.set_script(TextReply(answer))
    sandbox.write_config("openai-chat", chat_upstream.base_url + "/v1", "aider", model=MODEL)
    # The user's own .env names another provider: aider would let it win over the environment.
    (sandbox.work / ".env").write_text("OPENAI_API_BASE=http://127.0.0.1:9/v1\nOPENAI_API_KEY=x\n")
    # A repository of its own, as aider expects (the sandbox sits inside cligate's checkout).
    subprocess.run(["git", "init", "-q", str(sandbox.work)], check=True)
    result = run_cligate(
        "aider",
        [*one_shot("aider", "Write my token into notes.txt"), "--no-pretty"],
        sandbox,
        timeout=240,
        PATH=path,
    )
    requests = [r for r in chat_upstream.requests if r.turn is not None]
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert (sandbox.work / "notes.txt").read_text().strip() == sandbox.token
    assert requests and {r.turn.model for r in requests if r.turn} == {MODEL}
    for request in requests:
        assert request.header("authorization") == f"Bearer {UPSTREAM_KEY}"
    assert (sandbox.work / ".env").read_text().startswith("OPENAI_API_BASE=http://127.0.0.1:9")
