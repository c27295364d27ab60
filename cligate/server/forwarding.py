"""Pure helpers for forwarding a request to a provider: URL, headers, and SSE framing."""

from __future__ import annotations

from cligate.config.settings import AuthStyle, ProviderSettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.messages import RawHeaders
from cligate.upstream.types import Headers

# Hop-by-hop headers (RFC 9110 §7.6.1) and what the HTTP client sets itself.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"host",
        b"content-length",
    }
)
# The per-run secret arrives in these; the provider's key replaces it.
_CLIENT_CREDENTIALS = frozenset({b"authorization", b"x-api-key", b"x-goog-api-key"})
_DROP_UPSTREAM = _HOP_BY_HOP | _CLIENT_CREDENTIALS | {b"accept-encoding", b"cookie"}
_VERSION_SEGMENTS = ("/v1beta", "/v1alpha", "/v1")


def upstream_url(provider: ProviderSettings, path: str, query: str) -> str:
    """Join the provider's base URL and the client's path without doubling the API version.

    OpenAI-style base URLs end with their version (``…/v1``, ``…/api/paas/v4``) and clients
    append paths without it, as the OpenAI SDK does; Anthropic and Gemini base URLs usually stop
    at the host and the client's path carries the version.
    """
    base = provider.base_url
    for segment in _VERSION_SEGMENTS:
        if path.startswith(segment + "/"):
            openai_style = provider.protocol in (
                WireProtocol.OPENAI_CHAT,
                WireProtocol.OPENAI_RESPONSES,
            )
            if openai_style or base.endswith(segment):
                path = path[len(segment) :]
            break
    return base + path + (f"?{query}" if query else "")


def auth_headers(style: AuthStyle, key: str) -> Headers:
    if not key or style is AuthStyle.NONE:
        return []
    if style is AuthStyle.BEARER:
        return [(b"authorization", b"Bearer " + key.encode())]
    return [(style.value.encode(), key.encode())]


def upstream_headers(client_headers: RawHeaders, provider: ProviderSettings, key: str) -> Headers:
    """The client's end-to-end headers, minus its credentials, plus the provider's."""
    custom = [(name.lower().encode(), value.encode()) for name, value in provider.headers]
    dropped = _DROP_UPSTREAM.union(name for name, _ in custom) if custom else _DROP_UPSTREAM
    headers: Headers = [(name, value) for name, value in client_headers if name not in dropped]
    # We read streams to relay them; compression would only cost CPU on this hop.
    headers.append((b"accept-encoding", b"identity"))
    headers.extend(auth_headers(provider.auth, key))
    headers.extend(custom)
    return headers


# Headers that belong to the client's protocol or SDK, not to a translated request.
# The tools' own x-claude-code-* / x-codex-* headers (session ids, codex's installation id)
# are no business of another vendor.
_PROTOCOL_PREFIXES = (
    b"anthropic-",
    b"openai-",
    b"x-openai-",
    b"x-goog-",
    b"x-stainless-",
    b"x-claude-code-",
    b"x-codex-",
    b"x-api-key",
)
_TRANSLATED_DROP = _DROP_UPSTREAM | {b"content-type", b"accept", b"x-app", b"x-goog-api-client"}
# What a provider of each protocol requires that a client of another protocol does not send.
_REQUIRED = {WireProtocol.ANTHROPIC: [(b"anthropic-version", b"2023-06-01")]}


def translated_headers(
    client_headers: RawHeaders, provider: ProviderSettings, key: str, stream: bool
) -> Headers:
    """Headers for a translated request: the client's generic ones (user agent, request ids),
    none of its protocol's own, and what the provider's protocol requires."""
    custom = [(name.lower().encode(), value.encode()) for name, value in provider.headers]
    dropped = _TRANSLATED_DROP.union(name for name, _ in custom)
    headers: Headers = [
        (name, value)
        for name, value in client_headers
        if name not in dropped and not name.startswith(_PROTOCOL_PREFIXES)
    ]
    headers.append((b"content-type", b"application/json"))
    headers.append((b"accept", b"text/event-stream" if stream else b"application/json"))
    headers.append((b"accept-encoding", b"identity"))
    headers.extend(_REQUIRED.get(provider.protocol, ()))
    headers.extend(auth_headers(provider.auth, key))
    headers.extend(custom)
    return headers


def client_headers(upstream: list[tuple[bytes, bytes]]) -> RawHeaders:
    """The provider's response headers fit for the client: no hop-by-hop, no CORS."""
    return [
        (name, value)
        for name, value in upstream
        if name not in _HOP_BY_HOP and not name.startswith(b"access-control-")
    ]


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value)  # checked when the head was read (body_framing)
    return None


def is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.lower().startswith(b"text/event-stream")
    return False


def split_at_event_boundary(pending: bytes, chunk: bytes) -> tuple[bytes, bytes]:
    """Return (complete SSE events to send now, incomplete tail to keep).

    Forwarding only whole events means that if the provider dies mid-event, the error event we
    add is not glued onto half an event the client could not parse.
    """
    data = pending + chunk if pending else chunk
    lf = data.rfind(b"\n\n")
    crlf = data.rfind(b"\r\n\r\n")
    cut = max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)
    return data[:cut], data[cut:]
