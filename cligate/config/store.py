"""Reading and writing the config file: parsed on load, written atomically with mode 0600."""

from __future__ import annotations

import functools
from pathlib import Path

from cligate.config.settings import Settings, settings_from_document
from cligate.config.toml_cache import read_toml_document
from cligate.errors import ConfigError


def load_settings(path: Path, cache_dir: Path | None = None) -> Settings:
    """Load and validate ``path``; a missing file is an empty configuration.

    With ``cache_dir``, the parsed document is cached there (see ``config/toml_cache.py``).
    """
    document = read_toml_document(path, cache_dir)
    if document is None:
        return Settings(source=path)
    try:
        return settings_from_document(document, path, builtin_provider_names(cache_dir))
    except ConfigError as error:
        from cligate.config.editor import with_line  # only on the error path

        raise with_line(error, path.read_text(encoding="utf-8")) from None


BUILTIN_PROVIDERS = Path(__file__).with_name("builtin_providers.toml")


@functools.cache
def builtin_settings(cache_dir: Path | None = None) -> Settings:
    """The providers cligate knows without configuration (``builtin_providers.toml``).
    Read once per process: a launch needs them both to validate and to merge."""
    document = read_toml_document(BUILTIN_PROVIDERS, cache_dir)
    if document is None:
        raise ConfigError(f"{BUILTIN_PROVIDERS} is missing from the installation")
    return settings_from_document(document, source=BUILTIN_PROVIDERS)


def builtin_provider_names(cache_dir: Path | None = None) -> tuple[str, ...]:
    return tuple(builtin_settings(cache_dir).providers)


def load_effective_settings(path: Path, cache_dir: Path | None = None) -> Settings:
    """The config file on top of the built-in providers."""
    return load_settings(path, cache_dir).over(builtin_settings(cache_dir))


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable by its owner only (its directory
    too, when it has to be made)."""
    from cligate.atomic_files import replace_file

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    replace_file(path, text, 0o600)
