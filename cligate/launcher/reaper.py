"""Leave no process behind: adopt the tool's orphans and end them when the tool exits."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """On Linux, make orphaned descendants of the tool re-parent to us instead of init, so
    background shells the tool started are found and ended when it exits."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def end_process_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return


def _has_children() -> bool:
    """Whether this process has any child left; cheap on Linux, where psutil is not needed
    (and not imported) when the answer is no."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return True  # cannot tell cheaply: let psutil look
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                if handle.read().strip():
                    return True
        except OSError:
            return True
    return False


def end_descendants(grace: float = 2.0) -> list[int]:
    """Terminate every remaining descendant of this process, then kill what outlives
    ``grace`` seconds. Returns the pids that were still alive."""
    if not _has_children():
        return []
    import psutil  # only at tear-down, and only when something is left

    me = psutil.Process()
    try:
        survivors = me.children(recursive=True)
    except psutil.Error:
        return []
    for process in survivors:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(survivors, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=grace)
    return [process.pid for process in survivors]
