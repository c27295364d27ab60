"""A per-run home for Gemini CLI, so its auth type can be chosen without touching the user's
``~/.gemini/settings.json``.

Headless Gemini CLI refuses a custom base URL unless ``security.auth.selectedType`` is
``gemini-api-key`` in its settings, and no flag or environment variable sets it (0.61.0). Its
system-settings override must be a root-owned file, so a normal user cannot use it. What works
for everyone is ``GEMINI_CLI_HOME``: cligate builds a private home that mirrors the real one
entry by entry with symlinks (history, memory, extensions, credentials, ``~/.env`` all stay
live), except ``.gemini/settings.json``, which is the user's settings plus cligate's few keys.
After the run, files Gemini created or replaced (it writes some by rename, which turns a
symlink into a private copy) are moved back into the real home, and the private home is removed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cligate.errors import ConfigError

# What cligate must set for the run: the auth type headless mode needs for a custom base URL,
# and no traffic to Google besides the provider calls that go through the proxy.
FORCED_SETTINGS: dict[str, Any] = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}
SETTINGS_NAME = "settings.json"


def merge_settings(user: Mapping[str, Any], forced: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` with every leaf of ``forced`` set; everything else kept."""
    merged = dict(user)
    for key, value in forced.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge_settings(current, value)
        else:
            merged[key] = value
    return merged


def strip_json_comments(text: str) -> str:
    """Gemini CLI reads its settings as JSON with comments; remove ``//`` and ``/* */``."""
    out: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[index : end + 1])
            index = end + 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = length if newline < 0 else newline
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = length if close < 0 else close + 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def read_user_settings(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    if not text.strip():
        return {}
    try:
        settings = json.loads(strip_json_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(settings, dict):
        raise ConfigError(f"{path}: must hold a JSON object")
    return settings


def _mirror(source: Path, target: Path, skip: str) -> None:
    """Fill ``target`` with a symlink to each entry of ``source`` except ``skip``."""
    if not source.is_dir():
        return
    for entry in source.iterdir():
        if entry.name != skip:
            (target / entry.name).symlink_to(entry)


def _move_back(overlay: Path, real: Path, skip: str) -> list[str]:
    """Move what the tool created or replaced in ``overlay`` back into ``real``; return what
    could not be moved (left in place, never deleted)."""
    left: list[str] = []
    for entry in overlay.iterdir():
        if entry.name == skip or entry.is_symlink():
            continue
        destination = real / entry.name
        try:
            real.mkdir(parents=True, exist_ok=True)
            if destination.is_dir() and not destination.is_symlink():
                # The tool made an entry where the user has a directory: keep both, say so.
                left.append(str(entry))
                continue
            if destination.exists() or destination.is_symlink():
                destination.unlink()
            # shutil.move, not os.replace: the per-run home may sit on another filesystem
            # (a tmpfs /tmp), where a rename fails.
            shutil.move(str(entry), str(destination))
        except OSError:
            left.append(str(entry))
    return left


@contextlib.contextmanager
def gemini_home_overlay(env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Yield the environment variables that point Gemini CLI at the per-run home."""
    import tempfile

    real_home = Path(env.get("GEMINI_CLI_HOME") or env.get("HOME") or Path.home())
    real_gemini = real_home / ".gemini"
    user_settings = read_user_settings(real_gemini / SETTINGS_NAME)
    merged_text = json.dumps(merge_settings(user_settings, FORCED_SETTINGS), indent=2)
    overlay_home = Path(tempfile.mkdtemp(prefix="cligate-gemini-"))
    overlay_gemini = overlay_home / ".gemini"
    try:
        _mirror(real_home, overlay_home, skip=".gemini")
        overlay_gemini.mkdir(mode=0o700)
        _mirror(real_gemini, overlay_gemini, skip=SETTINGS_NAME)
        (overlay_gemini / SETTINGS_NAME).write_text(merged_text, encoding="utf-8")
        yield {"GEMINI_CLI_HOME": str(overlay_home)}
    finally:
        left = _move_back(overlay_gemini, real_gemini, skip=SETTINGS_NAME)
        left += _move_back(overlay_home, real_home, skip=".gemini")
        settings = overlay_gemini / SETTINGS_NAME
        try:
            if settings.read_text(encoding="utf-8") != merged_text:
                saved = real_gemini / f"{SETTINGS_NAME}.changed-under-cligate"
                shutil.move(str(settings), str(saved))
                print(
                    f"cligate: Gemini CLI changed its settings during the run; your "
                    f"{real_gemini / SETTINGS_NAME} is unchanged and the changed copy is {saved}",
                    file=sys.stderr,
                )
        except OSError:
            left.append(str(settings))
        if left:
            # Nothing the tool wrote is thrown away: the per-run home stays for the user.
            print(
                f"cligate: could not move these back into {real_home}; they are kept in "
                f"{overlay_home}: {', '.join(left)}",
                file=sys.stderr,
            )
        else:
            shutil.rmtree(overlay_home, ignore_errors=True)
