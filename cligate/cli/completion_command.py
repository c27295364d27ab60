"""``cligate completion show | install``: Tab completion for bash, zsh and fish.

The scripts are typer's (Click's shell completion protocol): on each Tab the shell runs
``cligate`` with ``_CLIGATE_COMPLETE=complete_SHELL`` and the words typed so far, and the app
answers from its own commands, options and completion callbacks (``completers.py``), so tool
names, presets, providers and models are always current. The repository keeps the generated
scripts in ``completions/`` (a test fails when they are stale).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from cligate.cli.common import fail
from cligate.errors import UsageError

PROG_NAME = "cligate"
COMPLETE_VAR = "_CLIGATE_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
# The file name of each shell's script in the repository's completions/ directory.
REPOSITORY_FILES = {"bash": "cligate.bash", "zsh": "_cligate", "fish": "cligate.fish"}

# typer's zsh script registers itself with compdef, which does nothing on the Tab that autoloads
# it from fpath; Click's own script answers that first Tab too.
_ZSH_REGISTER = f"compdef _{PROG_NAME}_completion {PROG_NAME}"
_ZSH_REGISTER_OR_RUN = f"""\
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  # autoloaded from fpath: complete now
  _{PROG_NAME}_completion "$@"
else
  # sourced: register for later
  {_ZSH_REGISTER}
fi"""

completion_app = typer.Typer(
    help="Tab completion for bash, zsh and fish.",
    no_args_is_help=True,
)


def enable_completion() -> None:
    """Register the shells' completion classes (only when a shell asks for completions)."""
    from typer._completion_classes import completion_init

    completion_init()


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish), ending with a newline."""
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise UsageError(f"no completion for the shell '{shell}'; cligate has {', '.join(SHELLS)}")
    script = get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell)
    if shell == "zsh" and script.endswith(_ZSH_REGISTER):
        script = script.removesuffix(_ZSH_REGISTER) + _ZSH_REGISTER_OR_RUN
    return script + "\n"


def detect_shell(env: Mapping[str, str]) -> str | None:
    shell = os.path.basename(env.get("SHELL", ""))
    return shell if shell in SHELLS else None


def install_location(shell: str, env: Mapping[str, str]) -> tuple[Path, list[str]]:
    """Where the shell looks for a user's completion script, and what else the user must do."""
    home = Path(env.get("HOME") or Path.home())
    if shell == "bash":
        user_dirs = env.get("BASH_COMPLETION_USER_DIR", "").split(":")
        data_home = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
        base = Path(user_dirs[0]) if user_dirs[0] else Path(data_home) / "bash-completion"
        path = base / "completions" / PROG_NAME
        return path, [
            "bash-completion loads it in new shells; without the bash-completion package, "
            "add this line to ~/.bashrc instead:",
            f"  source {_shell_quote(path)}",
        ]
    if shell == "zsh":
        return home / ".zfunc" / f"_{PROG_NAME}", [
            "zsh loads it from fpath: add these lines to ~/.zshrc (the fpath line before any "
            "compinit already there), then open a new shell:",
            "  fpath=(~/.zfunc $fpath)",
            "  autoload -Uz compinit && compinit",
        ]
    config_home = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config_home) / "fish" / "completions" / f"{PROG_NAME}.fish", [
        "fish loads it in new shells."
    ]


def _shell_quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _write_atomically(path: Path, text: str) -> None:
    from cligate.atomic_files import replace_file

    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, text, 0o644)


def complete_shell(incomplete: str) -> list[str]:
    return [shell for shell in SHELLS if shell.startswith(incomplete)]


ShellOption = Annotated[
    str | None,
    typer.Option(
        "--shell",
        metavar="SHELL",
        help="bash, zsh or fish (default: the one $SHELL names).",
        autocompletion=complete_shell,
    ),
]


def _chosen_shell(shell: str | None) -> str:
    chosen = shell or detect_shell(os.environ)
    if chosen is None:
        raise UsageError(
            f"which shell? $SHELL is {os.environ.get('SHELL') or 'not set'}; "
            f"pass --shell ({', '.join(SHELLS)})"
        )
    if chosen not in SHELLS:
        raise UsageError(f"no completion for the shell '{chosen}'; cligate has {', '.join(SHELLS)}")
    return chosen


@completion_app.command("show")
def show(shell: ShellOption = None) -> None:
    """Print the completion script (to load it now: source <(cligate completion show))."""
    try:
        sys.stdout.write(completion_script(_chosen_shell(shell)))
    except UsageError as error:
        raise fail(error) from None


@completion_app.command("install")
def install(shell: ShellOption = None) -> None:
    """Write the completion script where the shell looks for a user's completions."""
    try:
        chosen = _chosen_shell(shell)
        path, hints = install_location(chosen, os.environ)
        try:
            _write_atomically(path, completion_script(chosen))
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except UsageError as error:
        raise fail(error) from None
    print(f"cligate: installed {chosen} completion in {path}")
    for line in hints:
        print(line)
