"""Neutral stream events → a Responses API SSE stream, as the official SDK and Codex read it.

Every event carries a ``sequence_number`` from 0. The stream opens with ``response.created``
and ``response.in_progress``; then output items, one open at a time, each added, filled and
done: a message (content part, ``output_text`` deltas), reasoning (one summary part with its
deltas; ``encrypted_content`` on the done item), a function call (argument deltas) or, for the
client's freeform tools (``ClientView.custom_tools``), a custom tool call. It ends with
``response.completed`` (``response.incomplete`` for a length or content-filter stop) carrying
every item and the usage, or ``response.failed``. Nothing is written after either.

The bookkeeping follows the Anthropic encoder's rules: a delta of another kind closes the open
item; a call's item starts only once its id and name are known; parallel calls are written one
after another in index order, never merged; text or reasoning that arrives once calls have
begun is written after them. A custom tool call's input arrives as the JSON arguments
``{"input": …}`` of the function it became: it is held to the end of the call and written
unwrapped. A call of the client-run ``tool_search`` is a ``tool_search_call`` item, written
whole when the call ends (its arguments are a JSON value, with no delta events). An answer
with no item at all gets one empty message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from cligate.protocols import ir
from cligate.protocols.codecs import ClientView
from cligate.protocols.openai_responses.decode_request import REDACTED_MARK, SIGNATURE_MARK
from cligate.protocols.openai_responses.encode_response import (
    ItemIds,
    custom_call_item,
    custom_input,
    function_call_item,
    is_custom,
    is_tool_search,
    message_item,
    output_text,
    reasoning_item,
    response_object,
    search_arguments,
    tool_search_item,
    unique_call_id,
)

KEEPALIVE = b": keep-alive\n\n"
ItemKind = Literal["message", "reasoning", "call"]
Json = dict[str, Any]
# Error codes of the Responses protocol a provider's own error kind may be passed on as.
# Codex tells some apart: context_length_exceeded and insufficient_quota end the turn with
# their own message instead of retries.
_CODES = frozenset(
    {
        "server_error",
        "rate_limit_exceeded",
        "invalid_prompt",
        "context_length_exceeded",
        "insufficient_quota",
    }
)


@dataclass(slots=True)
class _Call:
    index: int
    id: str | None = None
    name: str | None = None
    kind: Literal["function", "custom"] = "function"
    buffer: list[str] = field(default_factory=list)  # fragments not yet written
    arguments: list[str] = field(default_factory=list)  # every fragment, for the done item
    started: bool = False
    closed: bool = False


@dataclass(slots=True)
class _Item:
    kind: ItemKind
    id: str
    index: int  # output_index
    text: list[str] = field(default_factory=list)
    encrypted: str | None = None
    call: _Call | None = None
    custom: bool = False
    search: bool = False  # a tool_search_call


class ResponsesStreamEncoder:
    def __init__(self, view: ClientView) -> None:
        self._view = view
        self._ids: ItemIds | None = None
        self._seq = 0
        self._started = False
        self._finished = False
        self._open: _Item | None = None
        self._output: list[Json] = []  # done items, in output order
        self._calls: dict[int, _Call] = {}
        self._call_ids: set[str] = set()  # ids of the calls written, each once
        self._deferred: list[ir.StreamEvent] = []  # text and reasoning that came during calls
        self._finishing = False
        self._usage: ir.Usage | None = None

    @property
    def finished(self) -> bool:
        return self._finished

    def encode(self, event: ir.StreamEvent) -> bytes:
        if self._finished:
            return b""
        if isinstance(event, ir.StreamFailed):
            return self.fail(event.error)
        if isinstance(event, ir.StreamStarted):
            if self._ids is None and event.id:
                self._ids = ItemIds(event.id)
            self._usage = event.usage or self._usage
            return self._start()
        out = [self._start()]
        if isinstance(event, ir.ToolCallDelta):
            out.append(self._tool_delta(event))
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.StreamFinished):
            out.append(self._finish(event))
        elif self._calls and not self._finishing:
            # Tool calls are streaming: closing the open call for this would leave its later
            # fragments nowhere to go. What the model says after a call follows the calls.
            self._deferred.append(event)
        else:
            out.append(self._content(event))
        return b"".join(out)

    def fail(self, error: ir.ErrorInfo) -> bytes:
        if self._finished:
            return b""
        out = self._start()
        self._finished = True
        code = error.kind if error.kind in _CODES else _code(error.status)
        response = self._response([*self._output], None, status="failed")
        response["error"] = {"code": code, "message": error.message}
        return out + self._event("response.failed", response=response)

    def keepalive(self) -> bytes:
        return b"" if self._finished else KEEPALIVE

    # --- the response ----------------------------------------------------------------------

    @property
    def _item_ids(self) -> ItemIds:
        if self._ids is None:
            self._ids = ItemIds(None)  # no StreamStarted came first
        return self._ids

    def _response(
        self, output: list[Json], reason: ir.StopReason | None, status: str | None = None
    ) -> Json:
        ids = self._item_ids
        return response_object(
            ids.response_id, self._view, self._view.model, output, reason, self._usage, status
        )

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = orjson.dumps({"type": kind, "sequence_number": self._seq, **fields})
        self._seq += 1
        return b"event: %b\ndata: %b\n\n" % (kind.encode(), data)

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        response = self._response([], None, status="in_progress")
        return self._event("response.created", response=response) + self._event(
            "response.in_progress", response=response
        )

    def _finish(self, event: ir.StreamFinished) -> bytes:
        out = [self._close(), self._pump_tools(final=True), self._close()]
        self._finishing = True
        out += [self._content(deferred) for deferred in self._deferred]
        out.append(self._close())
        if not self._output:
            # An answer without any output item reads as a failure to clients.
            out += [self._open_item("message"), self._close()]
        self._usage = event.usage or self._usage
        response = self._response(self._output, event.stop_reason)
        kind = "response.completed" if response["status"] == "completed" else "response.incomplete"
        out.append(self._event(kind, response=response))
        self._finished = True
        return b"".join(out)

    # --- messages and reasoning ------------------------------------------------------------

    def _content(self, event: ir.StreamEvent) -> bytes:
        if isinstance(event, ir.TextDelta):
            if not event.text:
                return b""
            out = self._ensure("message")
            assert self._open is not None
            self._open.text.append(event.text)
            return out + self._event(
                "response.output_text.delta",
                item_id=self._open.id,
                output_index=self._open.index,
                content_index=0,
                delta=event.text,
                logprobs=[],
            )
        if isinstance(event, ir.ThinkingDelta):
            if not event.text:
                return b""
            out = self._ensure("reasoning")
            assert self._open is not None
            if not self._open.text:
                out += self._summary_event("response.reasoning_summary_part.added", part="")
            self._open.text.append(event.text)
            return out + self._summary_event(
                "response.reasoning_summary_text.delta", delta=event.text
            )
        if isinstance(event, ir.ThinkingSignature | ir.EncryptedReasoning):
            # The opaque form of the reasoning just streamed: it goes on its item, which it
            # completes. Without reasoning text before it, it is an item of its own.
            out = self._ensure("reasoning")
            assert self._open is not None
            if isinstance(event, ir.ThinkingSignature):
                self._open.encrypted = SIGNATURE_MARK + event.signature
            else:
                self._open.encrypted = event.data
            return out + self._close()
        if isinstance(event, ir.RedactedThinking):
            out = self._ensure("reasoning", fresh=True)
            assert self._open is not None
            self._open.encrypted = REDACTED_MARK + event.data
            return out + self._close()
        return b""

    def _summary_event(self, kind: str, **fields: Any) -> bytes:
        item = self._open
        assert item is not None
        if "part" in fields:
            fields["part"] = {"type": "summary_text", "text": fields["part"]}
        return self._event(
            kind, item_id=item.id, output_index=item.index, summary_index=0, **fields
        )

    def _ensure(self, kind: ItemKind, fresh: bool = False) -> bytes:
        if self._open is not None and self._open.kind == kind and not fresh:
            return b""
        return self._close() + self._open_item(kind)

    def _open_item(self, kind: ItemKind, call: _Call | None = None) -> bytes:
        prefix = {"message": "msg", "reasoning": "rs"}.get(kind, "fc")
        custom = call is not None and is_custom(call.name or "", call.kind, self._view)
        search = call is not None and is_tool_search(call.name or "", call.kind, self._view)
        if custom:
            prefix = "ctc"
        elif search:
            prefix = "ts"
        item_id, index = self._item_ids.next(prefix), len(self._output)
        item = _Item(kind, item_id, index, call=call, custom=custom, search=search)
        self._open = item
        added = self._added(item)
        out = self._event("response.output_item.added", output_index=item.index, item=added)
        if kind == "message":
            out += self._event(
                "response.content_part.added",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                part=output_text(""),
            )
        return out

    def _added(self, item: _Item) -> Json:
        if item.kind == "message":
            return message_item(item.id, "", status="in_progress")
        if item.kind == "reasoning":
            return reasoning_item(item.id, "", None)
        call = item.call
        assert call is not None
        call_id, name = call.id or "", call.name or ""
        if item.custom:
            return custom_call_item(item.id, call_id, name, "")
        if item.search:
            return tool_search_item(item.id, call_id, {}, "in_progress")
        return function_call_item(item.id, call_id, name, "", "in_progress")

    def _close(self) -> bytes:
        item = self._open
        if item is None:
            return b""
        self._open = None
        text = "".join(item.text)
        out = b""
        where: Json = {"item_id": item.id, "output_index": item.index}
        if item.kind == "message":
            out += self._event("response.output_text.done", **where, content_index=0, text=text)
            part = output_text(text)
            out += self._event("response.content_part.done", **where, content_index=0, part=part)
            done = message_item(item.id, text)
        elif item.kind == "reasoning":
            if item.text:
                summary = {"type": "summary_text", "text": text}
                out += self._event(
                    "response.reasoning_summary_text.done", **where, summary_index=0, text=text
                )
                out += self._event(
                    "response.reasoning_summary_part.done", **where, summary_index=0, part=summary
                )
            done = reasoning_item(item.id, text, item.encrypted)
        else:
            out, done = self._close_call(item)
        self._output.append(done)
        return out + self._event("response.output_item.done", output_index=item.index, item=done)

    # --- tool calls ------------------------------------------------------------------------

    def _tool_delta(self, event: ir.ToolCallDelta) -> bytes:
        call = self._calls.setdefault(event.index, _Call(event.index))
        if call.closed:
            return b""  # its item is done (something came between): nowhere to go
        call.id = call.id or event.id
        call.name = call.name or event.name
        if event.kind == "custom":
            call.kind = "custom"
        if event.arguments:
            call.buffer.append(event.arguments)
        out = b""
        if self._open is not None and self._open.kind != "call":
            out = self._close()
        return out + self._pump_tools(final=False)

    def _pump_tools(self, final: bool) -> bytes:
        """Write what can be written: the open call's fragments, and, when nothing holds
        the floor, the next call in index order. ``final`` closes each call in turn."""
        out: list[bytes] = []
        while True:
            item = self._open
            if item is not None and item.call is not None:
                out.append(self._flush(item))
                if not final:
                    break  # the open call keeps the floor until something else needs it
                out.append(self._close())
                continue
            waiting = [c for c in self._calls.values() if not c.started and not c.closed]
            if not waiting:
                break
            call = min(waiting, key=lambda c: c.index)
            if call.id is None or call.name is None:
                if not final:
                    break  # not startable yet; later calls wait their turn
                if call.name is None:
                    call.closed = True  # a call without a name cannot be run: skip it
                    continue
            call.id = unique_call_id(call.id, call.index, self._call_ids)
            call.started = True
            out.append(self._open_item("call", call))
        return b"".join(out)

    def _flush(self, item: _Item) -> bytes:
        call = item.call
        assert call is not None
        if not call.buffer:
            return b""
        fragments = "".join(call.buffer)
        call.buffer.clear()
        call.arguments.append(fragments)
        if item.search:
            return b""  # a JSON value on the done item: no delta events carry it
        if item.custom:
            if call.kind == "function":
                return b""  # wrapped in JSON: written unwrapped when the call ends
            kind = "response.custom_tool_call_input.delta"
        else:
            kind = "response.function_call_arguments.delta"
        return self._event(kind, item_id=item.id, output_index=item.index, delta=fragments)

    def _close_call(self, item: _Item) -> tuple[bytes, Json]:
        call = item.call
        assert call is not None
        out = self._flush(item)
        call.closed = True
        arguments = "".join(call.arguments)
        where: Json = {"item_id": item.id, "output_index": item.index}
        call_id, name = call.id or "", call.name or ""
        if item.search:
            return out, tool_search_item(item.id, call_id, search_arguments(arguments), "completed")
        if not item.custom:
            out += self._event(
                "response.function_call_arguments.done", **where, arguments=arguments
            )
            return out, function_call_item(item.id, call_id, name, arguments, "completed")
        text = arguments
        if call.kind == "function":
            text = custom_input(arguments)
            if text:
                out += self._event("response.custom_tool_call_input.delta", **where, delta=text)
        out += self._event("response.custom_tool_call_input.done", **where, input=text)
        return out, custom_call_item(item.id, call_id, name, text)


def _code(status: int) -> str:
    if status == 429:
        return "rate_limit_exceeded"
    return "server_error" if status >= 500 else "invalid_request_error"
