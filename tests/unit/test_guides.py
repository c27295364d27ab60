"""The guides in docs/ are generated from cligate's tables; these tests keep them current and
true: the files match the tables, the commands they give work, the versions they name are the
ones the end-to-end tests run, and every error they quote is one cligate emits."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cligate.cli.app import run_app
from cligate.config.store import load_settings
from cligate.guides.__main__ import main as write_guides
from cligate.guides.render import all_pages, setup_commands
from cligate.guides.tool_guides import CLIENT_GUIDES, TOOL_GUIDES
from cligate.guides.troubleshooting import TROUBLES
from cligate.launcher.tools import TOOLS

REPO = Path(__file__).parents[2]
DOCS = REPO / "docs"


def test_the_guides_in_docs_are_the_generated_ones() -> None:
    assert write_guides(["--check", str(DOCS)]) == 0, "run: python -m cligate.guides"
    generated = set(all_pages())
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk - generated == {"performance.md"}  # the one page written by hand


def test_every_tool_has_a_guide_and_a_one_turn_command() -> None:
    assert set(TOOL_GUIDES) == set(TOOLS)
    assert not set(CLIENT_GUIDES) & set(TOOLS)
    for name, tool in TOOLS.items():
        assert "{prompt}" in tool.one_shot, name


def _pinned_versions() -> dict[str, str]:
    text = (REPO / "tests" / "run").read_text()
    return dict(re.findall(r"^([A-Z_]+_VERSION)=(\S+)$", text, re.MULTILINE))


def test_the_versions_the_guides_name_are_the_ones_tests_run_installs() -> None:
    pins = _pinned_versions()
    pin_of = {
        "claude": "CLAUDE_CODE_VERSION",
        "codex": "CODEX_VERSION",
        "gemini": "GEMINI_CLI_VERSION",
        "opencode": "OPENCODE_VERSION",
        "qwen": "QWEN_CODE_VERSION",
        "aider": "AIDER_VERSION",
        "openclaw": "OPENCLAW_VERSION",
    }
    assert f"hermes-agent {pins['HERMES_AGENT_VERSION']}:" in CLIENT_GUIDES["hermes"].checked
    assert f"npm cline {pins['CLINE_VERSION']})" in CLIENT_GUIDES["cline"].checked
    for name, guide in TOOL_GUIDES.items():
        if name in pin_of:
            assert guide.tested == pins[pin_of[name]], name
        else:
            assert guide.tested == "", f"{name} names a version no test installs"


def test_every_pinned_install_the_guides_and_errors_show_is_the_one_tests_run_installs() -> None:
    """OpenClaw must be pinned to install at all on older Node (npm picks a placeholder)."""
    pins = _pinned_versions()
    shown = {TOOLS["openclaw"].install_hint, *all_pages().values()}
    found = {version for text in shown for version in re.findall(r"openclaw@([\d.]+)", text)}
    assert found == {pins["OPENCLAW_VERSION"]}


def _source_text() -> str:
    files = (REPO / "cligate").rglob("*.py")
    return "\n".join(p.read_text() for p in files if "guides" not in p.parts)


def test_every_message_in_the_troubleshooting_table_is_one_cligate_emits() -> None:
    source = _source_text()
    for row in TROUBLES:
        if row.message is not None:
            assert row.message in source, f"cligate no longer says: {row.message!r}"


def _commands(page: str) -> list[list[str]]:
    """The `cligate providers add` and `cligate bind` lines of a page's code blocks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", page, re.DOTALL):
        for line in block.splitlines():
            words = shlex.split(line.split("  #")[0])
            if words[:3] == ["cligate", "providers", "add"] or words[:2] == ["cligate", "bind"]:
                found.append(words[1:])
    return found


@pytest.mark.parametrize("page", sorted(all_pages()))
def test_the_setup_commands_of_each_guide_work(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", None)  # never a question: scripts use the flags
    commands = _commands(all_pages()[page])
    for words in commands:
        assert run_app(words) == 0, words
    if commands:
        settings = load_settings(tmp_path / "config.toml", cache_dir=tmp_path)
        assert settings.providers
    if page.startswith("tools/") and page[6:-3] in TOOLS:
        tool = page[6:-3]
        assert [shlex.split(c)[1:] for c in setup_commands(tool)] == commands
        assert settings.tools[tool].provider == "deepseek"
