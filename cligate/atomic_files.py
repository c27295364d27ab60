"""Replacing a file whole: readers see the old text or the new one, never a part of either."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def replace_file(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to a temporary file beside ``path`` (created 0600, so a secret is never
    readable by others even briefly), give it ``mode``, fsync it and rename it over ``path``."""
    import tempfile  # only writers need it; kept off the launch path

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
