"""An OpenAI Responses SSE stream → neutral stream events, fed bytes as they arrive.

Each event's ``type`` (in its data, else the SSE event name) says what it is:
- ``response.created`` (or the first event of any kind) starts the stream;
- ``response.output_text.delta`` and ``response.refusal.delta`` are text;
  ``response.reasoning_summary_text.delta`` and ``response.reasoning_text.delta`` thinking,
  parts of it separated by a blank line as the whole answer's decoder joins them;
- a ``function_call`` or ``custom_tool_call`` item starts a tool call on
  ``response.output_item.added`` (numbered 0, 1, … in the order calls start); its
  ``….delta`` events (found by ``item_id``, else ``output_index``) carry its arguments;
- ``response.output_item.done`` of a reasoning item gives its encrypted content. A ``….done``
  event also supplies what its deltas did not (servers that send whole items only);
- ``response.completed`` / ``response.incomplete`` finish it; ``response.failed`` and ``error``
  fail it. Other event types (hosted tools' progress, annotations, …) carry nothing a client
  of another protocol could show, and are skipped.

A stream that ends without finishing was cut off: a 502 failure, as is malformed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from cligate.protocols import ir
from cligate.protocols.openai_chat.decode_response import arguments_text, made_up_call_id
from cligate.protocols.openai_responses.decode_response import (
    output_parts,
    reasoning,
    stop_reason,
    usage_from,
)
from cligate.protocols.sse import SseParser

BAD_GATEWAY = 502  # the provider's stream itself is broken, or its error names no status
_SEPARATOR = "\n\n"
# Error codes of the Responses API (ResponseError.code, the ``error`` event's code) that say
# what an HTTP status would have said.
_ERROR_STATUS = {
    "server_error": 500,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "invalid_prompt": 400,
    "invalid_request_error": 400,
    "context_length_exceeded": 400,
    "bio_policy": 400,
    "misalignment_policy_violation": 400,
    "data_residency_mismatch": 400,
    "vector_store_timeout": 504,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
}
_CALL_ITEMS = {"function_call": "function", "custom_tool_call": "custom"}
_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.refusal.delta"})
_THINKING_DELTAS = frozenset(
    {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}
)
_CALL_DELTAS = frozenset(
    {"response.function_call_arguments.delta", "response.custom_tool_call_input.delta"}
)
_CALL_DONES = {
    "response.function_call_arguments.done": "arguments",
    "response.custom_tool_call_input.done": "input",
}

Payload = Mapping[str, Any]


@dataclass(slots=True)
class _Call:
    index: int  # ours: 0, 1, … in the order calls start
    kind: Literal["function", "custom"]
    sent: str = ""  # the arguments written so far


class ResponsesStreamDecoder:
    def __init__(self) -> None:
        self._parser = SseParser()
        self._started = False
        self._ended = False  # finished or failed: nothing more is read
        self._answer_id = ""
        self._calls: dict[tuple[str, object], _Call] = {}  # by ("id", item id) and ("at", index)
        self._count = 0
        self._content = False  # whether any text, thinking or call was written
        self._texts: set[tuple[str, object]] = set()  # keys of items whose text was streamed
        self._thinking: set[tuple[str, object]] = set()  # … whose thinking was streamed
        self._thinking_part: object = None  # (item, kind, part) of the last thinking delta

    def feed(self, chunk: bytes) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for sse in self._parser.feed(chunk):
            if self._ended:
                break
            self._data(sse.event, sse.data, events)
        return events

    def finish(self) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for sse in self._parser.finish():
            if self._ended:
                break
            self._data(sse.event, sse.data, events)
        if not self._ended:
            message = "the provider's stream ended before the answer was complete"
            events.append(self._unreadable(message))
        return events

    # --- one event -------------------------------------------------------------------------

    def _data(self, name: str, data: str, events: list[ir.StreamEvent]) -> None:
        if not data.strip() or data.strip() == "[DONE]":
            return  # a keepalive, or the end marker some compatible servers add
        payload = _parse(data)
        if payload is None:
            shown = data if len(data) <= 200 else data[:200] + "…"
            events.append(self._unreadable(f"malformed JSON in the stream: {shown}"))
            return
        if not isinstance(payload, dict):
            events.append(self._unreadable("a stream event is not a JSON object"))
            return
        kind = payload.get("type")
        kind = kind if isinstance(kind, str) and kind else name
        response = payload.get("response")
        response = response if isinstance(response, Mapping) else {}
        if not self._started and kind not in ("error", "response.failed"):
            self._started = True
            self._answer_id = _text(response.get("id"))
            events.append(ir.StreamStarted(self._answer_id, _text(response.get("model"))))
        if kind in _TEXT_DELTAS:
            delta = payload.get("delta")
            if isinstance(delta, str) and delta:
                self._texts.update(_item_keys(payload))
                self._content = True
                events.append(ir.TextDelta(delta))
        elif kind in _THINKING_DELTAS:
            self._thinking_delta(kind, payload, events)
        elif kind == "response.output_item.added":
            item = payload.get("item")
            if isinstance(item, Mapping) and _text(item.get("type")) in _CALL_ITEMS:
                self._call(payload, item, events)
        elif kind in _CALL_DELTAS:
            call = self._find(payload)
            delta = payload.get("delta")
            if call is not None and isinstance(delta, str) and delta:
                call.sent += delta
                events.append(ir.ToolCallDelta(call.index, arguments=delta, kind=call.kind))
        elif kind in _CALL_DONES:
            call = self._find(payload)
            if call is not None:
                self._rest(call, arguments_text(payload.get(_CALL_DONES[kind])), events)
        elif kind == "response.output_item.done":
            item = payload.get("item")
            if isinstance(item, Mapping):
                self._item_done(payload, item, events)
        elif kind in ("response.completed", "response.incomplete"):
            self._finished(response, events)
        elif kind == "response.failed":
            events.append(self._error(response.get("error"), "the provider's answer failed"))
        elif kind == "error":
            nested = payload.get("error")
            events.append(self._error(nested if isinstance(nested, Mapping) else payload, None))

    # --- content ---------------------------------------------------------------------------

    def _thinking_delta(self, kind: str, payload: Payload, events: list[ir.StreamEvent]) -> None:
        delta = payload.get("delta")
        if not isinstance(delta, str) or not delta:
            return
        items = _item_keys(payload)
        part = (*items, kind, payload.get("summary_index"), payload.get("content_index"))
        if part != self._thinking_part and not self._thinking.isdisjoint(items):
            delta = _SEPARATOR + delta  # the next part of the same reasoning
        self._thinking_part = part
        self._thinking.update(items)
        self._content = True
        events.append(ir.ThinkingDelta(delta))

    def _call(self, payload: Payload, item: Payload, events: list[ir.StreamEvent]) -> _Call:
        kind: Literal["function", "custom"] = (
            "custom" if item.get("type") == "custom_tool_call" else "function"
        )
        call = _Call(self._count, kind)
        self._count += 1
        self._content = True
        for key in _call_keys(payload, item):
            self._calls[key] = call
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            call_id = made_up_call_id(self._answer_id, call.index)
        arguments = arguments_text(item.get("input" if kind == "custom" else "arguments"))
        call.sent = arguments
        events.append(
            ir.ToolCallDelta(call.index, call_id, _text(item.get("name")), arguments, kind)
        )
        return call

    def _find(self, payload: Payload) -> _Call | None:
        for key in _call_keys(payload, {}):
            call = self._calls.get(key)
            if call is not None:
                return call
        return None

    @staticmethod
    def _rest(call: _Call, whole: str, events: list[ir.StreamEvent]) -> None:
        """What the deltas of a call left out of its whole arguments (all of them, from a
        server that sends none); nothing when the two disagree."""
        if len(whole) > len(call.sent) and whole.startswith(call.sent):
            rest = whole[len(call.sent) :]
            call.sent = whole
            events.append(ir.ToolCallDelta(call.index, arguments=rest, kind=call.kind))

    def _item_done(self, payload: Payload, item: Payload, events: list[ir.StreamEvent]) -> None:
        kind = _text(item.get("type"))
        keys = _item_keys({"item_id": item.get("id"), "output_index": payload.get("output_index")})
        if kind in _CALL_ITEMS:
            call = self._find({**payload, "item_id": item.get("id")})
            if call is None:
                call = self._call(payload, item, events)  # never announced: whole at once
            else:
                field = "input" if call.kind == "custom" else "arguments"
                self._rest(call, arguments_text(item.get(field)), events)
        elif kind == "reasoning":
            thinking = reasoning(item)
            if thinking is None:
                return
            if thinking.text and self._thinking.isdisjoint(keys):
                self._thinking.update(keys)
                self._content = True
                events.append(ir.ThinkingDelta(thinking.text))
            if thinking.encrypted is not None:
                self._content = True
                events.append(ir.EncryptedReasoning(thinking.encrypted))
        elif kind == "message" and self._texts.isdisjoint(keys):
            for part in output_parts([item], self._answer_id):
                if isinstance(part, ir.Text) and part.text:
                    self._texts.update(keys)
                    self._content = True
                    events.append(ir.TextDelta(part.text))

    # --- endings ---------------------------------------------------------------------------

    def _finished(self, response: Payload, events: list[ir.StreamEvent]) -> None:
        output = response.get("output")
        if not self._content and isinstance(output, list):
            # A server that sent the answer only in its last event.
            for part in output_parts(output, self._answer_id):
                events.extend(self._whole(part))
        self._ended = True
        reason = stop_reason(response, self._count > 0)
        events.append(ir.StreamFinished(reason, usage_from(response.get("usage"))))

    def _whole(self, part: ir.Text | ir.Thinking | ir.ToolCall) -> list[ir.StreamEvent]:
        if isinstance(part, ir.Text):
            return [ir.TextDelta(part.text)]
        if isinstance(part, ir.Thinking):
            events: list[ir.StreamEvent] = [ir.ThinkingDelta(part.text)] if part.text else []
            if part.encrypted is not None:
                events.append(ir.EncryptedReasoning(part.encrypted))
            return events
        index = self._count
        self._count += 1
        return [ir.ToolCallDelta(index, part.id, part.name, part.arguments, part.kind)]

    def _fail(self, status: int, message: str, kind: str | None = None) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(status, message, kind))

    def _unreadable(self, message: str) -> ir.StreamFailed:
        self._ended = True
        return ir.StreamFailed(ir.ErrorInfo(BAD_GATEWAY, message, unreadable=True))

    def _error(self, error: object, fallback: str | None) -> ir.StreamFailed:
        """An error object (``{code, message, type}``) as a failure with the status its code
        says, else 502."""
        if not isinstance(error, Mapping):
            return self._fail(BAD_GATEWAY, fallback or "the provider reported an error")
        code, kind = error.get("code"), error.get("type")
        message = error.get("message")
        if not isinstance(message, str) or not message:
            message = fallback or "the provider reported an error"
        status = _status(code) or _status(kind) or BAD_GATEWAY
        named = code if isinstance(code, str) and code else kind
        return self._fail(status, message, named if isinstance(named, str) and named else None)


def _status(code: object) -> int | None:
    if isinstance(code, int) and not isinstance(code, bool):
        return code if 400 <= code <= 599 else None
    if not isinstance(code, str):
        return None
    if code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    if code in _ERROR_STATUS:
        return _ERROR_STATUS[code]
    if code.startswith(("invalid_", "image_", "empty_image", "unsupported_", "failed_to_")):
        return 400  # the image and input checks of the API's error list
    return None


def _item_keys(payload: Payload) -> list[tuple[str, object]]:
    """The keys an item is known by: its id and its place in the output, where given."""
    return _call_keys(payload, {})


def _call_keys(payload: Payload, item: Payload) -> list[tuple[str, object]]:
    keys: list[tuple[str, object]] = []
    for value in (item.get("id"), payload.get("item_id")):
        if isinstance(value, str) and value:
            keys.append(("id", value))
    index = payload.get("output_index")
    if isinstance(index, int) and not isinstance(index, bool):
        keys.append(("at", index))
    return keys


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
