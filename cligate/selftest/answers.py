"""HTTP answers ready for the socket: a JSON body or a list of SSE events, and each
protocol's error shape (so the tool shows a provider error in its own words)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cligate.protocols.kinds import WireProtocol

Headers = tuple[tuple[bytes, bytes], ...]
JSON_TYPE = (b"content-type", b"application/json")
SSE_HEADERS: Headers = ((b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Headers
    body: bytes = b""
    events: tuple[bytes, ...] | None = None  # set for a streamed answer


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_answer(value: Any, status: int = 200) -> Answer:
    return Answer(status, (JSON_TYPE,), dumps(value))


def sse_answer(events: list[bytes]) -> Answer:
    return Answer(200, SSE_HEADERS, events=tuple(events))


def sse_event(name: str, payload: Any) -> bytes:
    """``event:`` + ``data:`` framing (Anthropic and OpenAI Responses)."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(payload) + b"\n\n"


def sse_data(payload: Any) -> bytes:
    """A bare ``data:`` event, CRLF-framed as Google sends it."""
    return b"data: " + dumps(payload) + b"\r\n\r\n"


def error_answer(protocol: WireProtocol | None, status: int, message: str) -> Answer:
    body: dict[str, Any]
    if protocol is WireProtocol.ANTHROPIC:
        kind = {401: "authentication_error", 404: "not_found_error"}.get(status, "api_error")
        body = {"type": "error", "error": {"type": kind, "message": message}}
    elif protocol is WireProtocol.GEMINI:
        google = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}
        body = {"error": {"code": status, "message": message, "status": google.get(status)}}
    else:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
    return json_answer(body, status)


def split_text(text: str) -> list[str]:
    """A few deltas rather than one, so the tool's stream assembly is exercised too."""
    if len(text) < 8:
        return [text] if text else []
    third = len(text) // 3
    return [text[:third], text[third : 2 * third], text[2 * third :]]
