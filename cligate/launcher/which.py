"""Finding a tool's real binary on PATH, with cligate shims told apart from it.

A shim (``cligate shims install``) is a small script called ``claude``, ``codex`` or ``gemini``
that runs ``cligate run TOOL``. ``cligate run`` must start the real tool, never a shim: that
would start cligate again, and again. Shared by the launcher, the shims commands and doctor.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

SHIM_MARKER = b"cligate run"
# A shim is a few lines; real entry points are native binaries or large JS bundles.
SHIM_MAX_BYTES = 64 * 1024


def iter_executables(name: str, path: str) -> Iterator[str]:
    """Each executable called ``name`` in PATH order, each real file once."""
    seen: set[str] = set()
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory or ".", name)  # an empty entry is the work dir
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            seen.add(real)
            yield candidate


def executables_on_path(name: str, path: str) -> list[str]:
    """Every executable called ``name`` in PATH order (``shutil.which`` gives only the first)."""
    return list(iter_executables(name, path))


def is_shim(path: str | os.PathLike[str]) -> bool:
    """A small text script that runs ``cligate run``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SHIM_MAX_BYTES + 1)
    except OSError:
        return False
    return len(head) <= SHIM_MAX_BYTES and b"\0" not in head and SHIM_MARKER in head


@dataclass(frozen=True, slots=True)
class Lookup:
    binary: str | None  # the first executable on PATH that is not a cligate shim
    shims: tuple[str, ...]  # the cligate shims passed over on the way to it


def find_real(name: str, path: str) -> Lookup:
    """The real ``name`` on ``path``: the first executable of that name that is not a shim.
    Stops at the first real one, so only the shims in front of it are read."""
    shims: list[str] = []
    for candidate in iter_executables(name, path):
        if not is_shim(candidate):
            return Lookup(candidate, tuple(shims))
        shims.append(candidate)
    return Lookup(None, tuple(shims))
