"""Reading a response body's HTTP/1.1 framing by hand: chunked, a known length, or up to the
connection's close.

h11 turned every HTTP chunk into an event through its state machine, about 4.7 µs each; a
provider that sends each SSE event as its own chunk (most do) made that the bulk of a
pass-through stream's cost. These decoders take whole reads and give back the payload in them
with a few ``bytes.find`` calls.
"""

from __future__ import annotations

_MAX_SIZE_LINE = 1024  # a chunk-size line (with extensions) longer than this is not HTTP


class FramingError(ValueError):
    """The body's framing is broken."""


class ChunkedBody:
    __slots__ = ("_buffer", "_crlf_due", "_remaining", "_trailers", "done")

    def __init__(self) -> None:
        self._buffer = b""  # an incomplete size line, CRLF or trailer line
        self._remaining = 0  # payload bytes still due in the current chunk
        self._crlf_due = False  # the CRLF after a chunk's payload
        self._trailers = False  # after the last (zero-size) chunk
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """The payload in ``data`` (with what earlier reads left incomplete)."""
        buffer = self._buffer + data if self._buffer else data
        end = len(buffer)
        position = 0
        payload: list[bytes] = []
        while not self.done:
            if self._remaining:
                take = min(self._remaining, end - position)
                if take:
                    payload.append(buffer[position : position + take])
                    position += take
                    self._remaining -= take
                if self._remaining:
                    break
                self._crlf_due = True
            if self._crlf_due:
                if end - position < 2:
                    break
                if buffer[position : position + 2] != b"\r\n":
                    raise FramingError("a chunk is not followed by CRLF")
                position += 2
                self._crlf_due = False
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                if end - position > _MAX_SIZE_LINE:
                    raise FramingError("a chunk-size line is too long")
                break
            line = buffer[position:line_end]
            position = line_end + 2
            if self._trailers:
                if not line:
                    self.done = True  # the blank line after the trailers
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise FramingError(f"bad chunk size {line[:40]!r}") from None
            if size < 0:
                raise FramingError(f"bad chunk size {line[:40]!r}")
            if size == 0:
                self._trailers = True
            self._remaining = size
        self._buffer = buffer[position:]
        return payload[0] if len(payload) == 1 else b"".join(payload)

    @property
    def leftover(self) -> bytes:
        """Bytes after the end of the body (a well-behaved server sends none)."""
        return self._buffer


class LengthBody:
    __slots__ = ("_remaining", "done", "leftover")

    def __init__(self, length: int) -> None:
        self._remaining = length
        self.done = length == 0
        self.leftover = b""

    def feed(self, data: bytes) -> bytes:
        if len(data) < self._remaining:
            self._remaining -= len(data)
            return data
        payload, self.leftover = data[: self._remaining], data[self._remaining :]
        self._remaining = 0
        self.done = True
        return payload


class UntilCloseBody:
    """A body without a length or chunks: it ends when the provider closes the connection
    (which then cannot be reused)."""

    __slots__ = ()
    done = False
    leftover = b""

    def feed(self, data: bytes) -> bytes:
        return data


BodyReader = ChunkedBody | LengthBody | UntilCloseBody


def body_reader(status: int, headers: list[tuple[bytes, bytes]], method: str) -> BodyReader:
    """How this response's body is framed (RFC 9112, section 6.3)."""
    if method == "HEAD" or status < 200 or status in (204, 304):
        return LengthBody(0)
    length: int | None = None
    for name, value in headers:
        if name == b"transfer-encoding":
            if value.rsplit(b",", 1)[-1].strip().lower() == b"chunked":
                return ChunkedBody()
            return UntilCloseBody()
        if name == b"content-length":
            text = value.strip()
            if not text.isdigit() or (length is not None and int(text) != length):
                raise FramingError(f"bad content-length {value[:40]!r}")
            length = int(text)
    return UntilCloseBody() if length is None else LengthBody(length)
