"""A Chat Completions SSE stream → neutral stream events, fed bytes as they arrive.

Parallel tool calls are told apart by each delta's ``index`` (ids repeat or are missing on
later deltas); a provider's indices are renumbered 0, 1, … in the order calls start. The
finish is held until ``[DONE]`` or the end of the body, because usage often arrives in a
chunk after the one with ``finish_reason`` and the client's encoder wants it before it writes
its last event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.openai_chat.decode_response import (
    arguments_text,
    made_up_call_id,
    reasoning_text,
    stop_reason,
)
from cligate.protocols.openai_chat.vocabulary import usage_from
from cligate.protocols.sse import SseParser

BAD_GATEWAY = 502  # the provider's stream itself is broken
PROVIDER_ERROR = 500  # the provider reported an error without a status


@dataclass(slots=True)
class _Call:
    index: int  # ours: 0, 1, … in order of first appearance
    id: str | None = None  # the provider's, when it sent one
    name_sent: bool = False


class ChatStreamDecoder:
    def __init__(self) -> None:
        self._parser = SseParser()
        self._started = False
        self._ended = False  # finished or failed: nothing more is read
        self._finish_word: object = None
        self._usage: ir.Usage | None = None
        self._calls: dict[tuple[str, object], _Call] = {}  # by provider index, or by id
        self._last_call: _Call | None = None
        self._count = 0
        self._answer_id = ""  # the provider's id of this answer, once its first chunk came

    def feed(self, chunk: bytes) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for sse in self._parser.feed(chunk):
            if self._ended:
                break
            self._data(sse.data, events)
        return events

    def finish(self) -> list[ir.StreamEvent]:
        """The end of the body. Without [DONE], a stream that said why it finished still
        counts; one that stopped without saying so was cut off."""
        events: list[ir.StreamEvent] = []
        for sse in self._parser.finish():
            if self._ended:
                break
            self._data(sse.data, events)
        if self._ended:
            return events
        if self._finish_word is not None:
            events.append(self._finished())
        else:
            message = "the provider's stream ended before the answer was complete"
            events.append(self._unreadable(message))
        return events

    # --- one data line ---------------------------------------------------------------------

    def _data(self, data: str, events: list[ir.StreamEvent]) -> None:
        if not data.strip():
            return  # an empty data line (a keepalive of some servers) carries nothing
        if data.strip() == "[DONE]":
            events.append(self._finished())
            return
        payload = _parse(data)
        if payload is None:
            shown = data if len(data) <= 200 else data[:200] + "…"
            events.append(self._unreadable(f"malformed JSON in the stream: {shown}"))
            return
        if not isinstance(payload, dict):
            events.append(self._unreadable("a stream chunk is not a JSON object"))
            return
        if payload.get("error") is not None:
            events.append(self._provider_error(payload["error"]))
            return
        usage = usage_from(payload.get("usage"))
        if usage is not None:
            self._usage = usage
        if not self._started:
            self._started = True
            started_id, model = _text(payload.get("id")), _text(payload.get("model"))
            self._answer_id = started_id
            events.append(ir.StreamStarted(started_id, model, usage))
        choices = payload.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            self._choice(choices[0], events)

    def _choice(self, choice: Mapping[str, Any], events: list[ir.StreamEvent]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reasoning = reasoning_text(delta)
            if reasoning:
                events.append(ir.ThinkingDelta(reasoning))
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.append(ir.TextDelta(content))
            tool_calls = delta.get("tool_calls")
            if isinstance(tool_calls, list):
                for raw in tool_calls:
                    if isinstance(raw, dict):
                        self._tool_delta(raw, events)
        word = choice.get("finish_reason")
        # Some servers send "" on chunks that do not finish (even after the one that does).
        if word is not None and word != "":
            self._finish_word = word

    def _tool_delta(self, raw: Mapping[str, Any], events: list[ir.StreamEvent]) -> None:
        raw_id = raw.get("id")
        call_id = raw_id if isinstance(raw_id, str) and raw_id else None
        function = raw.get("function")
        function = function if isinstance(function, dict) else {}
        raw_name = function.get("name")
        name = raw_name if isinstance(raw_name, str) and raw_name else None
        index = raw.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            key: tuple[str, object] | None = ("index", index)
        elif call_id is not None:
            key = ("id", call_id)
        else:
            key = None  # neither: a continuation of the call before
        call = self._calls.get(key) if key is not None else self._last_call
        if call is not None and call_id and name and call.id not in (None, call_id):
            call = None  # a new id and name under a reused index: a new call, not a fragment
        elif call is not None and key is None and name and call.name_sent:
            call = None  # neither index nor id, but a name again: the next call (whole calls)
        if call is None:
            call = _Call(self._count, call_id)
            self._count += 1
            # Without an id the client could not answer the call: make a stable one.
            new_id: str | None = call_id or made_up_call_id(self._answer_id, call.index)
        else:
            new_id = None
        if key is not None:
            self._calls[key] = call
        self._last_call = call
        send_name = name if name is not None and not call.name_sent else None
        call.name_sent = call.name_sent or send_name is not None
        arguments = arguments_text(function.get("arguments"))
        if new_id is None and send_name is None and not arguments:
            return
        events.append(ir.ToolCallDelta(call.index, new_id, send_name, arguments))

    # --- endings ---------------------------------------------------------------------------

    def _finished(self) -> ir.StreamFinished:
        self._ended = True
        reason = stop_reason(self._finish_word, self._count > 0)
        return ir.StreamFinished(reason or ir.StopReason.END, self._usage)

    def _fail(self, status: int, message: str, kind: str | None = None) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(status, message, kind))

    def _unreadable(self, message: str) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(BAD_GATEWAY, message, unreadable=True))

    def _provider_error(self, error: object) -> ir.StreamFailed:
        if not isinstance(error, dict):
            return self._fail(PROVIDER_ERROR, str(error))
        code = error.get("code")
        status = code if isinstance(code, int) and 400 <= code <= 599 else PROVIDER_ERROR
        message = error.get("message")
        kind = error.get("type") or (code if isinstance(code, str) else None)
        return self._fail(
            status,
            message if isinstance(message, str) and message else "the provider reported an error",
            kind if isinstance(kind, str) else None,
        )


def _parse(data: str) -> object:
    """The chunk's JSON, or None. orjson first; the stdlib for what orjson refuses (integers
    beyond 64 bits), as ``json_members`` does for request bodies."""
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
