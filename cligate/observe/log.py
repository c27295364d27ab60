"""cligate's own log file. Nothing goes to the terminal while a tool runs there, and no key,
secret or body is ever logged."""

from __future__ import annotations

import io
import logging
from pathlib import Path


class _LazyFileHandler(logging.FileHandler):
    """Creates the log directory and file only when the first record is written."""

    def _open(self) -> io.TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return super()._open()


def configure_stderr_log(verbose: bool) -> None:
    """``cligate serve``: no tool owns the terminal, so the log goes to stderr."""
    _use(logging.StreamHandler(), verbose)


def configure_run_log(verbose: bool) -> None:
    from cligate.config.paths import state_dir

    handler = _LazyFileHandler(state_dir() / "cligate.log", delay=True, encoding="utf-8")
    _use(handler, verbose)


def _use(handler: logging.Handler, verbose: bool) -> None:
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("cligate")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False
