"""A keep-alive HTTP/1.1 client on a raw socket that reads chunked (SSE) bodies as they arrive.

Beside bench/http_client.py, whose client reads a body whole: ``stream`` times one request
from just before it is sent, to when the first body chunk containing a marker was read
(``"text_delta"`` for Anthropic, a content delta for Chat) and to when the body ended. It also
keeps the ``time.monotonic()`` of the start, so the caller can set instants reported by the
upstream against its own clock.

The framing is parsed with an offset into one buffer (no copy of the rest of the buffer per
line), so a 1000-chunk body costs the client little and the same on both paths.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

# A body of more chunks than this is refused rather than read forever.
MAX_CHUNKS = 1_000_000
MAX_HEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class StreamTiming:
    status: int
    started: float  # time.monotonic() just before the request was sent
    first_marker_ms: float | None  # when the first chunk with the marker was read
    total_ms: float  # when the whole body was read
    body: bytes


class StreamingClient:
    def __init__(self, host: str, port: int) -> None:
        self._host = f"{host}:{port}".encode()
        self._sock = socket.create_connection((host, port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()
        self._pos = 0

    def close(self) -> None:
        self._sock.close()

    def get(self, path: str) -> tuple[int, bytes]:
        timing = self.stream(path, b"", {}, b"", method="GET")
        return timing.status, timing.body

    def stream(
        self,
        path: str,
        body: bytes,
        headers: dict[str, str],
        marker: bytes,
        method: str = "POST",
    ) -> StreamTiming:
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host]
        head += [f"{k}: {v}".encode() for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}".encode())
        request = b"\r\n".join(head) + b"\r\n\r\n" + body
        started = time.monotonic()
        clock = time.perf_counter()
        self._sock.sendall(request)
        lines = self._read_until(b"\r\n\r\n", MAX_HEAD).split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        first: float | None = None
        if fields.get(b"transfer-encoding", b"").lower() != b"chunked":
            length = int(fields.get(b"content-length", b"-1"))
            if length < 0:
                raise ConnectionError("response without a length")
            data = self._read_exactly(length)
            if marker and marker in data:
                first = time.perf_counter()
            total = (time.perf_counter() - clock) * 1000
            return StreamTiming(status, started, _ms(clock, first), total, data)
        parts: list[bytes] = []
        previous = b""  # the end of the last chunk, in case the marker straddles two
        for _ in range(MAX_CHUNKS):
            size = int(self._read_until(b"\r\n", 1024).split(b";")[0], 16)
            if not size:
                self._read_until(b"\r\n", MAX_HEAD)  # no trailers are expected
                total = (time.perf_counter() - clock) * 1000
                return StreamTiming(status, started, _ms(clock, first), total, b"".join(parts))
            data = self._read_exactly(size + 2)[:-2]
            if first is None and marker and marker in previous + data:
                first = time.perf_counter()
            previous = data[-len(marker) :] if marker else b""
            parts.append(data)
        raise ConnectionError(f"more than {MAX_CHUNKS} chunks")

    def _fill(self) -> None:
        if self._pos:
            del self._buffer[: self._pos]
            self._pos = 0
        data = self._sock.recv(262144)
        if not data:
            raise ConnectionError("server closed the connection")
        self._buffer += data

    def _read_until(self, marker: bytes, limit: int) -> bytes:
        for _ in range(limit):
            index = self._buffer.find(marker, self._pos)
            if index >= 0:
                line = bytes(self._buffer[self._pos : index])
                self._pos = index + len(marker)
                return line
            if len(self._buffer) - self._pos > limit:
                raise ConnectionError(f"no {marker!r} within {limit} bytes")
            self._fill()
        raise ConnectionError(f"no {marker!r} after {limit} reads")

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) - self._pos < size:
            self._fill()
        data = bytes(self._buffer[self._pos : self._pos + size])
        self._pos += size
        return data


def _ms(clock: float, instant: float | None) -> float | None:
    return None if instant is None else (instant - clock) * 1000
