"""Change the config file the way a person would: comments and order kept, the result
validated before it is written, written atomically under a lock so that two cligate processes
cannot interleave their changes."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cligate.config.settings import settings_from_document
from cligate.config.store import write_private_file
from cligate.config.toml_cache import parse_toml_file
from cligate.errors import ConfigError

if TYPE_CHECKING:
    from tomlkit import TOMLDocument


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock beside ``path`` (held across read, change and write)."""
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path.parent}: cannot be written ({exc.strerror})") from exc
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextlib.contextmanager
def editing(path: Path) -> Iterator[TOMLDocument]:
    """Yield the file as a tomlkit document to change in place; on a clean exit the result is
    validated and written (0600, atomically). Raises ``ConfigError`` naming file, line and key
    if the file or the result is invalid."""
    import tomlkit

    path = Path(os.path.realpath(path))  # a dotfile manager's symlink stays a symlink
    with file_lock(path):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
        parse_toml_file(path, text.encode())  # the same syntax errors as a load gives
        document = tomlkit.parse(text)
        yield document
        new_text = tomlkit.dumps(document)
        validate_text(path, new_text)
        write_private_file(path, new_text)


def validate_text(path: Path, text: str) -> None:
    try:
        from cligate.config.store import builtin_provider_names

        document = parse_toml_file(path, text.encode())
        settings_from_document(document, path, builtin_provider_names())
    except ConfigError as error:
        raise with_line(error, text) from None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")


def _unquote(dotted: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in dotted.split("."))


def locate_line(text: str, key: str) -> int | None:
    """The 1-based line that defines ``key`` (``providers.x.base_url``), or the nearest line
    defining a table or key that contains it."""
    table = ""
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _unquote(header.group(1))
            full = table
        else:
            assign = _ASSIGN.match(line)
            if not assign:
                continue
            name = _unquote(assign.group(1))
            full = f"{table}.{name}" if table else name
        if full == key:
            return number
        if key.startswith(full + ".") and (best is None or len(full) > best[0]):
            best = (len(full), number)
    return best[1] if best else None


def with_line(error: ConfigError, text: str) -> ConfigError:
    """``FILE: KEY: problem`` → ``FILE:LINE: KEY: problem`` when the key can be found."""
    match = re.match(r"^(?P<file>.+?): (?P<key>[\w.\-\[\]]+): (?P<problem>.*)$", error.message)
    if not match:
        return error
    line = locate_line(text, match.group("key"))
    if line is None:
        return error
    return ConfigError(
        f"{match.group('file')}:{line}: {match.group('key')}: {match.group('problem')}"
    )
