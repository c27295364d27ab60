"""A lean fake provider for bench/suite.py: as little work per request as Python allows.

    python bench/fast_upstream.py [--api-key KEY] [--port 0]

Prints its URL, then serves HTTP/1.1 keep-alive until SIGTERM (a raw asyncio Protocol, no
HTTP library: tests/fake_upstream is a rich fixture and too slow to stay out of the way of
throughput rows):

- ``POST /v1/messages`` (Anthropic) and ``POST /v1/chat/completions`` (Chat): a canned answer.
  ``"stream": true`` in the body asks for SSE: N text deltas (``x-bench-chunks``, default 4),
  each event in its own HTTP chunk, the whole stream rendered once and written at once; with
  ``x-bench-delay-ms`` the deltas are paced instead. Without it, a small JSON message.
- ``GET /bench/last``: the last completion's body size and CRC-32 (to compare what the two
  paths delivered) and the ``time.monotonic()`` instants at which it was read, its first delta
  written and its stream finished (system-wide on Linux, so the client can compare).

Requests without the key (``x-api-key`` or bearer) get 401: the proxy must really add it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import signal
import time
import zlib

from bench.chat_upstream import framed_stream as chat_stream

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_CHUNKS = 100_000
MAX_DELAY_MS = 1000.0
DEFAULT_CHUNKS = 4
STREAM_FLAG = re.compile(rb'"stream"\s*:\s*true')


def _json(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _framed(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _whole(status: int, body: bytes) -> bytes:
    reason = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found"}[status]
    return b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        status,
        reason,
        len(body),
        body,
    )


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
ANTHROPIC_MESSAGE = _whole(
    200,
    _json(
        {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "model": "bench-model",
            "content": [{"type": "text", "text": "hello"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        }
    ),
)
CHAT_COMPLETION = _whole(
    200,
    _json(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "bench-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hello"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
        }
    ),
)
UNAUTHORIZED = _whole(401, b'{"error":{"message":"bad key"}}')
NOT_FOUND = _whole(404, b'{"error":{"message":"not found"}}')


def _event(name: str, payload: dict[str, object]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (name.encode(), _json(payload))


@functools.cache
def anthropic_stream(chunks: int) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """An Anthropic Messages stream in HTTP chunked framing: head events, text deltas, tail."""
    message: dict[str, object] = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "bench-model",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1000, "output_tokens": 1},
    }
    head = _event("message_start", {"type": "message_start", "message": message})
    head += _event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    deltas = tuple(
        _framed(
            _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": f"w{i % 1000:03d} "},
                },
            )
        )
        for i in range(chunks)
    )
    tail = _event("content_block_stop", {"type": "content_block_stop", "index": 0})
    tail += _event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": chunks},
        },
    )
    tail += _event("message_stop", {"type": "message_stop"})
    return _framed(head), deltas, _framed(tail) + b"0\r\n\r\n"


@functools.cache
def whole_stream(chat: bool, chunks: int) -> bytes:
    head, deltas, tail = chat_stream(chunks) if chat else anthropic_stream(chunks)
    return STREAM_HEAD + head + b"".join(deltas) + tail


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lower case, with its leading CRLF) in a lowered head."""
    start = head.find(name)
    if start < 0:
        return None
    end = head.find(b"\r\n", start + len(name))
    return head[start + len(name) : end if end >= 0 else len(head)].strip()


class Last:
    """The last completion, whichever connection served it: what /bench/last reports."""

    instants: dict[str, float] = {}  # noqa: RUF012 (one shared record, on purpose)
    body = b""


class Upstream(asyncio.Protocol):
    def __init__(self, key: bytes) -> None:
        self._credentials = (b"x-api-key: " + key, b"authorization: bearer " + key.lower())
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._paced: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._paced is not None:
            self._paced.cancel()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._serve_buffered()

    def _serve_buffered(self) -> None:
        transport = self._transport
        assert transport is not None
        while self._paced is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    transport.close()
                return
            head = bytes(self._buffer[:end]).lower()
            length = int(_header(head, b"\r\ncontent-length:") or 0)
            if not 0 <= length <= MAX_BODY:
                transport.close()
                return
            if len(self._buffer) < end + 4 + length:
                return
            body = bytes(self._buffer[end + 4 : end + 4 + length])
            del self._buffer[: end + 4 + length]
            self._answer(transport, head, body)

    def _answer(self, transport: asyncio.Transport, head: bytes, body: bytes) -> None:
        line = head[: head.find(b"\r\n")]
        if line.startswith(b"get /bench/last "):
            report = {**Last.instants, "body_crc32": zlib.crc32(Last.body)}
            transport.write(_whole(200, _json(report)))
            return
        chat = line.startswith(b"post /v1/chat/completions ")
        if not chat and not line.startswith(b"post /v1/messages "):
            transport.write(NOT_FOUND)
            return
        if not any(credential in head for credential in self._credentials):
            transport.write(UNAUTHORIZED)
            return
        received = time.monotonic()
        Last.body = body
        Last.instants = {"body_bytes": len(body), "received": received}
        if not STREAM_FLAG.search(body):
            transport.write(CHAT_COMPLETION if chat else ANTHROPIC_MESSAGE)
            return
        asked = int(_header(head, b"\r\nx-bench-chunks:") or DEFAULT_CHUNKS)
        chunks = min(MAX_CHUNKS, max(1, asked))
        delay_ms = float(_header(head, b"\r\nx-bench-delay-ms:") or 0)
        if delay_ms <= 0:
            transport.write(whole_stream(chat, chunks))
            Last.instants.update(first_content=received, finished=time.monotonic())
            return
        delay = min(MAX_DELAY_MS, delay_ms) / 1000
        self._paced = asyncio.get_running_loop().create_task(
            self._pace(transport, chat, chunks, delay)
        )

    async def _pace(
        self, transport: asyncio.Transport, chat: bool, chunks: int, delay: float
    ) -> None:
        head, deltas, tail = chat_stream(chunks) if chat else anthropic_stream(chunks)
        transport.write(STREAM_HEAD + head + deltas[0])
        Last.instants["first_content"] = time.monotonic()
        for delta in deltas[1:]:
            await asyncio.sleep(delay)
            if transport.is_closing():
                return
            transport.write(delta)
        transport.write(tail)
        Last.instants["finished"] = time.monotonic()
        self._paced = None
        self._serve_buffered()  # a request that came in meanwhile (the client does not pipeline)


async def serve(key: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Upstream(key.encode()), "127.0.0.1", port, backlog=1024
    )
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    parent = os.getppid()

    def watch_parent() -> None:  # a benchmark killed before its SIGTERM must not leave us
        if os.getppid() != parent:
            stop.set()
        else:
            loop.call_later(1.0, watch_parent)

    watch_parent()
    await stop.wait()
    server.close()  # without waiting for the proxy's pooled connections to go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-key", default="bench-upstream-key")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.api_key, args.port))


if __name__ == "__main__":
    main()
