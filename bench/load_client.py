"""Concurrent keep-alive HTTP/1.1 load on raw asyncio protocols, for the throughput rows.

The client shares a core with the upstream, so it must cost far less per request than the
proxy: requests are prebuilt bytes, and a response is only framed (Content-Length, or the
chunked terminator at the end of what was read; nothing is pipelined, so the terminator can
only be at the end) and, when asked, searched for a marker once it is whole.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

LAST_CHUNK = b"\r\n0\r\n\r\n"


@dataclass
class RoundResult:
    requests: int
    seconds: float
    markers: int  # occurrences of the marker in all bodies read


class _Round:
    """One batch of ``total`` requests shared by all connections."""

    def __init__(self, request: bytes, total: int, marker: bytes, active: int) -> None:
        self.request = request
        self.remaining = total
        self.marker = marker
        self.markers = 0
        self.completed = 0
        self.active = active
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ended = 0.0

    def idle(self) -> None:
        self.active -= 1
        if not self.active and not self.done.done():
            self.ended = time.perf_counter()
            self.done.set_result(None)

    def fail(self, error: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(error)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._round: _Round | None = None
        self._buffer = bytearray()
        self._body_start = -1
        self._length = -1  # -1: chunked

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._round is not None:
            self._round.fail(ConnectionError(f"connection lost: {exc}"))

    def begin(self, batch: _Round) -> None:
        self._round = batch
        self._next()

    def _next(self) -> None:
        batch = self._round
        assert batch is not None and self.transport is not None
        if batch.remaining <= 0:
            self._round = None
            batch.idle()
            return
        batch.remaining -= 1
        self.transport.write(batch.request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._body_start < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._body_start = end + 4
            head = bytes(buffer[:end]).lower()
            start = head.find(b"\r\ncontent-length:")
            if start >= 0:
                stop = head.find(b"\r\n", start + 2)
                self._length = int(head[start + 17 : stop if stop >= 0 else len(head)])
            else:
                self._length = -1
        if self._length >= 0:
            if len(buffer) < self._body_start + self._length:
                return
        elif not buffer.endswith(LAST_CHUNK):
            return
        self._complete()

    def _complete(self) -> None:
        batch = self._round
        assert batch is not None
        if self._buffer[9:12] != b"200":
            batch.fail(RuntimeError(f"answered {bytes(self._buffer[:300])!r}"))
            return
        if batch.marker:
            batch.markers += self._buffer.count(batch.marker, self._body_start)
        batch.completed += 1
        self._buffer = bytearray()
        self._body_start = -1
        self._next()


class LoadPool:
    """``concurrency`` keep-alive connections to one server, reused round after round."""

    def __init__(self, connections: list[_Connection]) -> None:
        self._connections = connections

    @classmethod
    async def open(cls, host: str, port: int, concurrency: int) -> LoadPool:
        loop = asyncio.get_running_loop()
        connections = []
        for _ in range(concurrency):
            _, protocol = await loop.create_connection(_Connection, host, port)
            connections.append(protocol)
        return cls(connections)

    async def run(
        self, request: bytes, total: int, marker: bytes = b"", timeout: float = 300.0
    ) -> RoundResult:
        """Send ``request`` ``total`` times, at most one in flight per connection."""
        batch = _Round(request, total, marker, len(self._connections))
        started = time.perf_counter()
        for connection in self._connections:
            connection.begin(batch)
        await asyncio.wait_for(asyncio.shield(batch.done), timeout)
        return RoundResult(batch.completed, batch.ended - started, batch.markers)

    def close(self) -> None:
        for connection in self._connections:
            if connection.transport is not None:
                connection.transport.close()


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body
