"""A small HTTP/1.1 client connection pool on h11 and asyncio streams: the per-request hot path.

Measured on a 2-core machine with the proxy pinned to one core, forwarding through
``httpx.AsyncClient`` reached about a tenth of the throughput of forwarding through a bare h11
pool, so requests to providers go through this pool and httpx handles what it does better
(HTTP proxies, see ``upstream/selector.py``). Both sit behind ``UpstreamClient``.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from collections.abc import AsyncIterator

import h11

from cligate.errors import UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnreachableError
from cligate.idle_timer import IdleTimer
from cligate.upstream.body_framing import ChunkedBody, FramingError, LengthBody, body_framing
from cligate.upstream.tls import default_ssl_context
from cligate.upstream.types import Origin, Timeouts, UpstreamRequest

_READ_SIZE = 65536
# How soon after sending a reused connection may die for the request to be retried.
STALE_RETRY_WINDOW = 1.0


class _Connection:
    __slots__ = ("deadline", "h11", "overdue", "reader", "timer", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        # Aborts the connection when a response stalls; idle in the pool it never fires.
        self.timer = IdleTimer(asyncio.get_running_loop(), math.inf, writer.transport.abort)
        # The provider's limit on a whole attempt, when it has one (most have none).
        self.deadline: asyncio.TimerHandle | None = None
        self.overdue = False

    def limit_total(self, seconds: float) -> None:
        if seconds != math.inf:
            self.deadline = asyncio.get_running_loop().call_later(seconds, self._past_deadline)

    def _past_deadline(self) -> None:
        self.deadline = None
        self.overdue = True
        self.writer.transport.abort()

    def unlimit_total(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def is_reusable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    async def read(self) -> bytes:
        data = await self.reader.read(_READ_SIZE)
        self.timer.touch()
        return data

    async def drain(self, timeout: float) -> None:
        if self.writer.transport.get_write_buffer_size() == 0:
            return  # all sent already: nothing to wait for
        async with asyncio.timeout(timeout):
            await self.writer.drain()

    def close(self) -> None:
        self.timer.cancel()
        self.unlimit_total()
        self.writer.close()


class H11Response:
    """A response whose body is read from the connection as the caller iterates."""

    def __init__(
        self,
        pool: H11Pool,
        origin: Origin,
        connection: _Connection,
        response: h11.Response,
        timeouts: Timeouts,
        method: str = "POST",
    ) -> None:
        self.status = response.status_code
        self.headers: list[tuple[bytes, bytes]] = list(response.headers)
        self._pool = pool
        self._origin = origin
        self._timeouts = timeouts
        self._connection: _Connection | None = connection
        self._framing = body_framing(self.status, self.headers, method)
        connection.timer.set_timeout(timeouts.idle)

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        if self._framing is not None:
            async for piece in self._framed_chunks(connection, self._framing):
                yield piece
            return
        # Everything one read brought is yielded as one piece: a provider that sends each SSE
        # event as its own HTTP chunk would otherwise cost a task switch and a client write
        # per event.
        pending: list[bytes] = []
        try:
            while True:
                event = connection.h11.next_event()
                if event is h11.NEED_DATA:
                    if pending:
                        yield b"".join(pending)
                        pending.clear()
                    data = await connection.read()
                    if not data:
                        self._raise_if_timed_out(connection)
                    connection.h11.receive_data(data)
                elif type(event) is h11.Data:
                    pending.append(bytes(event.data))
                elif type(event) is h11.EndOfMessage:
                    self._release()  # before the last yield: the reader may stop there
                    if pending:
                        yield b"".join(pending)
                    return
                else:  # ConnectionClosed or anything unexpected
                    raise UpstreamProtocolError(f"{self._origin.url} closed the response early")
        except h11.RemoteProtocolError as exc:
            if pending:  # what arrived whole before the broken framing still counts
                yield b"".join(pending)
            raise UpstreamProtocolError(
                f"{self._origin.url} broke the HTTP response: {exc}"
            ) from exc
        except (ConnectionError, OSError) as exc:
            self._raise_if_timed_out(connection)
            raise UpstreamProtocolError(
                f"connection to {self._origin.url} failed mid-response: {exc}"
            ) from exc
        finally:
            # An abandoned or failed body leaves the connection in an unknown state.
            await self.aclose()

    async def _framed_chunks(
        self, connection: _Connection, body: ChunkedBody | LengthBody
    ) -> AsyncIterator[bytes]:
        """The body read through ``body_framing``'s decoder; h11 only parsed the head."""
        data = connection.h11.trailing_data[0]
        try:
            while True:
                if data:
                    piece = body.feed(data)
                    if body.done:
                        self._release_fresh(body.leftover)  # before the last yield
                        if piece:
                            yield piece
                        return
                    if piece:
                        yield piece
                data = await connection.read()
                if not data:
                    self._raise_if_timed_out(connection)
                    raise UpstreamProtocolError(f"{self._origin.url} closed the response early")
        except FramingError as exc:
            raise UpstreamProtocolError(
                f"{self._origin.url} broke the HTTP response: {exc}"
            ) from exc
        except (ConnectionError, OSError) as exc:
            self._raise_if_timed_out(connection)
            raise UpstreamProtocolError(
                f"connection to {self._origin.url} failed mid-response: {exc}"
            ) from exc
        finally:
            await self.aclose()

    def _release_fresh(self, leftover: bytes) -> None:
        """The body was read by hand, so h11's state is mid-body: the connection goes back to
        the pool with a new h11 state (a clean message boundary needs no history)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if leftover:  # bytes after the body: the connection's state is unknown
            connection.close()
            return
        connection.h11 = h11.Connection(h11.CLIENT)
        self._pool.release(self._origin, connection)

    def _raise_if_timed_out(self, connection: _Connection) -> None:
        """A read ended because one of our timers aborted the connection: say which."""
        url = self._origin.url
        if connection.overdue:
            raise UpstreamTimeoutError(
                f"{url} did not finish its answer within {self._timeouts.total:g} s (total limit)"
            )
        if connection.timer.expired:
            raise UpstreamTimeoutError(
                f"no data from {url} for {self._timeouts.idle:g} s (idle limit)"
            )

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(self._origin, connection)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class H11Pool:
    """Keeps idle keep-alive connections per origin and reuses them."""

    def __init__(self, timeouts: Timeouts | None = None, max_idle_per_origin: int = 64) -> None:
        self.timeouts = timeouts or Timeouts()
        self._max_idle = max_idle_per_origin
        self._idle: dict[Origin, list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def send(self, request: UpstreamRequest) -> H11Response:
        origin = request.origin
        timeouts = request.timeouts or self.timeouts
        connection = self._take_idle(origin)
        if connection is not None:
            sent_at = asyncio.get_running_loop().time()
            try:
                return await self._exchange(origin, connection, request, timeouts)
            except _StaleConnection:
                connection.close()
                # The provider closed an idle keep-alive connection as we reused it: an
                # immediate close means it never took the request, so one retry on a fresh
                # connection is safe. A close after a while may follow work already done (a
                # generation run twice): that is reported, not retried.
                waited = asyncio.get_running_loop().time() - sent_at
                if waited > STALE_RETRY_WINDOW:
                    raise UpstreamProtocolError(
                        f"{origin.url} closed the connection after {waited:.1f} s without answering"
                    ) from None
        connection = await self._connect(origin, timeouts.connect)
        try:
            return await self._exchange(origin, connection, request, timeouts)
        except _StaleConnection as exc:
            connection.close()
            raise UpstreamProtocolError(
                f"{origin.url} closed the connection without answering"
            ) from exc

    def release(self, origin: Origin, connection: _Connection) -> None:
        connection.timer.set_timeout(math.inf)
        connection.unlimit_total()
        state = connection.h11
        if state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
        elif state.our_state is not h11.IDLE or state.their_state is not h11.IDLE:
            connection.close()  # mid-message: not reusable
            return
        idle = self._idle.setdefault(origin, [])
        if len(idle) < self._max_idle:
            idle.append(connection)
            return
        connection.close()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.is_reusable():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin, connect_timeout: float) -> _Connection:
        ssl_context = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = default_ssl_context()
            ssl_context = self._ssl
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(
                    origin.host,
                    origin.port,
                    ssl=ssl_context,
                    server_hostname=origin.host if ssl_context else None,
                    limit=_READ_SIZE * 4,
                )
        except TimeoutError:
            raise UpstreamUnreachableError(
                f"could not connect to {origin.url} within {connect_timeout:g} s"
            ) from None
        except ssl.SSLError as exc:
            raise UpstreamUnreachableError(f"TLS with {origin.url} failed: {exc}") from exc
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UpstreamUnreachableError(f"could not connect to {origin.url}: {reason}") from exc
        return _Connection(reader, writer)

    async def _exchange(
        self,
        origin: Origin,
        connection: _Connection,
        request: UpstreamRequest,
        timeouts: Timeouts,
    ) -> H11Response:
        state = connection.h11
        headers = [
            (b"host", origin.host_header),
            *request.headers,
            (b"content-length", str(len(request.body)).encode()),
        ]
        wire = state.send(
            h11.Request(method=request.method, target=request.target, headers=headers)
        )
        assert wire is not None
        if request.body:
            data = state.send(h11.Data(data=request.body))
            assert data is not None
            wire += data
        end = state.send(h11.EndOfMessage())
        assert end is not None
        wire += end
        received_any = False
        connection.timer.set_timeout(timeouts.first_byte)
        connection.limit_total(timeouts.total)
        try:
            connection.writer.write(wire)
            await connection.drain(timeouts.write)
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    data = await connection.read()
                    if data:
                        received_any = True
                    elif connection.timer.expired or connection.overdue:
                        connection.close()
                        raise self._no_headers(origin, timeouts)
                    elif not received_any:
                        raise _StaleConnection
                    state.receive_data(data)
                    continue
                if type(event) is h11.Response:
                    return H11Response(self, origin, connection, event, timeouts, request.method)
                if type(event) is h11.InformationalResponse:
                    continue
                raise UpstreamProtocolError(f"{origin.url} closed the connection early")
        except TimeoutError:
            connection.close()
            raise UpstreamTimeoutError(
                f"{origin.url} did not take the request within {timeouts.write:g} s"
            ) from None
        except h11.RemoteProtocolError as exc:
            connection.close()
            raise UpstreamProtocolError(f"{origin.url} sent a malformed response: {exc}") from exc
        except (ConnectionError, OSError) as exc:
            if connection.timer.expired or connection.overdue:
                connection.close()
                raise self._no_headers(origin, timeouts) from exc
            if not received_any:
                raise _StaleConnection from exc
            connection.close()
            raise UpstreamProtocolError(f"connection to {origin.url} failed: {exc}") from exc

    @staticmethod
    def _no_headers(origin: Origin, timeouts: Timeouts) -> UpstreamTimeoutError:
        limit = min(timeouts.first_byte, timeouts.total)
        return UpstreamTimeoutError(f"{origin.url} sent no response headers within {limit:g} s")


class _StaleConnection(Exception):
    """The connection died before a single response byte arrived."""
