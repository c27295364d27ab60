"""Start the tool: its own process group, the terminal handed over, signals held.

Kept apart from the supervisor (and free of asyncio) because it runs before the event loop is
imported: the tool starts while cligate's server is still loading.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

from cligate.errors import ToolNotInstalledError, UsageError
from cligate.launcher.child import ChildSpec

FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)


def foreground_terminal() -> int | None:
    """A descriptor of our controlling terminal when our process group has its foreground.

    /dev/tty rather than stdin: with stdin piped, a tool that reads the terminal directly
    would otherwise be a background job and stop for good on SIGTTIN.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)  # not inherited by the tool
    except OSError:
        return None  # no controlling terminal
    try:
        if os.tcgetpgrp(fd) == os.getpgrp():
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


SUPERVISED_SIGNALS = frozenset((*FORWARDED_SIGNALS, signal.SIGCHLD))


def hold_signals() -> None:
    """Block the signals the supervisor handles until its event loop is ready for them.

    The tool is started before the loop exists (so the two start up in parallel); a signal
    arriving in between stays pending instead of killing cligate and orphaning the tool.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, SUPERVISED_SIGNALS)


def release_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED_SIGNALS)


def _prepare_child(terminal: int | None) -> None:  # runs in the child between fork and exec
    signal.pthread_sigmask(signal.SIG_SETMASK, set())  # the mask survives exec: clear it
    os.setpgid(0, 0)
    if terminal is not None:
        # Take the terminal's foreground before exec, so the tool can never read it as a
        # background job.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(terminal, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, signal.SIG_DFL)


@dataclass(frozen=True, slots=True)
class SpawnedChild:
    pid: int  # also its process group id
    terminal: int | None  # the terminal fd it was handed, if any
    terminal_modes: list[Any] | None  # the terminal's modes before it ran


def spawn(spec: ChildSpec) -> SpawnedChild:
    """Start the tool in its own process group (with the terminal, when cligate has it)."""
    terminal = foreground_terminal()
    modes = None
    if terminal is not None:
        import termios

        with contextlib.suppress(termios.error):
            modes = termios.tcgetattr(terminal)
    try:
        process = subprocess.Popen(
            spec.argv, env=spec.env, preexec_fn=lambda: _prepare_child(terminal)
        )
    except FileNotFoundError as exc:
        raise ToolNotInstalledError(f"cannot run {spec.argv[0]}: not found") from exc
    except PermissionError as exc:
        raise UsageError(f"cannot run {spec.argv[0]}: permission denied") from exc
    # The supervisor reaps it (to see stops as well as exits); stop Popen from trying.
    process.returncode = 0
    return SpawnedChild(process.pid, terminal, modes)
