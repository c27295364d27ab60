"""A Gemini ``streamGenerateContent?alt=sse`` stream → neutral stream events, fed bytes as they
arrive.

Every SSE data event is a whole ``GenerateContentResponse`` holding the next piece of the
answer: the first starts the stream (its ``responseId`` and ``modelVersion``); text parts are
text deltas, ``thought`` parts thinking deltas; each ``functionCall`` part is a whole call
(Gemini does not split them), written as one ``ToolCallDelta`` numbered 0, 1, … in order,
with its ``thoughtSignature``. ``finishReason`` and ``usageMetadata`` are remembered (the
last usage wins: Gemini repeats it, growing). Gemini sends no end marker: the body ending
after a finish reason finishes the stream; ending without one means it was cut off (a 502
failure), as is malformed JSON. An ``error`` object in the stream fails it with its code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.gemini.decode_response import (
    block_reason,
    candidate_parts,
    decode_part,
    error_info,
    failure_note,
    stop_reason,
    usage_from,
)
from cligate.protocols.sse import SseParser

BAD_GATEWAY = 502  # the provider's stream itself is broken, or its error names no status
# google.rpc.Code names, for an error that gives no HTTP code.
_GOOGLE_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class GeminiStreamDecoder:
    def __init__(self) -> None:
        self._parser = SseParser()
        self._started = False
        self._ended = False  # failed: nothing more is read
        self._answer_id = ""
        self._calls = 0
        self._content = False  # whether any text, thinking or call was written
        self._finish: str | None = None  # the finish reason, once one came
        self._finish_message: object = None
        self._blocked = False
        self._usage: ir.Usage | None = None

    def feed(self, chunk: bytes) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for sse in self._parser.feed(chunk):
            if self._ended:
                break
            self._data(sse.data, events)
        return events

    def finish(self) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for sse in self._parser.finish():
            if self._ended:
                break
            self._data(sse.data, events)
        if self._ended:
            return events
        self._ended = True
        if self._finish is None and not self._blocked:
            message = "the provider's stream ended before the answer was complete"
            events.append(ir.StreamFailed(ir.ErrorInfo(BAD_GATEWAY, message, unreadable=True)))
            return events
        if not self._content:
            note = failure_note(self._finish, self._finish_message)
            if note:
                events.append(ir.TextDelta(note))
        if self._blocked and self._finish is None:
            reason = ir.StopReason.CONTENT_FILTER
        else:
            reason = stop_reason(self._finish, self._calls > 0)
        events.append(ir.StreamFinished(reason, self._usage))
        return events

    # --- one event -------------------------------------------------------------------------

    def _data(self, data: str, events: list[ir.StreamEvent]) -> None:
        if not data.strip() or data.strip() == "[DONE]":
            return  # a keepalive, or the end marker some compatible servers add
        payload = _parse(data)
        if payload is None:
            shown = data if len(data) <= 200 else data[:200] + "…"
            events.append(self._unreadable(f"malformed JSON in the stream: {shown}"))
            return
        if isinstance(payload, list):
            # A server that streams the JSON array form one element per event.
            for item in payload:
                if self._ended:
                    return
                self._response(item, events)
            return
        self._response(payload, events)

    def _response(self, payload: object, events: list[ir.StreamEvent]) -> None:
        if not isinstance(payload, Mapping):
            events.append(self._unreadable("a stream event is not a JSON object"))
            return
        if "error" in payload:
            error = error_info(BAD_GATEWAY, payload)
            code = payload["error"].get("code") if isinstance(payload["error"], Mapping) else None
            status = _status(code) or _GOOGLE_STATUS.get(error.kind or "") or BAD_GATEWAY
            events.append(self._fail(status, error.message, error.kind))
            return
        if not self._started:
            self._started = True
            self._answer_id = _text(payload.get("responseId"))
            events.append(ir.StreamStarted(self._answer_id, _text(payload.get("modelVersion"))))
        usage = usage_from(payload.get("usageMetadata"))
        if usage is not None:
            self._usage = usage
        if block_reason(payload) is not None:
            self._blocked = True
        candidates = payload.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            return
        candidate = candidates[0]
        if not isinstance(candidate, Mapping):
            return
        for raw in candidate_parts(candidate):
            self._part(raw, events)
        finish = candidate.get("finishReason")
        if isinstance(finish, str) and finish:
            self._finish = finish
            self._finish_message = candidate.get("finishMessage")

    def _part(self, raw: Mapping[str, Any], events: list[ir.StreamEvent]) -> None:
        part = decode_part(raw, self._answer_id, self._calls)
        if part is None:
            return
        self._content = True
        if isinstance(part, ir.ToolCall):
            index = self._calls
            self._calls += 1
            events.append(
                ir.ToolCallDelta(
                    index, part.id, part.name, part.arguments, signature=part.signature
                )
            )
        elif isinstance(part, ir.Thinking):
            events.append(ir.ThinkingDelta(part.text))
        else:
            events.append(ir.TextDelta(part.text))

    def _fail(self, status: int, message: str, kind: str | None = None) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(status, message, kind))

    def _unreadable(self, message: str) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(BAD_GATEWAY, message, unreadable=True))


def _status(code: object) -> int | None:
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    if isinstance(code, str) and code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    return None


def _parse(data: str) -> object:
    """The event's JSON, or None. orjson first; the stdlib for what orjson refuses (integers
    beyond 64 bits)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
