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

from cligate.launcher.tools import TOOLS
from cligate.protocols.kinds import WireProtocol

LAST_MESSAGE = "last-message.txt"  # codex writes its final answer here (in the sandbox root)
CHAT_MODEL = "selftest-model"


@dataclass(frozen=True, slots=True)
class Recipe:
    tool: str
    protocol: WireProtocol  # the tool's own protocol: the scripted provider speaks it natively
    # The tool's arguments for a prompt; the path, in the sandbox's root (outside the work
    # dir), is where it may write its final answer (codex) or other files of its own.
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


def _one_shot(tool: str) -> Callable[[str, Path], list[str]]:
    """The adapter table's one-shot arguments (the ones the guides show)."""
    template = TOOLS[tool].one_shot
    return lambda prompt, _out: [arg.replace("{prompt}", prompt) for arg in template]


def _stdout(stdout: str, _out: Path) -> str:
    return stdout


def _chat(
    tool: str,
    args: Callable[[str, Path], list[str]] | None = None,
    answer: Callable[[str, Path], str] = _stdout,
) -> Recipe:
    """A Chat Completions tool. The answer is on stdout: opencode, Qwen Code, Crush (-q) and
    OpenClaw (``agent exec``) print their progress, if any, on stderr; aider needs its own
    arguments and answer reading."""
    return Recipe(
        tool,
        WireProtocol.OPENAI_CHAT,
        args or _one_shot(tool),
        answer,
        base_url_suffix="/v1",
        # Their configs must name a model; this is the one the scripted provider lists.
        model=CHAT_MODEL,
    )


def _aider_args(prompt: str, out: Path) -> list[str]:
    # The sandbox may sit inside a git repository: no git, or aider would add its files to
    # that repository's .gitignore; and its history files in the sandbox, as aider otherwise
    # writes them into that repository's root, --no-git or not.
    history = [
        *("--input-history-file", str(out.parent / "aider.input.history")),
        *("--chat-history-file", str(out.parent / "aider.chat.history.md")),
    ]
    return [*_one_shot("aider")(prompt, out), "--no-git", *history]


def _aider_answer(stdout: str, _out: Path) -> str:
    """What aider printed between its banner (up to the first blank line after "Aider v…")
    and its closing token count."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Aider v")), None)
    if start is not None:
        blank = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        lines = lines[blank + 1 :]
    while lines and (not lines[-1].strip() or lines[-1].startswith("Tokens: ")):
        lines.pop()
    return "\n".join(lines)


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
    "opencode": _chat("opencode"),
    "qwen": _chat("qwen"),
    "aider": _chat("aider", _aider_args, _aider_answer),
    "crush": _chat("crush"),
    "openclaw": _chat("openclaw"),
}
