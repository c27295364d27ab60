"""Neutral stream events → an Anthropic Messages SSE stream, as the official SDKs parse it.

The Anthropic stream is a sequence of content blocks, one open at a time, each started,
filled with deltas and stopped. Neutral events are loose deltas, so this keeps the block
bookkeeping: a delta of another kind closes the open block; a tool_use block starts only
once its id and name are known; parallel tool calls whose fragments arrive interleaved are
emitted one after another in index order (a call that is not the open block is buffered
until its turn), so they are never merged; text that arrives once calls have begun is written
after them, so no call's block is closed early. Nothing is written after message_stop or an
error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_response import anthropic_stop, message_id, tool_input
from cligate.protocols.anthropic.vocabulary import usage_to
from cligate.protocols.error_shapes import stream_error_event
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.tool_ids import to_anthropic_id

BlockKind = Literal["text", "thinking", "tool_use"]


@dataclass(slots=True)
class _Call:
    index: int
    id: str | None = None
    name: str | None = None
    buffer: list[str] = field(default_factory=list)  # fragments not yet written
    # Whether the arguments are not a JSON object (None: not known yet). Such text would make
    # the client's partial-JSON parser fail mid-stream: it is held and written whole at the
    # call's end, as ``tool_input`` reads it.
    raw: bool | None = None
    started: bool = False
    closed: bool = False


@dataclass(slots=True)
class _Block:
    kind: BlockKind
    index: int  # the block's position in the message
    call: _Call | None = None


class AnthropicStreamEncoder:
    def __init__(
        self, model: str, message_id: str | None = None, input_tokens_estimate: int = 0
    ) -> None:
        self._model = model
        self._message_id = message_id
        self._started = False
        self._finished = False
        self._open: _Block | None = None
        self._blocks = 0  # blocks started so far: the next block's index
        self._calls: dict[int, _Call] = {}
        self._tool_use_sent = False
        self._input_usage: ir.Usage | None = None
        # Chat providers tell input tokens only at the end; message_start says 0 otherwise,
        # which clients read as an empty prompt. The final count replaces it in message_delta.
        self._estimate = ir.Usage(input_tokens=input_tokens_estimate)
        self._usage: ir.Usage | None = None
        # Text and thinking that came while tool calls were streaming, written after them.
        self._deferred: list[tuple[Literal["text", "thinking"], dict[str, Any]]] = []
        self._finishing = False

    @property
    def finished(self) -> bool:
        return self._finished

    def encode(self, event: ir.StreamEvent) -> bytes:
        if self._finished:
            return b""
        if isinstance(event, ir.StreamFailed):
            return self.fail(event.error)
        if isinstance(event, ir.StreamStarted):
            if event.usage is not None:
                self._input_usage = event.usage
            if self._message_id is None and event.id:
                self._message_id = event.id
            return self._start()
        out = [self._start()]
        if isinstance(event, ir.TextDelta):
            if event.text:
                out.append(self._delta("text", {"type": "text_delta", "text": event.text}))
        elif isinstance(event, ir.ThinkingDelta):
            if event.text:
                delta = {"type": "thinking_delta", "thinking": event.text}
                out.append(self._delta("thinking", delta))
        elif isinstance(event, ir.ThinkingSignature):
            delta = {"type": "signature_delta", "signature": event.signature}
            out.append(self._delta("thinking", delta))
        elif isinstance(event, ir.RedactedThinking):
            out.append(self._close())
            index = self._new_block()
            block = {"type": "redacted_thinking", "data": event.data}
            out.append(_event("content_block_start", index=index, content_block=block))
            out.append(_event("content_block_stop", index=index))
        elif isinstance(event, ir.ToolCallDelta):
            out.append(self._tool_delta(event))
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.StreamFinished):
            out.append(self._finish(event))
        # EncryptedReasoning: another vendor's opaque reasoning; no Anthropic block carries it.
        return b"".join(out)

    def fail(self, error: ir.ErrorInfo) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        return stream_error_event(WireProtocol.ANTHROPIC, error.status, error.message)

    def keepalive(self) -> bytes:
        return b"" if self._finished else _event("ping")

    # --- message ---------------------------------------------------------------------------

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        usage = usage_to(self._input_usage or self._estimate)
        message: dict[str, Any] = {
            "id": message_id(self._message_id),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        return _event("message_start", message=message)

    def _finish(self, event: ir.StreamFinished) -> bytes:
        out = [self._close(), self._pump_tools(final=True), self._close()]
        self._finishing = True
        out += [self._delta(kind, delta) for kind, delta in self._deferred]
        out.append(self._close())
        if not self._blocks:
            # A message with no content at all reads as an error to clients.
            index = self._new_block()
            out.append(_event("content_block_start", index=index, content_block=_EMPTY_TEXT))
            out.append(_event("content_block_stop", index=index))
        usage = event.usage or self._usage or self._input_usage
        delta = {
            "stop_reason": anthropic_stop(event.stop_reason, self._tool_use_sent),
            "stop_sequence": event.stop_sequence,
        }
        out.append(_event("message_delta", delta=delta, usage=_delta_usage(usage)))
        out.append(_event("message_stop"))
        self._finished = True
        return b"".join(out)

    # --- blocks ----------------------------------------------------------------------------

    def _new_block(self) -> int:
        index = self._blocks
        self._blocks += 1
        return index

    def _delta(self, kind: Literal["text", "thinking"], delta: dict[str, Any]) -> bytes:
        if self._calls and not self._finishing:
            # Tool calls are streaming: closing the open call's block for this would leave
            # its later fragments nowhere to go. Text after a call follows the calls.
            self._deferred.append((kind, delta))
            return b""
        out = b""
        if self._open is None or self._open.kind != kind:
            out = self._close()
            index = self._new_block()
            self._open = _Block(kind, index)
            block = _EMPTY_TEXT if kind == "text" else _EMPTY_THINKING
            out += _event("content_block_start", index=index, content_block=block)
        return out + _event("content_block_delta", index=self._open.index, delta=delta)

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        block, self._open = self._open, None
        out = b""
        if block.call is not None:
            out = self._flush(block.call, block.index, closing=True)
            block.call.closed = True
        return out + _event("content_block_stop", index=block.index)

    # --- tool calls ------------------------------------------------------------------------

    def _tool_delta(self, event: ir.ToolCallDelta) -> bytes:
        call = self._calls.setdefault(event.index, _Call(event.index))
        if call.closed:
            # Its block was stopped (text came between): the fragment has nowhere to go.
            return b""
        call.id = call.id or event.id
        call.name = call.name or event.name
        if event.arguments:
            call.buffer.append(event.arguments)
        out = b""
        if self._open is not None and self._open.kind != "tool_use":
            out = self._close()
        return out + self._pump_tools(final=False)

    def _pump_tools(self, final: bool) -> bytes:
        """Write what can be written: the open call's fragments, and, when nothing holds
        the floor, the next call in index order. ``final`` closes each call in turn."""
        out: list[bytes] = []
        while True:
            block = self._open
            if block is not None and block.call is not None:
                out.append(self._flush(block.call, block.index))
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
                call.id = f"call_{call.index}"
            out.append(self._start_tool(call))
        return b"".join(out)

    def _start_tool(self, call: _Call) -> bytes:
        call.started = True
        self._tool_use_sent = True
        index = self._new_block()
        self._open = _Block("tool_use", index, call)
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": to_anthropic_id(call.id or ""),
            "name": call.name,
            "input": {},
        }
        return _event("content_block_start", index=index, content_block=block)

    @staticmethod
    def _flush(call: _Call, index: int, closing: bool = False) -> bytes:
        if not call.buffer:
            return b""
        fragments = "".join(call.buffer)
        if call.raw is None:
            head = fragments.lstrip()
            if head:
                call.raw = not head.startswith("{")
            elif not closing:
                return b""  # only whitespace so far: what follows decides
        if not closing and call.raw:
            return b""
        call.buffer.clear()
        if call.raw is not False:
            # Held to the end (or only whitespace): the input as a whole object.
            value = tool_input(fragments)
            if not value:
                return b""
            fragments = orjson.dumps(value).decode()
        delta = {"type": "input_json_delta", "partial_json": fragments}
        return _event("content_block_delta", index=index, delta=delta)


_EMPTY_TEXT = {"type": "text", "text": ""}
_EMPTY_THINKING = {"type": "thinking", "thinking": "", "signature": ""}


def _delta_usage(usage: ir.Usage | None) -> dict[str, int]:
    """Output tokens always; the input side only when known (the SDKs keep message_start's
    numbers for a field the delta leaves out)."""
    if usage is None:
        return {"output_tokens": 0}
    if not usage.input_tokens:
        return {"output_tokens": usage.output_tokens}
    return usage_to(usage)


def _event(kind: str, **fields: Any) -> bytes:
    # Bytes straight from orjson: no decode and re-encode per event on the hot path.
    return b"event: %b\ndata: %b\n\n" % (kind.encode(), orjson.dumps({"type": kind, **fields}))
