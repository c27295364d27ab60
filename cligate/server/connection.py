"""One client connection: the h11 NEED_DATA loop on asyncio streams.

Knows HTTP and nothing about protocols: it reads a request (capped), asks the guard whether the
caller may proceed, hands the request to the handler and writes the response, streaming bodies
chunk by chunk as they arrive.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable

import h11

from cligate.idle_timer import IdleTimer
from cligate.server.guard import Guard
from cligate.server.limits import ServerLimits
from cligate.server.messages import Handler, IncomingRequest, OutgoingResponse

_READ_SIZE = 65536
logger = logging.getLogger("cligate.server")

# Builds an error response in the calling tool's protocol: (status, message, path) → response.
ErrorResponder = Callable[[int, str, str], OutgoingResponse]


class _RequestRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


class ClientConnection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        guard: Guard,
        handler: Handler,
        error_responder: ErrorResponder,
        limits: ServerLimits,
        draining: Callable[[], bool] | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._guard = guard
        self._handler = handler
        self._error = error_responder
        self._limits = limits
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        # One lazily re-armed timer for the connection's idle, read and write allowances.
        self._timer = IdleTimer(
            asyncio.get_running_loop(), limits.idle_timeout, writer.transport.abort
        )
        self._answering_head = False  # a HEAD request's response carries no body
        # The server is shutting down: finish the request in hand, take no other.
        self._draining = draining or (lambda: False)
        self.busy = False  # a request is in hand (from its head to the end of its answer)

    async def serve(self) -> None:
        try:
            while await self._serve_one() and not self._draining():
                self._h11.start_next_cycle()
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away or stalled (a timer aborted it); nothing to tell it
        except Exception:  # a bug: never let it kill the server, never leave the client hanging
            logger.exception("cligate: connection failed")
        finally:
            self._timer.cancel()
            self._writer.close()

    async def _next_event(self) -> h11.Event:
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            if self._h11.they_are_waiting_for_100_continue:
                await self._send(h11.InformationalResponse(status_code=100, headers=[]))
            data = await self._reader.read(_READ_SIZE)
            self._timer.touch()
            self._h11.receive_data(data)

    async def _next_head(self) -> h11.Event:
        """The next request's head, or the end of the connection. Waiting for its first byte
        is idle time; from then on the whole head must arrive within header_timeout, and reads
        no longer re-arm the timer, so trickled bytes cannot hold the connection open."""
        begun = False
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            if not begun and self._h11.trailing_data[0]:
                begun = True
                self._timer.set_timeout(self._limits.header_timeout)
            self._h11.receive_data(await self._reader.read(_READ_SIZE))

    async def _serve_one(self) -> bool:
        """Serve one request; return whether the connection can take another."""
        limits = self._limits
        try:
            self._timer.set_timeout(limits.idle_timeout)
            event = await self._next_head()
            if type(event) is h11.ConnectionClosed:
                return False
            assert type(event) is h11.Request
            self.busy = True
            self._answering_head = event.method == b"HEAD"
            self._timer.set_timeout(limits.read_timeout)
            request = await self._read_request(event)
        except _RequestRejected as rejected:
            await self._write_rejection(rejected.status, rejected.message, "")
            return False
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint
            message = f"cligate: malformed HTTP request: {exc}"
            if status == 431:
                message = "cligate: request headers are too large"
            await self._write_rejection(status, message, "")
            return False

        # While the provider works and its answer streams back, the provider's own timeouts
        # apply; a client that stops reading is caught in _drain.
        self._timer.set_timeout(math.inf)
        try:
            response = await self._handler(request)
        except Exception as exc:
            logger.exception("cligate: handler failed")
            response = self._error(500, f"cligate: internal error: {exc!r}", request.path)
        await self._write_response(response)
        self.busy = False
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    async def _read_request(self, event: h11.Request) -> IncomingRequest:
        # h11's header sequence iterates slowly (item by item through the Sequence protocol):
        # it is copied once into a list and only the list is read.
        headers = list(event.headers)
        # h11 caps only a head that is still incomplete; one that arrived whole is checked here.
        head_size = len(event.target) + sum(len(n) + len(v) + 4 for n, v in headers)
        if head_size > self._limits.max_header_bytes:
            raise _RequestRejected(431, "cligate: request headers are too large")
        limit = self._limits.max_body_bytes
        for name, value in headers:
            if name == b"content-length" and int(value) > limit:
                raise _RequestRejected(413, f"cligate: request body is over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            body_event = await self._next_event()
            if type(body_event) is h11.Data:
                size += len(body_event.data)
                if size > limit:
                    raise _RequestRejected(413, f"cligate: request body is over {limit} bytes")
                chunks.append(bytes(body_event.data))
            elif type(body_event) is h11.EndOfMessage:
                break
            else:
                raise ConnectionError("client closed the connection mid-request")
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        # Checked after the body is read, so the caller sees the 401/403 instead of a reset.
        target = event.target.decode("latin-1")
        verdict = self._guard.check(target, headers)
        if not verdict.allowed:
            raise _RequestRejected(verdict.status, f"cligate: {verdict.reason}")
        return IncomingRequest(
            method=event.method.decode("ascii"),
            target=verdict.target,
            headers=headers,
            body=body,
            client=verdict.client,
        )

    async def _write_rejection(self, status: int, message: str, path: str) -> None:
        if self._h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        response = self._error(status, message, path)
        response.headers.append((b"connection", b"close"))
        await self._write_response(response)

    async def _write_response(self, response: OutgoingResponse) -> None:
        body = response.body
        headers = response.headers
        if self._answering_head and not isinstance(body, bytes):
            await _close_iterator(body)
            if response.close is not None:
                await response.close()
                response.close = None
            body = b""
        elif self._answering_head:
            body = b""
        if isinstance(body, bytes):
            headers.append((b"content-length", str(len(body)).encode()))
            data = self._h11.send(h11.Response(status_code=response.status, headers=headers))
            assert data is not None
            if body:
                more = self._h11.send(h11.Data(data=body))
                assert more is not None
                data += more
            end = self._h11.send(h11.EndOfMessage())
            assert end is not None
            self._writer.write(data + end)
            try:
                await self._drain()
            finally:
                if response.close is not None:  # after the answer is out, not before
                    await response.close()
            return
        try:
            await self._write_stream(response.status, headers, body, response.abort_event)
        finally:
            if response.close is not None:
                await response.close()

    async def _write_stream(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        chunks: AsyncIterator[bytes],
        abort_event: Callable[[], bytes] | None = None,
    ) -> None:
        # A stream may wait minutes for its next chunk (a provider thinking in silence): a
        # client gone meanwhile must end it now, not at the next write, so the provider's
        # request is cancelled. One watcher per stream (not per chunk) keeps this cheap.
        streaming = asyncio.current_task()
        assert streaming is not None
        watcher = asyncio.create_task(self._watch_for_client_leaving(streaming))
        try:
            try:
                await self._send(h11.Response(status_code=status, headers=headers))
                # h11 frames each piece as an HTTP chunk after checking its state: for a stream
                # of a thousand pieces that is most of cligate's work, so when the body is
                # chunked (HTTP/1.1, no length) the framing is written here; h11 still ends
                # the body (its state does not depend on the pieces sent).
                framed = self._h11.their_http_version == b"1.1" and not any(
                    name.lower() == b"content-length" for name, _ in headers
                )
                write = self._writer.write
                async for chunk in chunks:
                    if not chunk:
                        continue
                    # Each chunk goes out as soon as it arrives: SSE is never buffered.
                    if framed:
                        write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                        await self._drain()
                    else:
                        await self._send(h11.Data(data=chunk))
            finally:
                watcher.cancel()
                await _close_iterator(chunks)
                # The next request reads from the same stream: the watcher must be gone.
                await asyncio.wait({watcher})
            await self._send(h11.EndOfMessage())
        except asyncio.CancelledError:
            if not (watcher.done() and not watcher.cancelled() and watcher.result()):
                await self._abort_stream(abort_event)
                raise  # cancelled from outside (shutdown): not ours to swallow
            streaming.uncancel()
            raise ConnectionResetError("the client closed the connection mid-stream") from None

    async def _abort_stream(self, abort_event: Callable[[], bytes] | None) -> None:
        """The server is cutting this stream short: end it with the protocol's error event
        and a proper end of body, if the client can still be written to (best effort)."""
        if abort_event is None or self._h11.our_state is not h11.SEND_BODY:
            return
        try:
            data = self._h11.send(h11.Data(data=abort_event()))
            end = self._h11.send(h11.EndOfMessage())
            self._writer.write((data or b"") + (end or b""))
            if self._writer.transport.get_write_buffer_size():
                async with asyncio.timeout(1.0):
                    await asyncio.shield(self._writer.drain())
        except (Exception, asyncio.CancelledError):
            pass  # the client is gone or slow: nothing more to do for it

    async def _watch_for_client_leaving(self, streaming: asyncio.Task[None]) -> bool:
        """Read from the client while its answer streams; at end of file cancel ``streaming``
        and return True. Bytes that arrive (a pipelined next request) go to h11 for the next
        cycle, up to one request head's worth; past that, reading stops (no growth)."""
        kept = 0
        while kept <= self._limits.max_header_bytes:
            try:
                data = await self._reader.read(_READ_SIZE)
            except (ConnectionError, OSError):
                data = b""  # a reset (a client closing with our bytes unread): gone too
            if not data:
                streaming.cancel()
                return True
            kept += len(data)
            self._h11.receive_data(data)
        return False

    async def _send(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data:
            self._writer.write(data)
            await self._drain()

    async def _drain(self) -> None:
        transport = self._writer.transport
        if transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        if transport.get_write_buffer_size() == 0:
            return  # all sent already: the common case, with nothing to wait for
        async with asyncio.timeout(self._limits.write_timeout):
            await self._writer.drain()


async def _close_iterator(chunks: AsyncIterator[bytes]) -> None:
    """Run the body generator's clean-up (it releases the upstream connection)."""
    closer = getattr(chunks, "aclose", None)
    if closer is not None:
        await closer()
