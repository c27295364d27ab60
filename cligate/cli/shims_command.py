"""``cligate shims install | uninstall | status``: make typing ``claude`` mean ``cligate run
claude`` (see ``cligate/shims``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cligate.cli.common import fail
from cligate.cli.completers import complete_tool
from cligate.errors import CligateError

if TYPE_CHECKING:
    from cligate.launcher.tools import ToolSpec

shims_app = typer.Typer(
    help="Shims: typing claude, codex, gemini (or another tool) runs it through cligate.",
    no_args_is_help=True,
)

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        metavar="DIR",
        help="The shim directory (default: cligate's per-user data directory, "
        "e.g. ~/.local/share/cligate/shims).",
        file_okay=False,
    ),
]


def _directory(given: Path | None) -> Path:
    from cligate.shims.manage import default_dir

    return Path(os.path.abspath(given.expanduser())) if given else default_dir()


def _tools(names: list[str] | None) -> list[ToolSpec]:
    """The named tools; by default the main three and every other one installed on PATH (a
    shim for a tool the user does not have would only shadow a later install's name)."""
    from cligate.errors import UsageError
    from cligate.launcher.tools import MAIN_TOOLS, TOOLS, known_tools
    from cligate.launcher.which import find_real

    for name in names or ():
        if name not in TOOLS:
            raise UsageError(f"unknown tool '{name}'; known tools: {known_tools()}")
    if names:
        return [spec for name, spec in TOOLS.items() if name in names]
    path = os.environ.get("PATH", os.defpath)
    return [
        spec
        for name, spec in TOOLS.items()
        if name in MAIN_TOOLS or find_real(spec.binary, path).binary is not None
    ]


@shims_app.command("install")
def install(
    directory: DirOption = None,
    tools: Annotated[
        list[str] | None,
        typer.Option(
            "--tool",
            metavar="TOOL",
            help="Only this tool (repeatable); default: claude, codex, gemini and any other "
            "supported tool on PATH.",
            autocompletion=complete_tool,
        ),
    ] = None,
    from_path: Annotated[
        bool,
        typer.Option(
            "--from-path",
            help="The shims run the cligate found on PATH, not this installation's Python.",
        ),
    ] = False,
) -> None:
    """Write the shims (mode 0755) and say how to put their directory first on PATH."""
    from cligate.shims.manage import install as write_shims

    where = _directory(directory)
    try:
        specs = _tools(tools)
        written = write_shims(where, specs, None if from_path else sys.executable or None)
    except CligateError as error:
        raise fail(error) from None
    print(f"cligate: installed {', '.join(path.name for path in written)} in {where}")
    _report(where, specs)


@shims_app.command("uninstall")
def uninstall(directory: DirOption = None) -> None:
    """Remove the cligate shims from the directory; any other file there stays."""
    from cligate.launcher.tools import TOOLS
    from cligate.shims.manage import uninstall as remove_shims

    where = _directory(directory)
    try:
        outcome = remove_shims(where, TOOLS.values())
    except CligateError as error:
        raise fail(error) from None
    if outcome.removed:
        print(f"cligate: removed {', '.join(p.name for p in outcome.removed)} from {where}")
    else:
        print(f"cligate: no cligate shims in {where}")
    for path in outcome.kept:
        print(f"cligate: kept {path}: not a cligate shim")


@shims_app.command("status")
def status(directory: DirOption = None) -> None:
    """For each tool: is its shim installed, is the shim directory on PATH, and does it come
    before the real binary. Exits 1 unless typing the name of each tool with a shim runs the
    shim."""
    from cligate.launcher.tools import MAIN_TOOLS, TOOLS
    from cligate.shims.manage import is_own_shim

    where = _directory(directory)
    shown = [
        spec
        for name, spec in TOOLS.items()
        if name in MAIN_TOOLS or is_own_shim(where / spec.binary)
    ]
    if not _report(where, shown):
        raise typer.Exit(1)


def _report(where: Path, specs: list[ToolSpec]) -> bool:
    """Print each tool's state and, when needed, the PATH line to add; True if all is well."""
    from cligate.shims.manage import Verdict, describe, profile_line, states

    found = states(where, specs, os.environ.get("PATH", os.defpath))
    for state in found:
        print(describe(state))
    installed = [s for s in found if s.verdict is not Verdict.NOT_INSTALLED]
    if not installed:
        print(f"cligate: no shims in {where}; install them with: cligate shims install")
        return False
    if any(s.verdict in (Verdict.OFF_PATH, Verdict.BYPASSED) for s in installed):
        profile, line = profile_line(where, os.environ)
        print(f"To put the shims first on PATH, add this line to {profile} and open a new shell:")
        print(f"  {line}")
    return all(s.ok for s in installed)
