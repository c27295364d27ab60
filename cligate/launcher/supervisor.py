"""Supervise the running tool from the event loop and stand aside.

The tool runs in its own process group (see ``launcher/spawn.py``). When cligate runs in the
terminal's foreground, that group is handed the terminal, so Ctrl-C and Ctrl-Z from the keyboard
reach the tool exactly once, as if it ran alone; signals sent to cligate itself (kill, a parent
script) are forwarded to the tool's group. Ctrl-Z is passed on the way a shell would: when the
tool stops, cligate takes the terminal back and stops too; on ``fg`` it hands the terminal back
and continues the tool.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator

from cligate.launcher.spawn import (
    FORWARDED_SIGNALS,
    SUPERVISED_SIGNALS,
    SpawnedChild,
    release_signals,
)

# After SIGTERM or SIGHUP, how long the tool may take to exit before it is killed.
TERMINATE_GRACE_SECONDS = 10.0
_KEYBOARD_STOPS = (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)


def exit_code_from_status(status: int) -> int:
    """The shell convention: the exit code, or 128+N when killed by signal N."""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 1


@contextlib.contextmanager
def _ignoring_sigttou() -> Iterator[None]:
    # tcsetpgrp from a background process group raises SIGTTOU unless it is ignored.
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTTOU, previous)


def _give_terminal(fd: int, pgrp: int) -> None:
    with _ignoring_sigttou(), contextlib.suppress(OSError):
        os.tcsetpgrp(fd, pgrp)


class Supervisor:
    """Waits for the child inside the event loop, forwarding signals and job control."""

    def __init__(self, child: SpawnedChild) -> None:
        self._pid = child.pid
        self._terminal = child.terminal
        self._terminal_modes = child.terminal_modes
        self._exit: asyncio.Future[int] | None = None
        self._kill_timer: asyncio.TimerHandle | None = None

    async def wait(self) -> int:
        """Wait for the child; return its exit code (128+N if killed by signal N)."""
        loop = asyncio.get_running_loop()
        self._exit = loop.create_future()
        loop.add_signal_handler(signal.SIGCHLD, self._reap)
        for sig in FORWARDED_SIGNALS:
            loop.add_signal_handler(sig, self._forward, sig)
        release_signals()  # anything that arrived while we started is handled now
        try:
            self._reap()  # in case it exited before the handler was in place
            return await self._exit
        finally:
            for sig in SUPERVISED_SIGNALS:
                loop.remove_signal_handler(sig)
            if self._kill_timer is not None:
                self._kill_timer.cancel()
            self._restore_terminal()

    def _forward(self, sig: int) -> None:
        if not self._pid:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._pid, sig)
        if sig in (signal.SIGTERM, signal.SIGHUP) and self._kill_timer is None:
            loop = asyncio.get_running_loop()
            self._kill_timer = loop.call_later(TERMINATE_GRACE_SECONDS, self._kill)

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._pid, signal.SIGKILL)

    def _reap(self) -> None:
        if not self._pid or self._exit is None or self._exit.done():
            return
        while True:
            try:
                # Any child: as a subreaper cligate adopts the tool's orphans, and reaps them
                # here so they do not linger as zombies until the run ends.
                pid, status = os.waitpid(-1, os.WNOHANG | os.WUNTRACED | os.WCONTINUED)
            except ChildProcessError:
                self._exit.set_result(1)
                return
            if pid == 0:
                return
            if pid != self._pid:
                continue
            if os.WIFSTOPPED(status):
                self._on_child_stopped(os.WSTOPSIG(status))
            elif not os.WIFCONTINUED(status):
                self._exit.set_result(exit_code_from_status(status))
                return

    def _on_child_stopped(self, stop_signal: int) -> None:
        """The tool was suspended (Ctrl-Z): suspend cligate too, then resume both together."""
        terminal = self._terminal
        if terminal is None or stop_signal not in _KEYBOARD_STOPS:
            return
        import termios

        child_modes = None
        with contextlib.suppress(termios.error):
            child_modes = termios.tcgetattr(terminal)
        self._restore_terminal()
        os.kill(os.getpid(), signal.SIGSTOP)
        # Resumed by the shell (fg or bg). Hand the terminal back only if we are in front.
        with contextlib.suppress(OSError):
            if os.tcgetpgrp(terminal) == os.getpgrp():
                if child_modes is not None:
                    with _ignoring_sigttou(), contextlib.suppress(termios.error):
                        termios.tcsetattr(terminal, termios.TCSADRAIN, child_modes)
                _give_terminal(terminal, self._pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._pid, signal.SIGCONT)

    def _restore_terminal(self) -> None:
        """Take the terminal back for our group, with the modes it had before the tool ran,
        but only from the tool: if the shell has it (cligate was put in the background), it
        stays with the shell, as a shell would do."""
        terminal = self._terminal
        if terminal is None:
            return
        try:
            if os.tcgetpgrp(terminal) != self._pid:
                return
        except OSError:
            return
        _give_terminal(terminal, os.getpgrp())
        if self._terminal_modes is not None:
            import termios

            with _ignoring_sigttou(), contextlib.suppress(termios.error):
                termios.tcsetattr(terminal, termios.TCSADRAIN, self._terminal_modes)
