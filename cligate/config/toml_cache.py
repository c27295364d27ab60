"""Parsed TOML documents, cached as JSON and keyed by the file's identity.

tomllib is pure Python: importing it and parsing two small files costs more than anything else
``cligate run`` does before the tool starts (about 45 ms on a 2-core machine). The cache keeps
each file's parsed document with its size, mtime and inode; any change to the file misses it,
and a missing, corrupt or unwritable cache only means parsing as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from cligate.errors import ConfigError

CACHE_NAME = "parsed-config-cache.json"


def _identity(path: Path, stat: os.stat_result) -> list[object]:
    return [str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino]


def parse_toml_file(path: Path, raw: bytes) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def read_toml_document(path: Path, cache_dir: Path | None) -> dict[str, Any] | None:
    """The parsed document of ``path``, or None if it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    identity = _identity(path, stat)
    cache_file = cache_dir / CACHE_NAME if cache_dir else None
    entries: dict[str, Any] = {}
    if cache_file is not None:
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(cache_file.read_bytes())
            if isinstance(loaded, dict):
                entries = loaded
        hit = entries.get(str(path))
        if isinstance(hit, dict) and hit.get("identity") == identity:
            document = hit.get("document")
            if isinstance(document, dict):
                return document
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    document = parse_toml_file(path, raw)
    if cache_file is not None:
        _store(cache_file, entries, str(path), identity, document)
    return document


def _store(
    cache_file: Path,
    entries: dict[str, Any],
    key: str,
    identity: list[object],
    document: dict[str, Any],
) -> None:
    from cligate.config.store import write_private_file

    try:
        entries[key] = {"identity": identity, "document": document}
        text = json.dumps(entries)  # TOML dates are not JSON: such a file is not cached
    except (TypeError, ValueError):
        return
    with contextlib.suppress(OSError):
        write_private_file(cache_file, text)
