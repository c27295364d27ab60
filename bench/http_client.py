"""A minimal blocking keep-alive HTTP/1.1 client on a raw socket.

The benchmark measures the latency cligate adds, so the client must cost as little as possible
and the same on both paths: no pool, no parsing beyond framing.
"""

from __future__ import annotations

import socket


class KeepAliveClient:
    def __init__(self, host: str, port: int) -> None:
        self._host = f"{host}:{port}".encode()
        self._sock = socket.create_connection((host, port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self) -> None:
        self._sock.close()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = [f"POST {path} HTTP/1.1".encode(), b"Host: " + self._host]
        head += [f"{k}: {v}".encode() for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}".encode())
        self._sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        return self._read_response()

    def _fill(self) -> None:
        data = self._sock.recv(262144)
        if not data:
            raise ConnectionError("server closed the connection")
        self._buffer += data

    def _read_until(self, marker: bytes) -> bytes:
        while (index := self._buffer.find(marker)) < 0:
            self._fill()
        line, self._buffer = self._buffer[:index], self._buffer[index + len(marker) :]
        return line

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_response(self) -> tuple[int, bytes]:
        head = self._read_until(b"\r\n\r\n").split(b"\r\n")
        status = int(head[0].split(b" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            return status, self._read_exactly(int(headers[b"content-length"]))
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
                parts.append(self._read_exactly(size))
                self._read_until(b"\r\n")
            self._read_until(b"\r\n")
            return status, b"".join(parts)
        raise ConnectionError("response without a length")
