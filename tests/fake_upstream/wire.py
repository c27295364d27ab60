"""Shared answer-writing helpers: rendered answers, SSE framing, errors per protocol."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .model import Protocol, Reply

JSON_TYPE = (b"content-type", b"application/json")
SSE_TYPE = (b"content-type", b"text/event-stream; charset=utf-8")
NO_CACHE = (b"cache-control", b"no-cache")


@dataclass(frozen=True, slots=True)
class Rendered:
    """An answer ready for the socket: a JSON body, or a list of framed SSE events."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes = b""
    events: tuple[bytes, ...] | None = None


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_answer(value: Any, status: int = 200) -> Rendered:
    return Rendered(status=status, headers=(JSON_TYPE,), body=dumps(value))


def sse_answer(events: list[bytes]) -> Rendered:
    return Rendered(status=200, headers=(SSE_TYPE, NO_CACHE), events=tuple(events))


def sse_event(name: str, payload: Any) -> bytes:
    """`event: NAME` + `data: JSON` (Anthropic and OpenAI Responses framing)."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(payload) + b"\n\n"


def sse_data(payload: Any, crlf: bool = False) -> bytes:
    """A bare `data: JSON` event (Chat Completions; Gemini uses CRLF like Google does)."""
    return b"data: " + dumps(payload) + (b"\r\n\r\n" if crlf else b"\n\n")


def split_text(text: str, pieces: int = 3) -> list[str]:
    """Split text into at most `pieces` non-empty deltas (word boundaries when possible)."""
    if len(text) <= 1 or pieces <= 1:
        return [text] if text else []
    size = -(-len(text) // pieces)
    out: list[str] = []
    start = 0
    for _ in range(pieces):
        if start >= len(text):
            break
        end = min(len(text), start + size)
        space = text.rfind(" ", start + 1, end)
        if end < len(text) and space > start:
            end = space
        out.append(text[start:end])
        start = end
    if start < len(text):
        out[-1] += text[start:]
    return out


def text_pieces(reply: Reply) -> list[str]:
    """The text deltas of a streamed answer: the reply's own chunks, else a few pieces."""
    return list(reply.chunks) if reply.chunks else split_text(reply.text)


_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "not_found"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
}
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_payload(protocol: Protocol | None, status: int, message: str) -> dict[str, Any]:
    """The error JSON each provider sends (a generic OpenAI-like shape when unknown)."""
    if protocol == "anthropic":
        kind = _ANTHROPIC_TYPES.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if protocol == "gemini":
        google = _GOOGLE_STATUS.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": status, "message": message, "status": google}}
    kind, code = _OPENAI_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_answer(
    protocol: Protocol | None, status: int, message: str, retry_after: float | None = None
) -> Rendered:
    headers: tuple[tuple[bytes, bytes], ...] = (JSON_TYPE,)
    if retry_after is not None:
        seconds = int(retry_after) if float(retry_after).is_integer() else retry_after
        headers += ((b"retry-after", str(seconds).encode()),)
    body = dumps(error_payload(protocol, status, message))
    return Rendered(status=status, headers=headers, body=body)
