"""``cligate serve``'s default client key: made on first use, kept beside the config (0600)."""

from __future__ import annotations

import secrets
from pathlib import Path

SERVE_KEY_FILE = "serve.key"


def serve_key(config_dir: Path) -> str:
    """The key, created (atomically, mode 0600) if there is none yet."""
    path = config_dir / SERVE_KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    from cligate.config.store import write_private_file

    key = "cg-" + secrets.token_urlsafe(32)
    config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_file(path, key + "\n")
    return key
