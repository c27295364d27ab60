"""Render, install, remove and inspect the shims (see ``template.sh``)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cligate.errors import UsageError
from cligate.launcher.tools import ToolSpec
from cligate.launcher.which import SHIM_MAX_BYTES, executables_on_path, find_real, is_shim

TEMPLATE = Path(__file__).with_name("template.sh")
# The second line of every shim cligate writes; only files starting so are ever removed.
OWN_HEADER = b"#!/bin/sh\n# cligate-shim "
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def default_dir() -> Path:
    """Next to cligate's other per-user data (``~/.local/share/cligate/shims`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("cligate", appauthor=False)) / "shims"


def render(tool: ToolSpec, python: str | None) -> str:
    """The shim for ``tool``. With ``python`` it runs ``PYTHON -P -m cligate``; without, the
    ``cligate`` on PATH (the form kept in the repository's ``shims/``)."""
    if not _SAFE_NAME.fullmatch(tool.binary):
        raise ValueError(f"not a plain command name: {tool.binary!r}")
    text = TEMPLATE.read_text(encoding="utf-8")
    return (
        text.replace("@TOOL@", tool.binary)
        .replace("@INSTALL_HINT@", shlex.quote(tool.install_hint))
        .replace("@CLIGATE_PYTHON@", shlex.quote(python or ""))
    )


def is_own_shim(path: Path) -> bool:
    """A shim cligate wrote (by its header), not merely any script that runs cligate."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(OWN_HEADER))
    except OSError:
        return False
    return head == OWN_HEADER and path.is_file() and is_shim(path)


def install(directory: Path, tools: Iterable[ToolSpec], python: str | None) -> list[Path]:
    """Write one shim per tool into ``directory``, each atomically with mode 0755. A file there
    that is not a cligate shim is never replaced: nothing is written then."""
    tools = list(tools)
    targets = [directory / tool.binary for tool in tools]
    for target in targets:
        if (target.exists() or target.is_symlink()) and not is_own_shim(target):
            raise UsageError(
                f"{target} exists and is not a cligate shim; it is left alone (remove it, or "
                "pick another directory with --dir)"
            )
    try:
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        for tool, target in zip(tools, targets, strict=True):
            _write_executable(target, render(tool, python))
    except OSError as exc:
        raise UsageError(f"cannot write the shims in {directory}: {exc.strerror or exc}") from None
    return targets


def _write_executable(path: Path, text: str) -> None:
    from cligate.atomic_files import replace_file

    replace_file(path, text, 0o755)


@dataclass(frozen=True, slots=True)
class Removal:
    removed: list[Path]
    kept: list[Path]  # files named like a tool that are not cligate shims


def uninstall(directory: Path, tools: Iterable[ToolSpec]) -> Removal:
    """Remove the cligate shims in ``directory`` (any name: a tool cligate no longer knows
    included); every other file stays. The directory goes too if that leaves it empty and it
    is cligate's default one."""
    removed: list[Path] = []
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        entries = []
    except OSError as exc:
        raise UsageError(f"cannot read {directory}: {exc.strerror or exc}") from None
    for entry in entries:
        if entry.is_file() and entry.stat().st_size <= SHIM_MAX_BYTES and is_own_shim(entry):
            try:
                entry.unlink()
            except OSError as exc:
                raise UsageError(f"cannot remove {entry}: {exc.strerror or exc}") from None
            removed.append(entry)
    names = {tool.binary for tool in tools}
    kept = [e for e in entries if e.name in names and e not in removed and e.exists()]
    if directory == default_dir():
        with contextlib.suppress(OSError):
            directory.rmdir()  # only if empty
    return Removal(removed, kept)


class Verdict(Enum):
    NOT_INSTALLED = "not installed"
    OFF_PATH = "not on PATH"
    THROUGH_CLIGATE = "through cligate"
    BYPASSED = "bypassed"


@dataclass(frozen=True, slots=True)
class ShimState:
    tool: ToolSpec
    shim: Path  # where its shim is (or would be)
    verdict: Verdict
    first: str | None  # what typing the tool's name runs
    real: str | None  # the real binary: the first on PATH that is not a shim

    @property
    def ok(self) -> bool:
        """Typing the tool's name reaches a cligate shim (whether the real tool is installed
        behind it is another matter)."""
        return self.verdict is Verdict.THROUGH_CLIGATE


def on_path(directory: Path, path: str) -> bool:
    wanted = os.path.realpath(directory)
    return any(os.path.realpath(entry or ".") == wanted for entry in path.split(os.pathsep))


def states(directory: Path, tools: Iterable[ToolSpec], path: str) -> list[ShimState]:
    """For each tool: is its shim there, and does typing its name reach the shim first?"""
    listed = on_path(directory, path)
    result = []
    for tool in tools:
        shim = directory / tool.binary
        candidates = executables_on_path(tool.binary, path)
        first = candidates[0] if candidates else None
        real = find_real(tool.binary, path).binary
        if not is_own_shim(shim):
            verdict = Verdict.NOT_INSTALLED
        elif not listed:
            verdict = Verdict.OFF_PATH
        elif first is not None and is_shim(first):
            verdict = Verdict.THROUGH_CLIGATE
        else:
            verdict = Verdict.BYPASSED
        result.append(ShimState(tool, shim, verdict, first, real))
    return result


def describe(state: ShimState) -> str:
    """One line about one tool."""
    name, shim = state.tool.binary, state.shim
    if state.verdict is Verdict.NOT_INSTALLED:
        return f"{name}: no shim in {shim.parent} (cligate shims install)"
    if state.verdict is Verdict.OFF_PATH:
        return f"{name}: not on PATH: {shim} is installed but its directory is not on PATH"
    if state.verdict is Verdict.BYPASSED:
        return (
            f"{name}: bypassed: {state.first} comes before {shim} on PATH, so typing {name} "
            "runs it without cligate"
        )
    runs = shim if os.path.realpath(state.first or "") == os.path.realpath(shim) else state.first
    if state.real is None:
        return (
            f"{name}: through cligate ({runs}), but no real {name} is on PATH behind it; "
            f"install it: {state.tool.install_hint}"
        )
    return f"{name}: through cligate: {runs} runs cligate run {name}, which starts {state.real}"


def profile_line(directory: Path, env: Mapping[str, str]) -> tuple[str, str]:
    """(the shell's profile file, the line that puts ``directory`` first on PATH there)."""
    shell = os.path.basename(env.get("SHELL", ""))
    home = env.get("HOME", "")
    text = str(directory)
    prefix = ""
    if home and text.startswith(home.rstrip("/") + "/"):
        prefix, text = "$HOME", text[len(home.rstrip("/")) :]
    if shell == "fish":
        quoted = prefix + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        return "~/.config/fish/config.fish", f'fish_add_path --move --path "{quoted}"'
    escaped = text
    for special in ("\\", '"', "$", "`"):
        escaped = escaped.replace(special, "\\" + special)
    profile = {"bash": "~/.bashrc", "zsh": "~/.zshrc"}.get(shell, "~/.profile")
    return profile, f'export PATH="{prefix}{escaped}:$PATH"'
