"""Where cligate keeps its files. ``CLIGATE_CONFIG_DIR`` overrides the platform default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_DIR_ENV = "CLIGATE_CONFIG_DIR"
STATE_DIR_ENV = "CLIGATE_STATE_DIR"
CONFIG_FILE_NAME = "config.toml"


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # imported only when needed: it is not free at start-up

    return Path(platformdirs.user_config_dir("cligate", appauthor=False))


def config_file(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / CONFIG_FILE_NAME


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Logs and other files cligate writes for itself (never read back as settings)."""
    env = os.environ if env is None else env
    override = env.get(STATE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV]).expanduser() / "state"
    import platformdirs

    return Path(platformdirs.user_state_dir("cligate", appauthor=False))
