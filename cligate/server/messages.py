"""The request and response values passed between the connection loop and the handler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    method: str
    target: str  # path and query as received, secret path prefix already removed
    headers: RawHeaders  # names lower-cased (h11 does that)
    body: bytes
    client: str | None = None  # the client key's name (cligate serve), when one matched

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


@dataclass(slots=True)
class OutgoingResponse:
    status: int
    headers: RawHeaders
    # A complete body, or chunks written to the client as they arrive (never buffered).
    body: bytes | AsyncIterator[bytes] = b""
    # Releases what the body reads from (the provider's response), whatever happens to the
    # client: closing a body generator that never started runs none of its clean-up.
    close: Callable[[], Awaitable[None]] | None = None
    # For a stream: the protocol's error event, written if the server must cut the stream
    # short (shutdown), so the client sees an error rather than a truncated answer.
    abort_event: Callable[[], bytes] | None = None


Handler = Callable[[IncomingRequest], Awaitable[OutgoingResponse]]
