"""A small HTTP/1.1 client connection pool on asyncio streams: the per-request hot path.

Measured on a 2-core machine with the proxy pinned to one core, forwarding through
``httpx.AsyncClient`` reached about a tenth of the throughput of forwarding through a bare
h11 pool, and h11 itself then cost about a sixth of cligate's CPU per request; so requests to
providers go through this pool, whose HTTP is written by hand (``http1.py`` for heads,
``body_framing.py`` for bodies), and httpx handles what it does better (HTTP proxies, see
``upstream/selector.py``). Both sit behind ``UpstreamClient``.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from collections.abc import AsyncIterator

from cligate.errors import UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnreachableError
from cligate.idle_timer import IdleTimer
from cligate.upstream.body_framing import BodyReader, FramingError, UntilCloseBody, body_reader
from cligate.upstream.http1 import ResponseHeadError, parse_response_head, request_head
from cligate.upstream.tls import default_ssl_context
from cligate.upstream.types import Origin, Timeouts, UpstreamRequest

_READ_SIZE = 65536
# How soon after sending a reused connection may die for the request to be retried.
STALE_RETRY_WINDOW = 1.0


class _Connection:
    __slots__ = ("deadline", "overdue", "reader", "timer", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
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


class PooledResponse:
    """A response whose body is read from the connection as the caller iterates."""

    def __init__(
        self,
        pool: ConnectionPool,
        origin: Origin,
        connection: _Connection,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: BodyReader,
        received: bytes,
        keep_alive: bool,
        timeouts: Timeouts,
    ) -> None:
        self.status = status
        self.headers = headers
        self._pool = pool
        self._origin = origin
        self._connection: _Connection | None = connection
        self._body = body
        self._received = received  # body bytes that came with the head
        self._keep_alive = keep_alive
        self._timeouts = timeouts
        connection.timer.set_timeout(timeouts.idle)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The payload, one piece per read: a provider that sends each SSE event as its own
        HTTP chunk would otherwise cost a task switch and a client write per event."""
        connection = self._connection
        if connection is None:
            return
        body, data = self._body, self._received
        self._received = b""
        try:
            while True:
                if data or body.done:
                    piece = body.feed(data) if data else b""
                    if body.done:
                        self._release(body.leftover)  # before the last yield: it may be last
                        if piece:
                            yield piece
                        return
                    if piece:
                        yield piece
                data = await connection.read()
                if not data:
                    self._raise_if_timed_out(connection)
                    if isinstance(body, UntilCloseBody):
                        connection.close()  # the close was the body's end
                        self._connection = None
                        return
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
            # An abandoned or failed body leaves the connection in an unknown state.
            await self.aclose()

    def _release(self, leftover: bytes) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if leftover or not self._keep_alive:  # bytes after the body: state unknown
            connection.close()
            return
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

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class ConnectionPool:
    """Keeps idle keep-alive connections per origin and reuses them."""

    def __init__(self, timeouts: Timeouts | None = None, max_idle_per_origin: int = 64) -> None:
        self.timeouts = timeouts or Timeouts()
        self._max_idle = max_idle_per_origin
        self._idle: dict[Origin, list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def send(self, request: UpstreamRequest) -> PooledResponse:
        origin = request.origin
        timeouts = request.timeouts or self.timeouts
        try:
            head = request_head(
                request.method,
                request.target,
                origin.host_header,
                request.headers,
                len(request.body),
            )
        except ValueError as exc:
            raise UpstreamProtocolError(f"cannot send to {origin.url}: {exc}") from None
        connection = self._take_idle(origin)
        if connection is not None:
            sent_at = asyncio.get_running_loop().time()
            try:
                return await self._exchange(origin, connection, request, head, timeouts)
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
            return await self._exchange(origin, connection, request, head, timeouts)
        except _StaleConnection as exc:
            connection.close()
            raise UpstreamProtocolError(
                f"{origin.url} closed the connection without answering"
            ) from exc

    def release(self, origin: Origin, connection: _Connection) -> None:
        connection.timer.set_timeout(math.inf)
        connection.unlimit_total()
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
        head: bytes,
        timeouts: Timeouts,
    ) -> PooledResponse:
        received = b""
        connection.timer.set_timeout(timeouts.first_byte)
        connection.limit_total(timeouts.total)
        try:
            connection.writer.write(head + request.body if request.body else head)
            await connection.drain(timeouts.write)
            while True:
                data = await connection.read()
                if not data:
                    if connection.timer.expired or connection.overdue:
                        connection.close()
                        raise self._no_headers(origin, timeouts)
                    if not received:
                        raise _StaleConnection
                    raise UpstreamProtocolError(f"{origin.url} closed the connection early")
                received += data
                while (parsed := parse_response_head(received)) is not None:
                    response, used = parsed
                    received = received[used:]
                    if 100 <= response.status < 200:
                        continue  # an interim answer (100 Continue…): the real one follows
                    body = body_reader(response.status, response.headers, request.method)
                    return PooledResponse(
                        self,
                        origin,
                        connection,
                        response.status,
                        response.headers,
                        body,
                        received,
                        response.keep_alive,
                        timeouts,
                    )
        except TimeoutError:
            connection.close()
            raise UpstreamTimeoutError(
                f"{origin.url} did not take the request within {timeouts.write:g} s"
            ) from None
        except (ResponseHeadError, FramingError) as exc:
            connection.close()
            raise UpstreamProtocolError(f"{origin.url} sent a malformed response: {exc}") from exc
        except (ConnectionError, OSError) as exc:
            if connection.timer.expired or connection.overdue:
                connection.close()
                raise self._no_headers(origin, timeouts) from exc
            if not received:
                raise _StaleConnection from exc
            connection.close()
            raise UpstreamProtocolError(f"connection to {origin.url} failed: {exc}") from exc

    @staticmethod
    def _no_headers(origin: Origin, timeouts: Timeouts) -> UpstreamTimeoutError:
        limit = min(timeouts.first_byte, timeouts.total)
        return UpstreamTimeoutError(f"{origin.url} sent no response headers within {limit:g} s")


class _StaleConnection(Exception):
    """The connection died before a single response byte arrived."""
