"""The selftest's provider on the wire: an HTTP/1.1 server on 127.0.0.1 (h11 over asyncio, in a
daemon thread) that hands each request to ``provider.respond`` and keeps the records."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType
from typing import Any

import h11

from cligate.selftest.answers import Answer, error_answer
from cligate.selftest.provider import Exchange, Request, respond
from cligate.selftest.scripts import Script

_READ_SIZE = 256 * 1024
_MAX_BODY = 32 * 1024 * 1024
_IDLE_TIMEOUT = 120.0


class ScriptedUpstream:
    """``with ScriptedUpstream(script, api_key) as upstream: … upstream.base_url``."""

    def __init__(self, script: Script, api_key: str) -> None:
        self.script = script
        self.api_key = api_key
        self.port = 0
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def start(self) -> ScriptedUpstream:
        self._thread = threading.Thread(target=self._serve, name="selftest-upstream", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None or not self.port:
            raise RuntimeError(f"the selftest upstream did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the loop thread ---------------------------------------------------------------------

    def _serve(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as error:  # reported by start()
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await _read_request(conn, reader, writer)
                if request is None:
                    return
                await _send(conn, writer, self._answer(*request))
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, TimeoutError):
            pass
        except asyncio.CancelledError:  # the server is stopping: end quietly
            writer.transport.abort()
            return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    def _answer(self, request: h11.Request, body: bytes) -> Answer:
        path, _, query = request.target.decode("latin-1").partition("?")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers)
        method = request.method.decode("ascii")
        try:
            answer, exchange = respond(
                self.script, self.api_key, Request(method, path, query, headers, body)
            )
        except Exception as error:  # a bug here must read as one, not as a dead provider
            exchange = Exchange(method, path, None, True, f"error: {error!r}")
            answer = error_answer(None, 500, f"cligate selftest upstream failed: {error!r}")
        with self._lock:
            self._exchanges.append(exchange)
        return answer


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[h11.Request, bytes] | None:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                writer.write(_bytes(conn, h11.InformationalResponse(status_code=100, headers=[])))
            conn.receive_data(await asyncio.wait_for(reader.read(_READ_SIZE), _IDLE_TIMEOUT))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > _MAX_BODY:
                return None
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            return request, bytes(body)
        else:  # the peer closed, or pipelined past the end
            return None


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, answer_: Answer) -> None:
    headers = list(answer_.headers)
    if answer_.events is None:
        headers.append((b"content-length", str(len(answer_.body)).encode()))
        out = _bytes(conn, h11.Response(status_code=answer_.status, headers=headers))
        if answer_.body:
            out += _bytes(conn, h11.Data(data=answer_.body))
    else:  # chunked: one chunk per event, as a streaming provider sends them
        out = _bytes(conn, h11.Response(status_code=answer_.status, headers=headers))
        out += b"".join(_bytes(conn, h11.Data(data=event)) for event in answer_.events)
    writer.write(out + _bytes(conn, h11.EndOfMessage()))
    await writer.drain()


def _bytes(conn: h11.Connection, event: Any) -> bytes:
    return conn.send(event) or b""
