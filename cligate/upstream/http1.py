"""HTTP/1.1 on the provider side, written by hand: the request head out, the response head in.

The proxy makes one request per client request, so this is half of its per-request HTTP work.
With h11 it was about a sixth of cligate's CPU for a small request (event objects, header
validation with regexes, the state machine); the subset a client of an API provider needs is
small enough to write plainly: one request at a time per connection, no upgrades, no
pipelining. Bodies are framed by ``body_framing.py``. What is refused (a malformed status line
or header, a head too large) raises ``ResponseHeadError``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class ResponseHeadError(ValueError):
    """The provider's response head is not HTTP/1.x."""


class RequestHeadError(ValueError):
    """A request head cligate was about to send would be malformed (or smuggle a header)."""


@dataclass(frozen=True, slots=True)
class ResponseHead:
    status: int
    headers: list[tuple[bytes, bytes]]  # names lower-cased, in order
    keep_alive: bool  # the connection may carry another request after this answer


def request_head(
    method: str, target: str, host: bytes, headers: list[tuple[bytes, bytes]], body_size: int
) -> bytes:
    """The request line and headers, with Host and Content-Length added. A header name that is
    not a token, or a CR, LF or NUL anywhere, is refused: headers come from the client (already
    parsed), the config and the keys, and none may split the head."""
    if any(c in target for c in "\r\n\0 ") or not target:
        raise RequestHeadError(f"bad request target {target[:60]!r}")
    lines = [f"{method} {target} HTTP/1.1".encode("ascii"), b"host: " + host]
    for name, value in headers:
        if not name or not _TOKEN.issuperset(name):
            raise RequestHeadError(f"bad header name {name[:60]!r}")
        if b"\r" in value or b"\n" in value or b"\0" in value:
            raise RequestHeadError(f"a line break or NUL in the value of header {name!r}")
        lines.append(name + b": " + value)
    lines.append(b"content-length: %d" % body_size)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def parse_response_head(buffer: bytes) -> tuple[ResponseHead, int] | None:
    """The head at the start of ``buffer`` and its length; None when it is not complete yet."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise ResponseHeadError(f"a response head over {MAX_HEAD_BYTES} bytes")
        return None
    lines = buffer[:end].split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code = rest[:3]
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise ResponseHeadError(f"bad status line {lines[0][:80]!r}")
    if len(rest) > 3 and rest[3:4] != b" ":
        raise ResponseHeadError(f"bad status line {lines[0][:80]!r}")
    headers: list[tuple[bytes, bytes]] = []
    connection = b""
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or not _TOKEN.issuperset(name):
            raise ResponseHeadError(f"bad header line {line[:80]!r}")
        name = name.lower()
        value = value.strip(b" \t")
        if b"\n" in value or b"\r" in value or b"\0" in value:
            raise ResponseHeadError(f"bad header value in {line[:80]!r}")
        if name == b"connection":
            connection = value.lower()
        headers.append((name, value))
    if version == b"HTTP/1.1":
        keep_alive = b"close" not in connection
    else:
        keep_alive = b"keep-alive" in connection
    return ResponseHead(int(code), headers, keep_alive), end + 4
