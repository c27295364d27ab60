"""Answers cligate makes itself when it cannot (or must not) forward: errors in the caller's
protocol, and its own 429 when every key rests."""

from __future__ import annotations

import math

from cligate.protocols.error_shapes import error_body
from cligate.protocols.kinds import WireProtocol
from cligate.server.messages import OutgoingResponse

_JSON = (b"content-type", b"application/json")
# Anthropic's SDKs (and Claude Code) honour this; without it a request that cannot succeed,
# such as one refused for a wrong secret, is retried for minutes.
_NO_RETRY = (b"x-should-retry", b"false")


def error_response(protocol: WireProtocol, status: int, message: str) -> OutgoingResponse:
    """An error made by cligate itself, in the caller's protocol."""
    headers = [_JSON]
    if status < 500 or status == 501:
        headers.append(_NO_RETRY)
    return OutgoingResponse(status, headers, error_body(protocol, status, message))


def rate_limited_response(protocol: WireProtocol, seconds: float, message: str) -> OutgoingResponse:
    """Every key is resting after the provider's 429s: the client hears a 429 too, with the
    time until a key is usable again, so it waits instead of failing."""
    headers = [_JSON, (b"retry-after", str(max(1, math.ceil(seconds))).encode())]
    return OutgoingResponse(429, headers, error_body(protocol, 429, message))
