"""A tiny OpenAI Chat Completions upstream for the translation benchmark.

    python bench/chat_upstream.py [--chunks 4] [--delay-ms 0] [--port 0]

Prints its URL, then serves HTTP/1.1 with keep-alive until SIGTERM:

- ``POST /v1/chat/completions`` reads the body whole and answers a canned SSE stream with
  chunked transfer: a role chunk, N content deltas of a few characters, a ``finish_reason``
  chunk, a usage chunk and ``data: [DONE]``, each event in its own HTTP chunk. N and the pause
  between content deltas come from the ``x-bench-chunks`` / ``x-bench-delay-ms`` request
  headers, else from the command line.
- ``GET /bench/last`` answers, as JSON, what happened on the last completion: the size of the
  body it received and the ``time.monotonic()`` instants at which the body was read, the first
  content delta was written and the stream was finished (and the body's CRC-32, computed after
  the stream, to compare the bodies of the two paths). On Linux (and macOS) that clock is
  system-wide, so the client can set them against its own.

It does as little as it can per request (the streams are rendered once per chunk count), so
that both paths of the benchmark pay the same small upstream cost.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import signal
import time
import zlib

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_CHUNKS = 100_000
MAX_DELAY_MS = 1000.0
MODEL = "bench-model"


def _event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(delta: dict[str, object], finish_reason: str | None = None) -> bytes:
    return _event(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
    )


def piece(index: int) -> str:
    """The text of content delta ``index``: a few characters."""
    return f"w{index % 1000:03d} "


@functools.cache
def sse_events(chunks: int) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """The stream as SSE events: the role chunk, the content deltas, and the tail (finish,
    usage, [DONE]) in one piece."""
    head = _chunk({"role": "assistant", "content": ""})
    deltas = tuple(_chunk({"content": piece(i)}) for i in range(chunks))
    usage = {"prompt_tokens": 1000, "completion_tokens": chunks, "total_tokens": 1000 + chunks}
    tail = (
        _chunk({}, "stop")
        + _event(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": MODEL,
                "choices": [],
                "usage": usage,
            }
        )
        + b"data: [DONE]\n\n"
    )
    return head, deltas, tail


def _framed(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@functools.cache
def framed_stream(chunks: int) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """``sse_events`` in HTTP chunked framing, the terminating chunk in the tail."""
    head, deltas, tail = sse_events(chunks)
    return _framed(head), tuple(_framed(d) for d in deltas), _framed(tail) + b"0\r\n\r\n"


_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream\r\n"
    b"cache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)


class ChatUpstream:
    def __init__(self, chunks: int, delay_ms: float) -> None:
        self.chunks = chunks
        self.delay_ms = delay_ms
        self.last: dict[str, object] = {}
        self.writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:  # one request per turn, as long as the client keeps the connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if not 0 <= length <= MAX_BODY:
                    return
                body = await reader.readexactly(length)
                received = time.monotonic()
                if method == "POST" and path == "/v1/chat/completions":
                    await self._stream(writer, headers, body, received)
                elif method == "GET" and path == "/bench/last":
                    self._send(writer, 200, json.dumps(self.last).encode())
                else:
                    self._send(writer, 404, b'{"error":{"message":"not found"}}')
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self.writers.discard(writer)
            writer.close()

    async def close(self) -> None:
        """Close the open connections, so their handlers end before the loop does."""
        for writer in list(self.writers):
            writer.close()
        for _ in range(100):
            if not self.writers:
                return
            await asyncio.sleep(0.01)

    @staticmethod
    def _send(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        reason = b"OK" if status == 200 else b"Not Found"
        writer.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (status, reason, len(body), body)
        )

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        headers: dict[str, str],
        body: bytes,
        received: float,
    ) -> None:
        chunks = min(MAX_CHUNKS, max(1, int(headers.get("x-bench-chunks", self.chunks))))
        delay_ms = float(headers.get("x-bench-delay-ms", self.delay_ms))
        delay = min(MAX_DELAY_MS, max(0.0, delay_ms)) / 1000
        head, deltas, tail = framed_stream(chunks)
        writer.write(_STREAM_HEAD + head)
        first_content = 0.0
        for index, delta in enumerate(deltas):
            if delay and index:
                await writer.drain()
                await asyncio.sleep(delay)
            writer.write(delta)
            if not index:
                first_content = time.monotonic()
        writer.write(tail)
        await writer.drain()
        self.last = {
            "body_bytes": len(body),
            "body_crc32": zlib.crc32(body),
            "chunks": chunks,
            "received": received,
            "first_content": first_content,
            "finished": time.monotonic(),
        }


async def serve(chunks: int, delay_ms: float, port: int) -> None:
    upstream = ChatUpstream(chunks, delay_ms)
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", port, limit=MAX_HEAD)
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
        server.close()
        await upstream.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=4, help="content deltas per answer")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="pause between deltas")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.chunks, args.delay_ms, args.port))


if __name__ == "__main__":
    main()
