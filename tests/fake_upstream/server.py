"""The fake provider server: h11 over asyncio streams, in a background daemon thread."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Any

import h11

from . import wire_anthropic, wire_chat, wire_gemini, wire_responses
from .model import (
    BadSseData,
    CutMidUtf8,
    CutStream,
    Fault,
    Hang,
    HttpError,
    MalformedJson,
    Protocol,
    RecordedRequest,
    Reply,
    Reset,
    SlowFirstByte,
    StallStream,
    Turn,
    UnterminatedEvent,
    estimate_usage,
)
from .parse import parse_turn
from .routes import AUTH_MESSAGES, MODEL_LISTS, Route, authorized, route
from .scripts import Script, TextReply, answer
from .wire import JSON_TYPE, Rendered, error_answer

READ_SIZE = 256 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_REQUESTS_PER_CONNECTION = 100_000
MAX_READS_PER_REQUEST = MAX_BODY // 1024 + 16
Headers = tuple[tuple[str, str], ...]
# Faults that shape the answer as it is written (see `_send`).
Shaping = CutStream | Reset | BadSseData | UnterminatedEvent | CutMidUtf8 | StallStream
_OUTCOMES: dict[type, str] = {
    StallStream: "fault:stall",
    CutStream: "fault:cut",
    Reset: "fault:reset",
    BadSseData: "fault:bad-sse-data",
    UnterminatedEvent: "fault:unterminated-event",
    CutMidUtf8: "fault:cut-utf8",
}


class FakeUpstream:
    """A scripted model provider on http://127.0.0.1:PORT speaking four protocols.

    Use as a context manager (or call start()/stop()). `api_key=None` disables auth checks.
    `stream_delay` (seconds) paces SSE events; 0 writes a whole stream at once.
    `gemini_call_ids=False` answers Gemini function calls without an `id` (as Gemini models
    often do); `gemini_signatures=False` leaves out the thought signature Gemini's thinking
    models put on the first function call of an answer.
    """

    def __init__(
        self,
        api_key: str | None = "test-key",
        script: Script | None = None,
        fault: Fault | None = None,
        *,
        port: int = 0,
        stream_delay: float = 0.0,
        idle_timeout: float = 120.0,
        models: tuple[str, ...] = ("fake-large", "fake-small", "vendor/fake-slug"),
        gemini_call_ids: bool = True,
        gemini_signatures: bool = True,
    ) -> None:
        self.api_key = api_key
        # Gemini answers: an `id` on each function call; a thought signature on the first.
        self.gemini_call_ids = gemini_call_ids
        self.gemini_signatures = gemini_signatures
        self.stream_delay = stream_delay
        self.idle_timeout = idle_timeout
        self.models = models  # what GET /v1/models and /v1beta/models list
        self._requested_port = port
        self._script: Script = script if script is not None else TextReply("Hello from the fake.")
        self._fault: Fault | None = fault
        self._fault_left: int | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self.port = 0

    # ------------------------------------------------------------------ public API

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests were recorded (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    break
            return list(self._requests)

    @property
    def script(self) -> Script:
        return self._script

    def set_script(self, script: Script) -> None:
        with self._lock:
            self._script = script

    def set_fault(self, fault: Fault | None, times: int | None = None) -> None:
        """Apply `fault` to the next `times` model requests (None = until changed)."""
        with self._lock:
            self._fault = fault
            self._fault_left = times

    def start(self) -> FakeUpstream:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="fake-upstream", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        if self._startup_error is not None:
            raise RuntimeError("fake upstream failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ loop thread

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self._requested_port, backlog=512)
            )
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported to start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            # Every task, not only tracked connections: one accepted just before the stop may
            # not be registered yet.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def _take_fault(self) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is not None and self._fault_left is not None:
                self._fault_left -= 1
                if self._fault_left <= 0:
                    self._fault, self._fault_left = None, None
            return fault

    def _record(self, item: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(item)
            self._changed.notify_all()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        cancelled = False
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                got = await self._read_request(conn, reader, writer)
                if got is None:
                    return
                keep = await self._respond(conn, writer, *got)
                if not keep or conn.our_state is not h11.DONE:
                    return
                if conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, TimeoutError):
            pass
        except asyncio.CancelledError:  # server shutdown; end quietly
            cancelled = True
        finally:
            if task is not None:
                self._connections.discard(task)
            await _close(writer, cancelled)

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[h11.Request, bytes] | None:
        request: h11.Request | None = None
        chunks: list[bytes] = []
        size = 0
        for _ in range(MAX_READS_PER_REQUEST):
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    continue_ = h11.InformationalResponse(status_code=100, headers=[])
                    writer.write(_out(conn, continue_))
                data = await asyncio.wait_for(reader.read(READ_SIZE), self.idle_timeout)
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_BODY:
                    return None
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                return request, chunks[0] if len(chunks) == 1 else b"".join(chunks)
            else:  # ConnectionClosed, PAUSED
                return None
        return None

    async def _respond(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, req: h11.Request, body: bytes
    ) -> bool:
        method = req.method.decode("ascii")
        path, _, query = req.target.decode("latin-1").partition("?")
        headers: Headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in req.headers)
        found = route(method, path)

        def record(
            protocol: Protocol | None,
            data: Any,
            outcome: str,
            turn: Turn | None = None,
            reply: Reply | None = None,
        ) -> None:
            self._record(
                RecordedRequest(
                    method, path, query, headers, body, data, protocol, outcome, turn, reply
                )
            )

        if found is None:
            if method == "GET" and path in MODEL_LISTS:
                listing = self._model_listing(path, headers, query)
                record(None, None, "models" if listing.status == 200 else "error:401")
                return await self._send(conn, writer, listing, None)
            if path == "/" and method in ("HEAD", "GET"):
                record(None, None, "preconnect")
                ok = Rendered(200, (), b"" if method == "HEAD" else b"ok")
                return await self._send(conn, writer, ok, None)
            record(None, None, "error:404")
            return await self._send(conn, writer, error_answer(None, 404, "not found"), None)
        protocol = found.protocol
        try:
            data = json.loads(body) if body else None
        except ValueError:
            record(protocol, None, "error:400")
            answer400 = error_answer(protocol, 400, "request body is not valid JSON")
            return await self._send(conn, writer, answer400, None)
        turn = parse_turn(protocol, data, path, len(body))
        if not authorized(protocol, self.api_key, headers, query):
            record(protocol, data, "error:401", turn)
            answer401 = error_answer(protocol, 401, AUTH_MESSAGES[protocol])
            return await self._send(conn, writer, answer401, None)
        fault = self._take_fault()
        if isinstance(fault, HttpError):
            record(protocol, data, f"error:{fault.status}", turn)
            rendered = error_answer(protocol, fault.status, fault.message, fault.retry_after)
            return await self._send(conn, writer, rendered, None)
        if isinstance(fault, Hang):
            record(protocol, data, "fault:hang", turn)
            await asyncio.sleep(fault.seconds)
            return False
        if isinstance(fault, Reset) and fault.after_events <= 0:
            record(protocol, data, "fault:reset", turn)
            await _reset(writer)
            return False
        if isinstance(fault, SlowFirstByte):
            await asyncio.sleep(fault.seconds)
        reply: Reply | None = None
        try:
            if isinstance(fault, MalformedJson):
                turn = dataclasses.replace(turn, stream=False)
            rendered, reply = self._answer(found, turn, data, query)
            outcome = reply.outcome if reply is not None else "count_tokens"
        except Exception as exc:  # a broken custom script: say so instead of dropping the line
            rendered = error_answer(protocol, 500, f"fake upstream script failed: {exc!r}")
            outcome = "error:500"
        shaping = fault if isinstance(fault, Shaping) else None
        if isinstance(fault, MalformedJson):
            if rendered.status == 200:
                broken = rendered.body[: len(rendered.body) // 2]
                rendered, outcome = Rendered(200, (JSON_TYPE,), body=broken), "fault:bad-json"
        elif isinstance(fault, CutMidUtf8) and _first_multibyte(rendered) is None:
            message = "fake upstream: CutMidUtf8 needs a non-ASCII character in the answer"
            rendered, outcome, shaping = error_answer(protocol, 500, message), "error:500", None
        elif shaping is not None and _applies(shaping, rendered):
            outcome = _OUTCOMES[type(shaping)]
        record(protocol, data, outcome, turn, reply)
        return await self._send(conn, writer, rendered, shaping)

    def _model_listing(self, path: str, headers: Headers, query: str) -> Rendered:
        """GET /v1/models (Anthropic and OpenAI shapes are both "data" lists) or the Gemini
        /v1beta/models list, naming ``self.models``."""
        protocol: Protocol = "gemini" if path.startswith("/v1beta") else "chat"
        if not authorized(protocol, self.api_key, headers, query) and not authorized(
            "anthropic", self.api_key, headers, query
        ):
            return error_answer(protocol, 401, AUTH_MESSAGES[protocol])
        body: dict[str, Any]
        if protocol == "gemini":
            body = {"models": [{"name": f"models/{m}", "displayName": m} for m in self.models]}
        else:
            body = {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
        json_type = ((b"content-type", b"application/json"),)
        return Rendered(200, json_type, json.dumps(body).encode())

    def _answer(
        self, found: Route, turn: Turn, data: Any, query: str
    ) -> tuple[Rendered, Reply | None]:
        """The rendered answer and the script's reply (None for count_tokens)."""
        if found.endpoint == "count_tokens":
            return wire_anthropic.count_tokens(turn), None
        reply = answer(self._script, turn)
        usage = estimate_usage(turn, reply)
        if found.protocol == "anthropic":
            return wire_anthropic.render(turn, reply, usage), reply
        if found.protocol == "responses":
            return wire_responses.render(turn, reply, usage), reply
        if found.protocol == "chat":
            options = data.get("stream_options") if isinstance(data, dict) else None
            include = isinstance(options, dict) and options.get("include_usage") is True
            return wire_chat.render(turn, reply, usage, include), reply
        sse = "alt=sse" in query
        rendered = wire_gemini.render(
            turn,
            reply,
            usage,
            sse,
            call_ids=self.gemini_call_ids,
            signatures=self.gemini_signatures,
        )
        return rendered, reply

    async def _send(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        rendered: Rendered,
        fault: Shaping | None,
    ) -> bool:
        """Write an answer, shaped by `fault`; False when the connection must be dropped."""
        headers = list(rendered.headers)
        if rendered.events is None:
            body = rendered.body
            headers.append((b"content-length", str(len(body)).encode()))
            head = _out(conn, h11.Response(status_code=rendered.status, headers=headers))
            stop = _body_stop(fault, body)
            if stop is not None:  # fewer bytes than the content-length, then a close or reset
                writer.write(head + body[:stop])
                await writer.drain()
                if isinstance(fault, Reset):
                    await _reset(writer)
                return False
            if body:
                head += _out(conn, h11.Data(data=body))
            writer.write(head + _out(conn, h11.EndOfMessage()))
            await writer.drain()
            return True
        writer.write(_out(conn, h11.Response(status_code=rendered.status, headers=headers)))
        events, partial = _shape_events(rendered.events, fault)
        parts: list[bytes] = []
        for number, event in enumerate(events, 1):
            parts.append(_out(conn, h11.Data(data=event)))
            if isinstance(fault, StallStream) and number == fault.after_events:
                writer.write(b"".join(parts))
                parts.clear()
                await writer.drain()
                await asyncio.sleep(fault.seconds)
            if self.stream_delay > 0:
                writer.write(b"".join(parts))
                parts.clear()
                await writer.drain()
                await asyncio.sleep(self.stream_delay)
        if partial:
            parts.append(_out(conn, h11.Data(data=partial)))
        if isinstance(fault, CutStream | Reset | CutMidUtf8):
            writer.write(b"".join(parts))
            await writer.drain()
            if isinstance(fault, Reset):
                await _reset(writer)
            return False
        parts.append(_out(conn, h11.EndOfMessage()))
        writer.write(b"".join(parts))
        await writer.drain()
        return True


def _applies(fault: Shaping, rendered: Rendered) -> bool:
    """Whether a fault changes this answer (SSE faults leave whole answers alone)."""
    return rendered.events is not None or not isinstance(
        fault, BadSseData | UnterminatedEvent | StallStream
    )


def _first_multibyte(rendered: Rendered) -> int | None:
    """The offset of the first lead byte of a multi-byte UTF-8 character in the answer."""
    data = rendered.body if rendered.events is None else b"".join(rendered.events)
    for offset, byte in enumerate(data):
        if byte >= 0xC0:
            return offset
    return None


def _body_stop(fault: Shaping | None, body: bytes) -> int | None:
    """Where a whole answer stops early, or None when it is sent whole."""
    if isinstance(fault, CutStream | Reset):
        return len(body) // 2
    if isinstance(fault, CutMidUtf8):
        lead = _first_multibyte(Rendered(200, (), body=body))
        return None if lead is None else lead + 1
    return None


def _shape_events(
    events: tuple[bytes, ...], fault: Shaping | None
) -> tuple[tuple[bytes, ...], bytes]:
    """The whole events to send and a partial one after them (b"" for none)."""
    if isinstance(fault, CutStream | Reset):
        return events[: max(0, fault.after_events)], b""
    if isinstance(fault, BadSseData):
        at = max(0, min(fault.after_events, len(events)))
        model = events[at] if at < len(events) else (events[-1] if events else b"")
        crlf = model.endswith(b"\r\n\r\n")
        newline = b"\r\n" if crlf else b"\n"
        named = model.split(newline, 1)[0] + newline if model.startswith(b"event:") else b""
        bad = named + b"data: " + fault.data.encode() + newline + newline
        return (*events[:at], bad, *events[at:]), b""
    if isinstance(fault, UnterminatedEvent):
        if not events or not -len(events) <= fault.index < len(events):
            return events, b""
        at = fault.index % len(events)
        event = events[at]
        cut = 2 if event.endswith(b"\r\n\r\n") else 1 if event.endswith(b"\n\n") else 0
        return (*events[:at], event[: len(event) - cut], *events[at + 1 :]), b""
    if isinstance(fault, CutMidUtf8):
        for at, event in enumerate(events):
            lead = next((i for i, byte in enumerate(event) if byte >= 0xC0), None)
            if lead is not None:
                return events[:at], event[: lead + 1]
    return events, b""


def _out(conn: h11.Connection, event: h11.Event) -> bytes:
    return conn.send(event) or b""


async def _reset(writer: asyncio.StreamWriter) -> None:
    """Send what is buffered, then abort with a TCP RST (SO_LINGER on, timeout 0)."""
    for _ in range(1000):  # at most about a second for the peer to take the buffered bytes
        if writer.transport.get_write_buffer_size() == 0:
            break
        await asyncio.sleep(0.001)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _close(writer: asyncio.StreamWriter, abort: bool) -> None:
    """Close after flushing what was written (a cut stream keeps its partial events)."""
    if abort:
        writer.transport.abort()
        return
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 5)
    except (Exception, asyncio.CancelledError):
        writer.transport.abort()
