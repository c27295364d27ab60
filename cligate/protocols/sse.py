"""An incremental Server-Sent Events parser: fed bytes as they arrive, it returns whole events.

Reads may end anywhere: inside a line, between "\\r" and "\\n", inside a multi-byte UTF-8
character. Lines are split on bytes (every line ending is ASCII), so a character is never cut
before it is decoded. Follows the WHATWG rules that matter for model APIs: ``event:`` and
``data:`` fields, several data lines joined with "\\n", comments (``:``) ignored, one optional
space after the colon removed, an event dispatched on a blank line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str  # "message" when the event names no type
    data: str


class SseParser:
    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._pending_cr = False  # the last byte fed was "\r": a "\n" next is the same ending

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if not chunk:
            return []
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = chunk.endswith(b"\r")
        data = self._buffer + chunk if self._buffer else chunk
        events: list[SseEvent] = []
        if b"\r" not in data:  # the common case: "\n" endings only, split in C
            *lines, self._buffer = data.split(b"\n")
            for line in lines:
                self._line(line, events)
            return events
        start = 0
        length = len(data)
        while start < length:
            lf = data.find(b"\n", start)
            cr = data.find(b"\r", start, lf if lf >= 0 else length)
            if cr >= 0:
                end, after = cr, cr + 2 if data.startswith(b"\n", cr + 1) else cr + 1
            elif lf >= 0:
                end, after = lf, lf + 1
            else:
                break
            self._line(data[start:end], events)
            start = after
        self._buffer = data[start:]
        return events

    def finish(self) -> list[SseEvent]:
        """The end of the body: a last line without its ending still counts; a last event
        without its blank line is dropped (the spec's rule: it was never complete)."""
        events: list[SseEvent] = []
        if self._buffer:
            self._line(self._buffer, events)
            self._buffer = b""
        self._event, self._data = "", []
        return events

    @property
    def pending(self) -> bool:
        """Whether part of an event has been read but not yet dispatched."""
        return bool(self._buffer or self._data or self._event)

    def _line(self, raw: bytes, events: list[SseEvent]) -> None:
        if not raw:
            if self._data:
                events.append(SseEvent(self._event or "message", "\n".join(self._data)))
            self._event, self._data = "", []
            return
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


def encode_event(data: str, event: str | None = None) -> bytes:
    """One SSE event; ``data`` must not contain line breaks (compact JSON never does)."""
    if event is None:
        return f"data: {data}\n\n".encode()
    return f"event: {event}\ndata: {data}\n\n".encode()
