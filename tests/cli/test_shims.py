"""Shims in a real ``sh``: temporary PATHs, fake real tools that print what they were given, a
fake ``cligate`` or the real one, and ``cligate shims install | uninstall | status``."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cligate.cli.app import run_app
from cligate.errors import ToolNotInstalledError
from cligate.launcher.run import find_binary
from cligate.launcher.tools import MAIN_TOOLS, TOOLS
from cligate.shims.manage import install, is_own_shim, profile_line, render

REPO = Path(__file__).parents[2]
TIMEOUT = 30  # a shim that loops would never end on its own


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@dataclass
class Box:
    """Directories to build PATHs from: shims, fake tools, a fake cligate, and the few
    programs a shim uses (so no real claude of this machine is ever found)."""

    root: Path
    shims: Path
    bin: Path
    fake: Path
    utils: Path

    def path(self, *directories: Path) -> str:
        return os.pathsep.join(str(d) for d in (*directories, self.utils))

    def sh(self, command: str, path: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": path,
            "HOME": str(self.root),
            "CLIGATE_CONFIG_DIR": str(self.root / "config"),
            **extra,
        }
        return subprocess.run(
            [str(self.utils / "sh"), "-c", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def box(tmp_path: Path) -> Box:
    utils = tmp_path / "utils"
    utils.mkdir()
    for name in ("sh", "dd", "grep"):
        found = shutil.which(name)
        assert found, f"{name} is needed by the shims"
        (utils / name).symlink_to(found)
    found_box = Box(tmp_path, tmp_path / "shims", tmp_path / "bin", tmp_path / "fake", utils)
    (tmp_path / "config").mkdir()
    return found_box


def real_tool(box: Box, name: str = "claude") -> Path:
    """A stand-in for the real tool: prints its arguments, one per line, and the proxy URL."""
    return executable(
        box.bin / name,
        '#!/bin/sh\necho "real $0"\nfor a in "$@"; do printf "arg[%s]\\n" "$a"; done\n'
        'echo "ANTHROPIC_BASE_URL=${ANTHROPIC_BASE_URL:-}"\n',
    )


def fake_cligate(
    box: Box, body: str = 'for a in "$@"; do printf "cligate[%s]\\n" "$a"; done'
) -> Path:
    return executable(box.fake / "cligate", f"#!/bin/sh\n{body}\n")


def path_shims(box: Box) -> None:
    """The shims as the repository keeps them: they find cligate on PATH."""
    install(box.shims, TOOLS.values(), python=None)


# --- the scripts ------------------------------------------------------------------------------


def test_the_repositorys_shims_are_the_rendered_template() -> None:
    """shims/ holds cligate/shims/template.sh rendered for each tool (regenerate with
    the command in shims/README.md)."""
    for tool in TOOLS.values():
        kept = REPO / "shims" / tool.binary
        assert kept.read_text() == render(tool, None), f"{kept} is stale"
        assert kept.stat().st_mode & 0o777 == 0o755
        assert is_own_shim(kept)
    extra = {p.name for p in (REPO / "shims").iterdir()} - {t.binary for t in TOOLS.values()}
    assert extra == {"README.md"}


def test_a_shim_is_posix_sh() -> None:
    checker = shutil.which("dash") or shutil.which("sh")
    assert checker
    for tool in TOOLS.values():
        subprocess.run([checker, "-n", str(REPO / "shims" / tool.binary)], check=True)


def test_typing_the_tool_runs_cligate_run_with_the_arguments_unchanged(box: Box) -> None:
    path_shims(box)
    fake_cligate(box)
    real_tool(box)

    done = box.sh('claude -p "hi there" -- --flag', box.path(box.shims, box.fake, box.bin))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "cligate[run]",
        "cligate[claude]",
        "cligate[-p]",
        "cligate[hi there]",
        "cligate[--]",
        "cligate[--flag]",
    ]


def test_cligate_bypass_runs_the_real_binary_directly(box: Box) -> None:
    path_shims(box)
    fake_cligate(box)
    real = real_tool(box)
    other_shims = box.root / "more-shims"  # a second copy of the shims further down PATH
    install(other_shims, TOOLS.values(), python=None)

    done = box.sh(
        'claude -p "hi there"',
        box.path(box.shims, other_shims, box.fake, box.bin),
        CLIGATE_BYPASS="1",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"real {real}",
        "arg[-p]",
        "arg[hi there]",
        "ANTHROPIC_BASE_URL=",
    ]


def test_bypass_with_no_real_binary_says_so_and_exits_127(box: Box) -> None:
    path_shims(box)
    fake_cligate(box)

    done = box.sh("claude -p hi", box.path(box.shims, box.fake), CLIGATE_BYPASS="1")

    assert done.returncode == 127
    assert "no real claude on PATH" in done.stderr
    assert "npm install -g @anthropic-ai/claude-code" in done.stderr
    assert "cligate[" not in done.stdout


def test_bypass_never_runs_a_file_it_cannot_look_into(box: Box) -> None:
    """Without dd and grep a shim cannot tell itself from the real tool: it says so."""
    path_shims(box)
    real_tool(box)
    only_sh = box.root / "only-sh"
    only_sh.mkdir()
    (only_sh / "sh").symlink_to(box.utils / "sh")

    done = box.sh(
        "claude -p hi", os.pathsep.join([str(box.shims), str(only_sh)]), CLIGATE_BYPASS="1"
    )

    assert done.returncode == 127
    assert "needs dd and grep" in done.stderr


def test_a_shim_without_cligate_on_path_says_so(box: Box) -> None:
    path_shims(box)
    real_tool(box)

    done = box.sh("claude -p hi", box.path(box.shims, box.bin))

    assert done.returncode == 127
    assert "cligate is not on PATH" in done.stderr
    assert "CLIGATE_BYPASS=1" in done.stderr


@pytest.mark.parametrize(
    "naive",
    [
        'shift 2\nexec claude "$@"',  # runs the first claude on PATH in its place
        'shift 2\nclaude "$@"\nexit $?',  # starts it as a child, as cligate starts a tool
    ],
    ids=["exec", "child"],
)
def test_a_cligate_that_starts_the_shim_again_is_stopped_at_once(box: Box, naive: str) -> None:
    """An older cligate that does not skip shims would resolve claude to the shim: the shim
    notices it was started by the cligate it started, instead of looping."""
    path_shims(box)
    fake_cligate(box, naive)
    real_tool(box)

    done = box.sh("claude -p hi", box.path(box.shims, box.fake, box.bin))

    assert done.returncode == 127
    assert done.stderr.count("was started in place of the real claude") == 1
    assert "real " not in done.stdout


def configure(box: Box) -> None:
    """claude bound to a provider whose key is in the file: no real key is needed."""
    (box.root / "config" / "config.toml").write_text(
        '[providers.p]\nprotocol = "anthropic"\nbase_url = "http://127.0.0.1:9"\n'
        'api_key = "a-literal-key"\n\n[tools.claude]\nprovider = "p"\n'
    )


def test_through_the_real_cligate_the_tool_gets_the_proxy(box: Box) -> None:
    configure(box)
    real = real_tool(box)
    installed = subprocess.run(
        [sys.executable, "-m", "cligate", "shims", "install", "--dir", str(box.shims)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PATH": box.path(box.shims, box.bin)},
    )
    assert installed.returncode == 0, installed.stderr
    assert f"claude: through cligate: {box.shims / 'claude'}" in installed.stdout

    done = box.sh('claude -p "hi there"', box.path(box.shims, box.bin))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [f"real {real}", "arg[-p]", "arg[hi there]"]
    assert lines[3].startswith("ANTHROPIC_BASE_URL=http://127.0.0.1:")


def test_through_the_real_cligate_a_missing_tool_is_127_not_a_loop(box: Box) -> None:
    configure(box)
    install(box.shims, TOOLS.values(), python=sys.executable)

    done = box.sh("claude -p hi", box.path(box.shims))

    assert done.returncode == 127
    assert "claude is not installed" in done.stderr
    assert f"only the cligate shim {box.shims / 'claude'}" in done.stderr
    assert "npm install -g @anthropic-ai/claude-code" in done.stderr


# --- cligate run finds the real binary ---------------------------------------------------------


def test_find_binary_passes_over_shims(box: Box) -> None:
    path_shims(box)
    real = real_tool(box)
    env = {"PATH": box.path(box.shims, box.bin)}

    assert find_binary(TOOLS["claude"], env) == str(real)

    with pytest.raises(ToolNotInstalledError, match="a cligate shim"):
        find_binary(TOOLS["claude"], {**env, "CLIGATE_CLAUDE_BIN": str(box.shims / "claude")})
    with pytest.raises(ToolNotInstalledError, match="not found on PATH, only the cligate shim"):
        find_binary(TOOLS["claude"], {"PATH": box.path(box.shims)})


# --- install, uninstall, status ---------------------------------------------------------------


def shims_cli(monkeypatch: pytest.MonkeyPatch, path: str, *args: str) -> int:
    monkeypatch.setenv("PATH", path)
    monkeypatch.setenv("SHELL", "/bin/bash")
    monkeypatch.setenv("HOME", "/nonexistent-home")
    return run_app(["shims", *args])


def test_install_writes_executable_shims_atomically(
    box: Box, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shims_cli(monkeypatch, box.path(box.bin), "install", "--dir", str(box.shims)) == 0
    assert shims_cli(monkeypatch, box.path(box.bin), "install", "--dir", str(box.shims)) == 0

    # By default the main three (the other tools are not on this PATH); no temporary left.
    assert sorted(p.name for p in box.shims.iterdir()) == sorted(MAIN_TOOLS)
    for name in MAIN_TOOLS:
        tool = TOOLS[name]
        shim = box.shims / tool.binary
        assert stat.S_IMODE(shim.stat().st_mode) == 0o755
        assert shim.read_text() == render(tool, sys.executable)
    out = capsys.readouterr().out
    assert f"installed claude, codex, gemini in {box.shims}" in out
    assert f'export PATH="{box.shims}:$PATH"' in out  # the directory is not on PATH yet


def test_install_adds_the_other_supported_tools_found_on_path(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_tool(box, "opencode")
    assert shims_cli(monkeypatch, box.path(box.bin), "install", "--dir", str(box.shims)) == 0
    assert sorted(p.name for p in box.shims.iterdir()) == sorted([*MAIN_TOOLS, "opencode"])


def test_install_only_some_tools(box: Box, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        shims_cli(monkeypatch, box.path(), "install", "--dir", str(box.shims), "--tool", "codex")
        == 0
    )
    assert [p.name for p in box.shims.iterdir()] == ["codex"]
    assert (
        shims_cli(monkeypatch, box.path(), "install", "--dir", str(box.shims), "--tool", "cursor")
        == 2
    )


def test_install_never_replaces_a_file_that_is_not_a_shim(
    box: Box, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = real_tool(box)
    before = real.read_text()

    assert shims_cli(monkeypatch, box.path(), "install", "--dir", str(box.bin)) == 2

    assert real.read_text() == before
    assert not (box.bin / "codex").exists()  # nothing written at all
    assert "is not a cligate shim; it is left alone" in capsys.readouterr().err


def test_uninstall_removes_only_cligate_shims(
    box: Box, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(box.shims, [TOOLS["codex"], TOOLS["gemini"]], python=None)
    executable(box.shims / "claude", "#!/bin/sh\necho a real claude\n")
    own = executable(box.shims / "handmade", '#!/bin/sh\nexec cligate run claude "$@"\n')
    note = box.shims / "notes.txt"
    note.write_text("cligate run")

    assert shims_cli(monkeypatch, box.path(), "uninstall", "--dir", str(box.shims)) == 0

    assert sorted(p.name for p in box.shims.iterdir()) == ["claude", "handmade", "notes.txt"]
    assert own.exists()
    out = capsys.readouterr().out
    assert f"removed codex, gemini from {box.shims}" in out
    assert f"kept {box.shims / 'claude'}: not a cligate shim" in out

    assert shims_cli(monkeypatch, box.path(), "uninstall", "--dir", str(box.shims)) == 0
    assert "no cligate shims in" in capsys.readouterr().out


def test_status_in_a_real_shell_tells_the_order(box: Box) -> None:
    install(box.shims, TOOLS.values(), python=sys.executable)
    real = real_tool(box)
    status = shlex.join(
        [sys.executable, "-m", "cligate", "shims", "status", "--dir", str(box.shims)]
    )

    first = box.sh(status, box.path(box.shims, box.bin))
    assert first.returncode == 0, first.stdout + first.stderr
    assert (
        f"claude: through cligate: {box.shims / 'claude'} runs cligate run claude, which starts {real}"
        in first.stdout
    )
    assert "codex: through cligate" in first.stdout and "no real codex is on PATH" in first.stdout
    assert "export PATH" not in first.stdout

    behind = box.sh(status, box.path(box.bin, box.shims), SHELL="/bin/bash")
    assert behind.returncode == 1
    assert f"claude: bypassed: {real} comes before {box.shims / 'claude'} on PATH" in behind.stdout
    assert "codex: through cligate" in behind.stdout  # no real codex ahead of its shim
    assert "add this line to ~/.bashrc" in behind.stdout
    assert 'export PATH="$HOME/shims:$PATH"' in behind.stdout  # HOME is the box's root

    off = box.sh(status, box.path(box.bin), SHELL="/usr/bin/zsh")
    assert off.returncode == 1
    assert "claude: not on PATH" in off.stdout and "~/.zshrc" in off.stdout


def test_status_with_no_shims(
    box: Box, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shims_cli(monkeypatch, box.path(), "status", "--dir", str(box.root / "none")) == 1
    out = capsys.readouterr().out
    assert "claude: no shim in" in out
    assert "install them with: cligate shims install" in out


def test_profile_lines() -> None:
    home = {"HOME": "/home/u", "SHELL": "/bin/bash"}
    assert profile_line(Path("/home/u/.local/share/cligate/shims"), home) == (
        "~/.bashrc",
        'export PATH="$HOME/.local/share/cligate/shims:$PATH"',
    )
    assert profile_line(Path('/opt/a "b" $c'), {"SHELL": "/bin/sh"}) == (
        "~/.profile",
        'export PATH="/opt/a \\"b\\" \\$c:$PATH"',
    )
    assert profile_line(Path("/home/u/s"), {**home, "SHELL": "/usr/bin/fish"}) == (
        "~/.config/fish/config.fish",
        'fish_add_path --move --path "$HOME/s"',
    )


def test_a_request_made_through_the_shim_is_in_the_records_and_a_bypassed_one_is_not(
    box: Box,
) -> None:
    """The shim's run is cligate's: the tool's request leaves a record; with the bypass the
    tool runs alone and there is no proxy to record anything."""
    configure(box)
    executable(
        box.bin / "claude",
        f"#!{sys.executable}\n"
        "import os, urllib.request\n"
        "base = os.environ.get('ANTHROPIC_BASE_URL')\n"
        "if base:\n"
        '    request = urllib.request.Request(base + \'/v1/messages\', data=b\'{"model": "m", '
        "\"max_tokens\": 5, \"messages\": []}', headers={'authorization': 'Bearer ' + "
        "os.environ['ANTHROPIC_AUTH_TOKEN'], 'content-type': 'application/json'})\n"
        "    try:\n"
        "        urllib.request.urlopen(request, timeout=20)\n"
        "    except Exception as error:\n"
        "        print('answered', getattr(error, 'code', error))\n",
    )
    install(box.shims, [TOOLS["claude"]], python=sys.executable)
    records = box.root / "config" / "state" / "requests.jsonl"

    through = box.sh('claude -p "hi"', box.path(box.shims, box.bin))
    assert through.returncode == 0, through.stderr
    assert "answered 502" in through.stdout  # the provider is down; cligate said so
    [record] = [json.loads(line) for line in records.read_text().splitlines()]
    assert record["tool"] == "claude" and record["status"] == 502
    assert record["outcome"] == "error" and "could not connect" in record["error"]

    bypassed = box.sh('claude -p "hi"', box.path(box.shims, box.bin), CLIGATE_BYPASS="1")
    assert bypassed.returncode == 0, bypassed.stderr
    assert "answered" not in bypassed.stdout  # no proxy was given to the tool
    assert len(records.read_text().splitlines()) == 1
