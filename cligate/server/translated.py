"""Answering a client from a provider of another protocol: the I/O around ``protocols/translate``.

Streams are translated as they arrive; long silences get the client protocol's keep-alive
(Anthropic's ping) so neither the client nor anything in between gives up on a model that is
thinking; a provider error becomes the client protocol's error with the provider's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from cligate.errors import UpstreamError
from cligate.protocols import ir
from cligate.protocols.codecs import ClientView, Codec
from cligate.protocols.translate import (
    StreamTranslator,
    response_as_stream,
    translate_error,
    translate_response,
)
from cligate.server.error_answers import error_response
from cligate.server.forwarding import is_event_stream
from cligate.server.messages import OutgoingResponse, RawHeaders
from cligate.upstream.types import UpstreamResponse

logger = logging.getLogger("cligate.proxy")

# Longest a provider's error or whole answer may be; streams are not limited.
_WHOLE_BODY_LIMIT = 32 * 1024 * 1024
# After the client's stream is complete, how long to wait for the provider's body to end, so
# the connection can be reused rather than dropped.
_DRAIN_SECONDS = 1.0
# How much of a provider's stream is translated before the result is sent on.
_SLICE = 16 * 1024
_JSON = (b"content-type", b"application/json")
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
# Headers of a provider's answer worth passing on whatever the protocol.
_KEPT = frozenset({b"retry-after", b"x-request-id", b"request-id"})


@dataclass(frozen=True, slots=True)
class Exchange:
    client: Codec
    upstream: Codec
    view: ClientView
    stream: bool  # the client asked for a stream
    provider: str  # the provider's name, for messages
    keepalive_seconds: float
    # Told when the client's stream ends in an error event (its record says so).
    on_failure: Callable[[str], None] | None = None


async def answer(response: UpstreamResponse, exchange: Exchange) -> OutgoingResponse:
    kept: RawHeaders = [(n, v) for n, v in response.headers if n in _KEPT]
    if not 200 <= response.status < 300:
        body = await _read_whole(response, exchange)
        if isinstance(body, OutgoingResponse):
            return body
        message = translate_error(
            exchange.client, exchange.upstream, response.status, body, exchange.provider
        )
        return OutgoingResponse(response.status, [_JSON, *kept], message)
    if is_event_stream(response.headers):
        if not exchange.stream:
            await response.aclose()
            return _failure(exchange, 502, "streamed an answer that was asked for whole")
        translator = StreamTranslator.between(
            exchange.client, exchange.upstream, exchange.view, exchange.provider
        )
        events = _relay(response, translator, exchange)
        return OutgoingResponse(200, [*_SSE, *kept], events, response.aclose)
    body = await _read_whole(response, exchange)
    if isinstance(body, OutgoingResponse):
        return body
    try:
        if exchange.stream:
            converted = response_as_stream(exchange.client, exchange.upstream, body, exchange.view)
            return OutgoingResponse(200, [*_SSE, *kept], converted)
        converted = translate_response(exchange.client, exchange.upstream, body, exchange.view)
    except ir.DecodeError as exc:
        return _failure(exchange, 502, f"sent an answer cligate cannot read: {exc}")
    return OutgoingResponse(200, [_JSON, *kept], converted)


def _failure(exchange: Exchange, status: int, what: str) -> OutgoingResponse:
    return error_response(
        exchange.client.protocol, status, f"cligate: provider '{exchange.provider}' {what}"
    )


async def _read_whole(response: UpstreamResponse, exchange: Exchange) -> bytes | OutgoingResponse:
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.chunks():
            size += len(chunk)
            if size > _WHOLE_BODY_LIMIT:
                return _failure(exchange, 502, "sent an answer larger than cligate accepts")
            parts.append(chunk)
    except UpstreamError as exc:
        return _failure(exchange, exc.http_status, f"broke off its answer: {exc.message}")
    finally:
        await response.aclose()
    return b"".join(parts)


async def _relay(
    response: UpstreamResponse, translator: StreamTranslator, exchange: Exchange
) -> AsyncIterator[bytes]:
    chunks = aiter(response.chunks())
    pending: asyncio.Future[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(chunks))
            timeout = _DRAIN_SECONDS if translator.finished else exchange.keepalive_seconds
            done, _ = await asyncio.wait({pending}, timeout=timeout)
            if not done:
                if translator.finished:
                    break  # the client has its whole answer; the provider lingers
                keepalive = translator.keepalive()
                if keepalive:
                    yield keepalive
                continue
            finished, pending = pending, None
            try:
                chunk = finished.result()
            except StopAsyncIteration:
                break
            # A read may bring hundreds of events: translate and send them in slices, so the
            # first reaches the client without waiting for the last to be translated.
            for start in range(0, len(chunk), _SLICE):
                out = translator.feed(chunk[start : start + _SLICE])
                if out:
                    yield out
        tail = translator.finish()
        if tail:
            yield tail
        if translator.failure is not None and exchange.on_failure is not None:
            exchange.on_failure(translator.failure)
    except UpstreamError as exc:
        logger.warning("stream from provider %s broke: %s", exchange.provider, exc.message)
        yield translator.fail(
            ir.ErrorInfo(
                exc.http_status,
                f"cligate: the stream from provider '{exchange.provider}' broke: {exc.message}",
            )
        )
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
