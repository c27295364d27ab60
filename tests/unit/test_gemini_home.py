import json
import os
import shutil
from pathlib import Path

import pytest

from cligate.errors import ConfigError
from cligate.launcher.gemini_home import (
    FORCED_SETTINGS,
    gemini_home_overlay,
    merge_settings,
    read_user_settings,
    strip_json_comments,
)


def test_forced_keys_win_and_everything_else_stays() -> None:
    user = {"security": {"auth": {"selectedType": "oauth-personal"}, "x": 1}, "ui": {"theme": "t"}}
    merged = merge_settings(user, FORCED_SETTINGS)
    assert merged["security"] == {"auth": {"selectedType": "gemini-api-key"}, "x": 1}
    assert merged["ui"] == {"theme": "t"}
    assert merged["privacy"] == {"usageStatisticsEnabled": False}


def test_comments_are_stripped_but_not_inside_strings() -> None:
    text = '{"url": "http://x//y", /* block */ "a": 1 // line\n}'
    assert json.loads(strip_json_comments(text)) == {"url": "http://x//y", "a": 1}


def test_unreadable_settings_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=str(path)):
        read_user_settings(path)


def make_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".gemini" / "history").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text('{"ui": {"theme": "t"}}')
    (home / ".gemini" / "GEMINI.md").write_text("memory")
    (home / ".gemini" / "projects.json").write_text("old")
    (home / ".env").write_text("A=1")
    return home


def test_overlay_mirrors_the_home_and_moves_new_and_replaced_files_back(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with gemini_home_overlay({"HOME": str(home)}) as extra:
        overlay = Path(extra["GEMINI_CLI_HOME"])
        gemini = overlay / ".gemini"
        settings = json.loads((gemini / "settings.json").read_text())
        assert settings["security"]["auth"]["selectedType"] == "gemini-api-key"
        assert settings["ui"] == {"theme": "t"}
        assert (gemini / "GEMINI.md").read_text() == "memory"
        assert (overlay / ".env").read_text() == "A=1"
        # What the CLI does: append through a symlink, replace by rename, create new files.
        with open(gemini / "GEMINI.md", "a") as handle:
            handle.write(" more")
        (gemini / "projects.tmp").write_text("new")
        os.replace(gemini / "projects.tmp", gemini / "projects.json")
        (gemini / "installation_id").write_text("id")
        (gemini / "history" / "h1").write_text("h")
    assert not overlay.exists()
    real = home / ".gemini"
    assert (real / "settings.json").read_text() == '{"ui": {"theme": "t"}}'
    assert (real / "GEMINI.md").read_text() == "memory more"
    assert (real / "projects.json").read_text() == "new"
    assert (real / "installation_id").read_text() == "id"
    assert (real / "history" / "h1").read_text() == "h"
    assert not (real / "settings.json.changed-under-cligate").exists()


def test_settings_changed_during_the_run_are_kept_aside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path)
    with gemini_home_overlay({"HOME": str(home)}) as extra:
        (Path(extra["GEMINI_CLI_HOME"]) / ".gemini" / "settings.json").write_text("{}")
    assert (home / ".gemini" / "settings.json").read_text() == '{"ui": {"theme": "t"}}'
    assert (home / ".gemini" / "settings.json.changed-under-cligate").read_text() == "{}"
    assert "changed its settings" in capsys.readouterr().err


def test_a_home_without_gemini_gets_nothing_left_behind(tmp_path: Path) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    with gemini_home_overlay({"HOME": str(home)}) as extra:
        assert (Path(extra["GEMINI_CLI_HOME"]) / ".gemini" / "settings.json").exists()
    assert list(home.iterdir()) == []


def test_moving_back_works_across_filesystems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tmpfs /tmp (or TMPDIR) puts the per-run home on another filesystem than the user's."""
    other_fs = Path("/dev/shm")
    if not other_fs.is_dir() or other_fs.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem to put the per-run home on")
    monkeypatch.setenv("TMPDIR", str(other_fs))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    home = make_home(tmp_path)
    with gemini_home_overlay({"HOME": str(home)}) as extra:
        overlay = Path(extra["GEMINI_CLI_HOME"])
        assert overlay.stat().st_dev != home.stat().st_dev
        gemini = overlay / ".gemini"
        (gemini / "installation_id").write_text("id")
        (gemini / "projects.tmp").write_text("new")
        os.replace(gemini / "projects.tmp", gemini / "projects.json")
    assert (home / ".gemini" / "installation_id").read_text() == "id"
    assert (home / ".gemini" / "projects.json").read_text() == "new"
    assert not overlay.exists()


def test_what_cannot_be_moved_back_is_kept_not_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path)
    with gemini_home_overlay({"HOME": str(home)}) as extra:
        overlay = Path(extra["GEMINI_CLI_HOME"])
        # The tool made a directory where the user has one: it cannot simply replace it.
        (overlay / ".gemini" / "history").unlink()
        (overlay / ".gemini" / "history").mkdir()
        (overlay / ".gemini" / "history" / "new-session").write_text("keep me")
    assert (overlay / ".gemini" / "history" / "new-session").read_text() == "keep me"
    assert str(overlay) in capsys.readouterr().err
    shutil.rmtree(overlay)
