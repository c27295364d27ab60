import os
import stat
from pathlib import Path

import pytest

from cligate.cli.app import run_app

GOOD = '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n'


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    return tmp_path


def editor_that_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    script = tmp_path / "fake-editor"
    script.write_text(f"#!/bin/sh\ncat > \"$1\" <<'TOML'\n{text}TOML\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)


def test_config_path(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(config_dir / "config.toml")


def test_edit_saves_a_valid_file_0600(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor_that_writes(tmp_path, monkeypatch, GOOD)
    assert run_app(["config", "edit"]) == 0
    path = config_dir / "config.toml"
    assert path.read_text() == GOOD
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not list(config_dir.glob(".*.edit.toml"))


def test_edit_refuses_an_invalid_file_and_keeps_the_draft(
    config_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (config_dir / "config.toml").write_text(GOOD)
    editor_that_writes(tmp_path, monkeypatch, GOOD.replace("anthropic", "smtp"))
    assert run_app(["config", "edit"]) == 2
    err = capsys.readouterr().err
    assert "config.toml:2: providers.p.protocol" in err and "draft is kept" in err
    assert (config_dir / "config.toml").read_text() == GOOD
    assert list(config_dir.glob(".*.edit.toml"))


def test_show_masks_keys(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config_dir / "config.toml").write_text(GOOD + 'api_key = "sk-secret-value-123456"\n')
    assert run_app(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "sk-secret-value-123456" not in out and "…3456" in out


def test_edit_with_a_missing_editor_is_a_clear_error(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDITOR", "no-such-editor-anywhere")
    monkeypatch.delenv("VISUAL", raising=False)
    assert run_app(["config", "edit"]) == 2
    assert "cannot start the editor" in capsys.readouterr().err
    assert not list(config_dir.glob(".*.edit.toml"))
