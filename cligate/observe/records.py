"""One JSON line per request, appended to ``requests.jsonl`` in cligate's state dir.

Writing never touches the request path: records are queued, serialised a few at a time between
requests, and written together at most every ``FLUSH_SECONDS`` (and when the proxy stops) with
a single ``write`` on a file opened for
appending, so several cligate runs can share the file. The file is rotated by size
(``requests.jsonl`` → ``requests.1.jsonl`` → …); a run that finds the file rotated under it
reopens the new one. A failing disk costs the records, never a request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from cligate.observe.usage import TokenCounts

RECORDS_FILE = "requests.jsonl"
MAX_BYTES = 16 * 1024 * 1024
KEEP_ROTATED = 3
FLUSH_SECONDS = 0.25
SERIALISE_AT_ONCE = 4

logger = logging.getLogger("cligate.records")


@dataclass(frozen=True, slots=True)
class Attempt:
    provider: str
    model: str | None
    key: str  # the key's label, never its value
    outcome: str  # "answered 200", "answered 429", "could not connect …"
    ms: float


@dataclass(slots=True)
class RequestRecord:
    time: str  # ISO 8601, UTC
    run: str  # which cligate run served it
    tool: str
    client_protocol: str
    method: str
    path: str
    requested_model: str | None = None
    stream: bool = False
    provider: str | None = None  # the route actually taken
    upstream_model: str | None = None
    key: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    route: list[str] = field(default_factory=list)
    degradations: list[str] = field(default_factory=list)
    status: int = 0  # what the client got
    outcome: str = "ok"  # ok | error | broken | client-gone
    error: str | None = None
    latency_ms: float = 0.0  # request read → answer complete
    ttfb_ms: float | None = None  # request read → first byte of the provider's answer body
    overhead_ms: float = 0.0  # cligate's own work, the provider's time left out
    tokens: TokenCounts | None = None
    cost_usd: float | None = None  # None: no known price
    bodies: dict[str, str] | None = None  # only with body capture on, keys redacted

    def to_json(self) -> bytes:
        return orjson.dumps(self, option=orjson.OPT_OMIT_MICROSECONDS)


class Recordable(Protocol):
    def to_json(self) -> bytes: ...


def records_path(state: Path) -> Path:
    return state / RECORDS_FILE


def rotated_paths(path: Path) -> list[Path]:
    """The current file and its rotated predecessors, oldest first."""
    older = [path.with_name(f"{path.stem}.{n}{path.suffix}") for n in range(KEEP_ROTATED, 0, -1)]
    return [*older, path]


class RecordLog:
    """Queues records, serialises them a few at a time between requests, and appends them to
    the file in batches.

    Serialising a whole batch at once (a few hundred records at 20 µs each) would stall the
    event loop for milliseconds every flush: every request in flight would wait. A few at a
    time, in their own loop callbacks, the cost is spread thin.
    """

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._queued: list[Recordable] = []
        self._lines: list[bytes] = []  # serialised, not yet written
        self._serialising = False
        self._fd: int | None = None
        self._flush_handle: asyncio.TimerHandle | None = None
        self._broken = False

    def add(self, record: Recordable) -> None:
        """Queue a record; it is serialised and written off the request path."""
        if self._broken:
            return
        self._queued.append(record)
        if self._serialising:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a direct call): write now
            self.flush()
            return
        self._serialising = True
        loop.call_soon(self._serialise_some)

    def _serialise_some(self) -> None:
        batch = self._queued[:SERIALISE_AT_ONCE]
        del self._queued[:SERIALISE_AT_ONCE]
        self._lines.extend([record.to_json() + b"\n" for record in batch])
        loop = asyncio.get_running_loop()
        if self._queued:
            loop.call_soon(self._serialise_some)
        else:
            self._serialising = False
        if self._flush_handle is None and self._lines:
            self._flush_handle = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write what is serialised (and, when the proxy stops, what is not yet)."""
        self._flush_handle = None
        lines, self._lines = self._lines, []
        queued, self._queued = self._queued, []
        lines.extend([record.to_json() + b"\n" for record in queued])
        if not lines:
            return
        try:
            fd = self._open()
            os.write(fd, b"".join(lines))
            if os.fstat(fd).st_size > self._max_bytes:
                self._rotate()
        except OSError as exc:
            self._broken = True  # say it once; the proxy goes on without records
            logger.warning("request records cannot be written to %s: %s", self.path, exc)

    def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is not None:
            try:
                if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    return self._fd
            except FileNotFoundError:
                pass
            os.close(self._fd)  # rotated or removed by another run: start the new file
            self._fd = None
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, 0o600)
        return self._fd

    def _rotate(self) -> None:
        paths = rotated_paths(self.path)
        for older, newer in itertools.pairwise(paths):
            if newer.exists():
                os.replace(newer, older)  # the oldest falls off the end
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record in the file and its rotated predecessors, oldest first; lines that are
    not whole records (a run killed mid-write) are skipped."""
    for part in rotated_paths(path):
        try:
            with part.open("rb") as handle:
                for line in handle:
                    try:
                        value = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(value, dict):
                        yield value
        except FileNotFoundError:
            continue


def follow_records(
    path: Path, stop: Callable[[], bool], poll_seconds: float = 0.5
) -> Iterator[dict[str, Any]]:
    """Records appended to the file from now on, as they come, until ``stop()`` says so;
    follows the file across rotation (like ``tail -F``)."""
    handle = _open_at_end(path)
    partial = b""
    try:
        while not stop():
            data = handle.read() if handle is not None else b""
            if data:
                lines = (partial + data).split(b"\n")
                partial = lines.pop()
                for line in lines:
                    try:
                        value = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(value, dict):
                        yield value
                continue
            if _replaced(path, handle):  # rotated or created: read the new file from its start
                if handle is not None:
                    handle.close()
                handle, partial = _open_from_start(path), b""
                continue
            time.sleep(poll_seconds)
    finally:
        if handle is not None:
            handle.close()


def _open_at_end(path: Path) -> BinaryIO | None:
    handle = _open_from_start(path)
    if handle is not None:
        handle.seek(0, os.SEEK_END)
    return handle


def _open_from_start(path: Path) -> BinaryIO | None:
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _replaced(path: Path, handle: BinaryIO | None) -> bool:
    try:
        current = os.stat(path).st_ino
    except FileNotFoundError:
        return False
    return handle is None or current != os.fstat(handle.fileno()).st_ino
