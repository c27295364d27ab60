"""The interface the proxy uses to reach a provider; implementations are swappable."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

# Bytes, as they are read and written: forwarding a header costs no decode and re-encode.
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> bytes:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (host if self.port == default else f"{host}:{self.port}").encode()

    @property
    def url(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    origin: Origin
    target: str  # path and query, as sent on the request line
    headers: Headers  # without Host and Content-Length: the client adds those
    body: bytes
    proxy: str | None = None  # an HTTP(S) proxy chosen by the config for this provider or key
    timeouts: Timeouts | None = None  # the provider's own; None: the client's defaults

    @property
    def url(self) -> str:
        return self.origin.url + self.target


def split_url(url: str) -> tuple[Origin, str]:
    """``https://host:port/a/b?q`` → (Origin, ``/a/b?q``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Origin(scheme, parts.hostname, port), target


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Limits on one attempt at a provider, in seconds; ``math.inf`` means none."""

    connect: float = 10.0
    # From the request sent to the response headers. Reasoning models can think for minutes
    # before answering, so this is generous.
    first_byte: float = 600.0
    # Longest silence between two pieces of the body. A Chat provider streaming a reasoning
    # model sends nothing while it thinks, after the headers: generous too.
    idle: float = 600.0
    # The whole attempt, headers and body; none by default (a long generation is legitimate).
    total: float = math.inf
    write: float = 60.0


class UpstreamResponse(Protocol):
    status: int
    headers: list[tuple[bytes, bytes]]  # names lower-cased

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives. Raises ``UpstreamError`` subclasses on failure."""
        ...

    async def aclose(self) -> None:
        """Release the connection; safe to call more than once."""
        ...


class UpstreamClient(Protocol):
    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Send the request and return once the status line and headers arrived."""
        ...

    async def aclose(self) -> None: ...
