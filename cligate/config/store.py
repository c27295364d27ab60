"""Reading and writing the config file: parsed on load, written atomically with mode 0600."""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path

from cligate.config.settings import Settings, settings_from_document
from cligate.errors import ConfigError


def load_settings(path: Path) -> Settings:
    """Load and validate ``path``; a missing file is an empty configuration."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(source=path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return settings_from_document(document, source=path)


def builtin_settings() -> Settings:
    """The providers cligate knows without configuration (``builtin_providers.toml``)."""
    from importlib.resources import files

    text = files("cligate.config").joinpath("builtin_providers.toml").read_text("utf-8")
    return settings_from_document(tomllib.loads(text))


def load_effective_settings(path: Path) -> Settings:
    """The config file on top of the built-in providers."""
    return load_settings(path).over(builtin_settings())


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable by its owner only.

    The temporary file is created 0600 in the same directory (so ``os.replace`` is atomic and
    the key never sits in a world-readable file, even briefly), flushed and fsynced first.
    """
    import tempfile  # only writers need it; kept off the launch path

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
