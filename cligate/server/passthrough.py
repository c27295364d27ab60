"""Answering a caller from a provider of its own protocol: the I/O of a pass-through answer
(``server/translated.py`` is its counterpart for another protocol)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from cligate.config.settings import ProviderSettings
from cligate.errors import UpstreamError
from cligate.protocols.error_shapes import stream_error_event
from cligate.protocols.kinds import WireProtocol
from cligate.server.error_answers import error_response
from cligate.server.forwarding import (
    client_headers,
    content_length,
    is_event_stream,
    split_at_event_boundary,
)
from cligate.server.messages import OutgoingResponse
from cligate.upstream.types import UpstreamResponse

logger = logging.getLogger("cligate.proxy")

# Plain (non-SSE) bodies up to this size are read whole before they are answered.
BUFFERED_BODY_LIMIT = 4 * 1024 * 1024


async def answer_passed_through(
    response: UpstreamResponse, protocol: WireProtocol, provider: ProviderSettings
) -> OutgoingResponse:
    """The provider speaks the caller's protocol: its answer goes back as it is, a stream
    event by event, a whole body in one write."""
    headers = client_headers(response.headers)
    if is_event_stream(response.headers):
        events = _relay_events(response, protocol, provider)
        return OutgoingResponse(response.status, headers, events, response.aclose)
    length = content_length(response.headers)
    if length is not None and length <= BUFFERED_BODY_LIMIT:
        # A complete JSON body, not a stream: read it whole, so it leaves in one write
        # with the head, and a provider failing mid-body becomes a clear error.
        try:
            whole = b"".join([chunk async for chunk in response.chunks()])
        except UpstreamError as exc:
            return error_response(
                protocol,
                exc.http_status,
                f"cligate: the answer from provider '{provider.name}' broke: {exc.message}",
            )
        return OutgoingResponse(response.status, headers, whole)
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return OutgoingResponse(response.status, headers, response.chunks(), response.aclose)


async def _relay_events(
    response: UpstreamResponse, protocol: WireProtocol, provider: ProviderSettings
) -> AsyncIterator[bytes]:
    """SSE, relayed event by event as it arrives; a failure ends it with an error event."""
    pending = b""
    try:
        async for chunk in response.chunks():
            ready, pending = split_at_event_boundary(pending, chunk)
            if ready:
                yield ready
        if pending:
            yield pending
    except UpstreamError as exc:
        logger.warning("stream from provider %s broke: %s", provider.name, exc.message)
        yield stream_error_event(
            protocol,
            exc.http_status,
            f"cligate: the stream from provider '{provider.name}' broke: {exc.message}",
        )
