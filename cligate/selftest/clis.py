"""How each tool is run non-interactively through ``cligate run``, and where its answer is.

The facts come from the real CLIs (see ``tests/e2e``): each flag keeps a headless run from
waiting for input, asking for approval or reaching a network.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cligate.protocols.kinds import WireProtocol

LAST_MESSAGE = "last-message.txt"  # codex writes its final answer here (in the sandbox root)


@dataclass(frozen=True, slots=True)
class Recipe:
    tool: str
    protocol: WireProtocol  # the tool's own protocol: the scripted provider speaks it natively
    # The tool's arguments for a prompt; the path is where it may write its final answer.
    args: Callable[[str, Path], list[str]]
    # The tool's final answer, from its stdout (and the file above).
    answer: Callable[[str, Path], str]
    base_url_suffix: str = ""  # appended to the upstream's URL for the provider's base_url
    model: str | None = None  # the binding's model; None: the tool's own default
    env: dict[str, str] = field(default_factory=dict)


def _claude_args(prompt: str, _out: Path) -> list[str]:
    # Bash allowed by name: as root, --dangerously-skip-permissions is refused.
    return ["-p", prompt, "--output-format", "json", "--allowedTools", "Bash"]


def _codex_args(prompt: str, out: Path) -> list[str]:
    # exec never asks for approval; the read-only sandbox is enough for `cat`.
    sandbox = ["--sandbox", "read-only", "--color", "never"]
    return ["exec", "--skip-git-repo-check", *sandbox, "-o", str(out), prompt]


def _gemini_args(prompt: str, _out: Path) -> list[str]:
    return ["-p", prompt, "-o", "json", "--approval-mode", "yolo"]


def _json_field(stdout: str, name: str) -> str:
    """A string field of the JSON object the tool printed (after any banner), else stdout."""
    start = stdout.find("{")
    with contextlib.suppress(ValueError):
        value = json.loads(stdout[start:]).get(name) if start >= 0 else None
        if isinstance(value, str):
            return value
    return stdout


def _codex_answer(stdout: str, out: Path) -> str:
    try:
        return out.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return stdout


RECIPES: dict[str, Recipe] = {
    "claude": Recipe(
        "claude",
        WireProtocol.ANTHROPIC,
        _claude_args,
        lambda stdout, _out: _json_field(stdout, "result"),
        # Fail fast instead of retrying an error for minutes.
        env={"CLAUDE_CODE_MAX_RETRIES": "0"},
    ),
    "codex": Recipe(
        "codex",
        WireProtocol.OPENAI_RESPONSES,
        _codex_args,
        _codex_answer,
        base_url_suffix="/v1",
        # Codex's request shape depends on the model name and its default changes between
        # versions; this one (cligate's own choice for translated providers) has the
        # standard shape with function tools.
        model="gpt-5.5",
    ),
    "gemini": Recipe(
        "gemini",
        WireProtocol.GEMINI,
        _gemini_args,
        lambda stdout, _out: _json_field(stdout, "response"),
        # The sandbox's work dir is ours: trusting it is no decision of the user's.
        env={"GEMINI_CLI_TRUST_WORKSPACE": "true"},
    ),
}
