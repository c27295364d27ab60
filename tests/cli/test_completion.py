"""Shell completion: the checked-in scripts are current, a real bash completes through them
(tools, presets, providers, models), zsh and fish get answers over the same protocol, and
``cligate run`` still parses exactly as before."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cligate.cli import run_command
from cligate.cli.app import run_app
from cligate.cli.completers import complete_run
from cligate.cli.completion_command import REPOSITORY_FILES, SHELLS, completion_script
from cligate.launcher.tools import TOOLS

REPO = Path(__file__).parents[2]
CONFIG = """\
[providers.myprov]
protocol = "anthropic"
base_url = "http://127.0.0.1:9"
api_key = "a-literal-key"
aliases = { smart = "big-model-1" }
models = ["listed-model"]

[providers.other]
protocol = "openai-chat"
base_url = "http://127.0.0.1:9/v1"
prefix = "ot"
aliases = { quick = "small-model" }

[aliases]
fast = ["myprov:listed-model"]

[tools.claude]
provider = "myprov"
"""


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A cligate on PATH (this interpreter's), a config dir of its own, nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cligate = bin_dir / "cligate"
    cligate.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m cligate "$@"\n')
    cligate.chmod(0o755)
    (tmp_path / "config").mkdir()
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.defpath}",
        "HOME": str(tmp_path),
        "CLIGATE_CONFIG_DIR": str(tmp_path / "config"),
    }


def configure(env: dict[str, str], text: str = CONFIG) -> None:
    (Path(env["CLIGATE_CONFIG_DIR"]) / "config.toml").write_text(text)


# --- the checked-in scripts -------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_the_checked_in_scripts_are_current(shell: str) -> None:
    kept = REPO / "completions" / REPOSITORY_FILES[shell]
    assert kept.read_text() == completion_script(shell), (
        f"{kept} is stale: cligate completion show --shell {shell} > {kept.relative_to(REPO)}"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_a_shell_that_is_installed_reads_its_script(shell: str) -> None:
    program = shutil.which(shell)
    if program is None:
        pytest.skip(f"{shell} is not installed")
    kept = REPO / "completions" / REPOSITORY_FILES[shell]
    subprocess.run([program, "-n", str(kept)], check=True, timeout=30)


# --- a real bash ------------------------------------------------------------------------------


def bash_complete(env: dict[str, str], *words: str) -> list[str]:
    """What Tab offers after ``words`` (the last one is the word being completed)."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = "\n".join(
        [
            f"source {shlex.quote(str(REPO / 'completions' / 'cligate.bash'))}",
            f"COMP_WORDS=({shlex.join(words)})",
            f"COMP_CWORD={len(words) - 1}",
            "COMP_LINE=${COMP_WORDS[*]}",
            "COMP_POINT=${#COMP_LINE}",
            "_cligate_completion cligate",
            "printf '%s\\n' \"${COMPREPLY[@]}\"",
        ]
    )
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # a completion never prints into the command line
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands(shell_env: dict[str, str]) -> None:
    offered = bash_complete(shell_env, "cligate", "")
    assert {"run", "providers", "bind", "shims", "completion"} <= set(offered)
    assert bash_complete(shell_env, "cligate", "sh") == ["shims"]
    assert bash_complete(shell_env, "cligate", "shims", "") == ["install", "uninstall", "status"]


def test_bash_completes_the_tool_of_cligate_run(shell_env: dict[str, str]) -> None:
    assert sorted(bash_complete(shell_env, "cligate", "run", "")) == sorted(TOOLS)
    assert bash_complete(shell_env, "cligate", "run", "co") == ["codex"]
    assert sorted(bash_complete(shell_env, "cligate", "run", "--verbose", "")) == sorted(TOOLS)
    # The tool's own arguments and everything after -- are left to the shell (file names).
    assert bash_complete(shell_env, "cligate", "run", "claude", "") == []
    assert bash_complete(shell_env, "cligate", "run", "claude", "-p", "x", "--", "") == []
    assert "--provider" in bash_complete(shell_env, "cligate", "run", "--")


def test_bash_completes_preset_ids(shell_env: dict[str, str]) -> None:
    offered = bash_complete(shell_env, "cligate", "providers", "add", "")
    assert {"qwen", "openrouter", "deepseek"} <= set(offered)
    narrowed = bash_complete(shell_env, "cligate", "providers", "add", "q")
    assert "qwen" in narrowed
    assert all(value.startswith("q") for value in narrowed)


def test_bash_completes_provider_names(shell_env: dict[str, str]) -> None:
    configure(shell_env)
    run_provider = bash_complete(shell_env, "cligate", "run", "--provider", "")
    assert {"myprov", "other", "anthropic"} <= set(run_provider)
    assert bash_complete(shell_env, "cligate", "run", "claude", "--provider", "my") == ["myprov"]
    # bash splits --provider=my at "=": the value is still a provider.
    assert bash_complete(shell_env, "cligate", "run", "--provider", "=", "my") == ["myprov"]
    assert bash_complete(shell_env, "cligate", "bind", "claude", "--provider", "ot") == ["other"]
    assert bash_complete(shell_env, "cligate", "providers", "show", "my") == ["myprov"]
    # Only the config file's providers can be removed.
    assert sorted(bash_complete(shell_env, "cligate", "providers", "remove", "")) == [
        "myprov",
        "other",
    ]


def test_bash_completes_models_and_aliases(shell_env: dict[str, str]) -> None:
    configure(shell_env)
    offered = set(bash_complete(shell_env, "cligate", "run", "claude", "--model", ""))
    assert {"fast", "smart", "listed-model", "ot/quick"} <= offered
    one = bash_complete(
        shell_env, "cligate", "bind", "claude", "--provider", "myprov", "--model", ""
    )
    assert sorted(one) == ["listed-model", "smart"]


def test_completion_without_or_with_a_broken_config_offers_nothing_quietly(
    shell_env: dict[str, str],
) -> None:
    assert bash_complete(shell_env, "cligate", "providers", "remove", "") == []
    configure(shell_env, "[providers.broken\n")
    assert bash_complete(shell_env, "cligate", "providers", "show", "") == []
    assert bash_complete(shell_env, "cligate", "run", "--model", "") == []
    assert sorted(bash_complete(shell_env, "cligate", "run", "")) == sorted(TOOLS)


# --- zsh and fish: the same protocol, asked directly ------------------------------------------


def ask(env: dict[str, str], shell: str, line: str, **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cligate"],
        env={
            **env,
            "_CLIGATE_COMPLETE": f"complete_{shell}",
            "_TYPER_COMPLETE_ARGS": line,
            **extra,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_zsh_and_fish_answers(shell_env: dict[str, str]) -> None:
    zsh = ask(shell_env, "zsh", "cligate run ")
    assert zsh.startswith("_arguments")
    assert all(f'"{tool}"' in zsh for tool in TOOLS)
    fish = ask(shell_env, "fish", "cligate providers add q", _TYPER_COMPLETE_FISH_ACTION="get-args")
    values = [line.split("\t")[0] for line in fish.splitlines()]
    assert "qwen" in values and all(value.startswith("q") for value in values)


# --- cligate run: completion only, parsing unchanged ------------------------------------------


@pytest.mark.parametrize(
    ("words", "incomplete", "expected"),
    [
        ([], "", set(TOOLS)),
        ([], "ge", {"gemini"}),
        (["--provider", "p", "--model", "m"], "", set(TOOLS)),
        (["--provider", "=", "p"], "cl", {"claude"}),
        (["claude"], "", set()),
        (["claude", "-p"], "x", set()),
        (["claude", "--"], "--p", set()),
        ([], "--", {"--provider", "--model", "--verbose", "--help"}),
        (["claude"], "--v", {"--verbose"}),
    ],
)
def test_complete_run(words: list[str], incomplete: str, expected: set[str]) -> None:
    assert {value for value, _ in complete_run(words, incomplete)} == expected


def test_run_through_the_app_passes_the_same_arguments_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 3

    monkeypatch.setattr(run_command, "main", fake_main)
    assert run_app(["run", "claude", "-p", "x", "--", "--flag"]) == 3
    assert run_app(["run", "--provider", "p", "claude", "--help"]) == 3
    assert seen == [["claude", "-p", "x", "--flag"], ["--provider", "p", "claude", "--help"]]


def test_run_from_the_command_line_passes_everything_to_the_tool(tmp_path: Path) -> None:
    tool = tmp_path / "claude"
    tool.write_text('#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\n')
    tool.chmod(0o755)
    (tmp_path / "config.toml").write_text(CONFIG)
    env = {
        "PATH": os.defpath,
        "HOME": str(tmp_path),
        "CLIGATE_CONFIG_DIR": str(tmp_path),
        "CLIGATE_CLAUDE_BIN": str(tool),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cligate", "run", "claude", "-p", "x", "--", "--flag"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[-p]", "[x]", "[--flag]"]


# --- completion show | install ----------------------------------------------------------------


def test_show_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["completion", "show", "--shell", "fish"]) == 0
    assert capsys.readouterr().out == completion_script("fish")
    assert run_app(["completion", "show", "--shell", "tcsh"]) == 2
    assert "no completion for the shell 'tcsh'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("shell", "where", "hint"),
    [
        ("bash", ".local/share/bash-completion/completions/cligate", "source "),
        ("zsh", ".zfunc/_cligate", "fpath=(~/.zfunc $fpath)"),
        ("fish", ".config/fish/completions/cligate.fish", "fish loads it"),
    ],
)
def test_install_writes_where_the_shell_looks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    shell: str,
    where: str,
    hint: str,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SHELL", f"/usr/bin/{shell}")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "BASH_COMPLETION_USER_DIR"):
        monkeypatch.delenv(name, raising=False)

    assert run_app(["completion", "install"]) == 0

    written = tmp_path / where
    assert written.read_text() == completion_script(shell)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary left
    out = capsys.readouterr().out
    assert f"installed {shell} completion in {written}" in out
    assert hint in out


def test_install_follows_xdg_and_needs_a_known_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("BASH_COMPLETION_USER_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run_app(["completion", "install", "--shell", "bash"]) == 0
    assert (tmp_path / "data" / "bash-completion" / "completions" / "cligate").is_file()

    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert run_app(["completion", "install"]) == 2
    assert "which shell? $SHELL is /bin/tcsh; pass --shell" in capsys.readouterr().err
