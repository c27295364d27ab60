"""Read an Anthropic Messages stream into neutral stream events.

Bytes may arrive split anywhere; ``SseParser`` reassembles events. A broken stream never raises:
malformed JSON or an ``error`` event becomes ``StreamFailed``, and nothing is read after it.
Tool calls are numbered 0, 1, 2… in the order their blocks start (not by block index), as the
neutral ``ToolCallDelta`` wants. Server-tool blocks are skipped, as in ``decode_response``. A
call streamed without arguments (only ``""`` fragments) gets ``{}``, as ``decode_response`` gives.

A stream that ends without ``message_stop`` still finishes if ``message_delta`` already gave
the stop reason (only the closing event was lost); otherwise it was cut short and fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.anthropic import vocabulary
from cligate.protocols.anthropic.decode_response import compact_json, status_for_error_type
from cligate.protocols.sse import SseEvent, SseParser

_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


class AnthropicStreamDecoder:
    def __init__(self) -> None:
        self._parser = SseParser()
        self._tools: dict[int, int] = {}  # block index -> tool call number
        self._no_arguments: set[int] = set()  # tool call numbers given no arguments yet
        self._skipped: set[int] = set()  # block indexes of server-tool blocks
        self._usage: dict[str, int] = {}
        self._stop_reason: ir.StopReason | None = None
        self._stop_word: str | None = None
        self._stop_sequence: str | None = None
        self._done = False  # finished or failed: nothing more is read

    def feed(self, chunk: bytes) -> list[ir.StreamEvent]:
        return self._events(self._parser.feed(chunk))

    def finish(self) -> list[ir.StreamEvent]:
        events = self._events(self._parser.finish())
        if self._done:
            return events
        self._done = True
        if self._stop_word is not None:
            self._close_calls(events)
            events.append(self._finished())
        else:
            message = "the provider's stream ended before the answer was complete"
            events.append(ir.StreamFailed(ir.ErrorInfo(502, message, unreadable=True)))
        return events

    def _events(self, raw: list[SseEvent]) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for item in raw:
            if self._done:
                break
            try:
                data: Any = json.loads(item.data)
            except (ValueError, RecursionError):
                data = None
            if not isinstance(data, Mapping):
                self._done = True
                snippet = item.data[:200]
                message = f"malformed stream event: {snippet!r}"
                events.append(ir.StreamFailed(ir.ErrorInfo(502, message, unreadable=True)))
                break
            self._event(data.get("type") or item.event, data, events)
        return events

    def _event(self, kind: object, data: Mapping[str, Any], out: list[ir.StreamEvent]) -> None:
        if kind == "message_start":
            message = _mapping(data.get("message"))
            self._merge_usage(message.get("usage"))
            out.append(
                ir.StreamStarted(
                    id=_str(message.get("id")),
                    model=_str(message.get("model")),
                    usage=vocabulary.usage_from(message.get("usage")),
                )
            )
        elif kind == "content_block_start":
            self._block_start(data.get("index"), _mapping(data.get("content_block")), out)
        elif kind == "content_block_delta":
            self._block_delta(data.get("index"), _mapping(data.get("delta")), out)
        elif kind == "message_delta":
            delta = _mapping(data.get("delta"))
            word = delta.get("stop_reason")
            if isinstance(word, str):
                self._stop_word = word
                self._stop_reason = vocabulary.stop_reason(word)
            sequence = delta.get("stop_sequence")
            if isinstance(sequence, str):
                self._stop_sequence = sequence
            self._merge_usage(data.get("usage"))
        elif kind == "content_block_stop":
            self._close_calls(out, data.get("index"))
        elif kind == "message_stop":
            self._done = True
            if self._stop_word is None:
                self._stop_word = "end_turn"  # closed without a reason: an ordinary end
                self._stop_reason = ir.StopReason.END
            self._close_calls(out)
            out.append(self._finished())
        elif kind == "error":
            self._done = True
            error = _mapping(data.get("error"))
            error_type = error.get("type")
            text = error.get("message")
            out.append(
                ir.StreamFailed(
                    ir.ErrorInfo(
                        status=status_for_error_type(error_type),
                        message=text if isinstance(text, str) else "the provider failed",
                        kind=error_type if isinstance(error_type, str) else None,
                    )
                )
            )
        # ping and event types added later carry nothing to translate

    def _block_start(
        self, index: object, block: Mapping[str, Any], out: list[ir.StreamEvent]
    ) -> None:
        kind = block.get("type")
        if kind == "text":
            text = _str(block.get("text"))
            if text:
                out.append(ir.TextDelta(text))
        elif kind == "thinking":
            text, signature = _str(block.get("thinking")), _str(block.get("signature"))
            if text:
                out.append(ir.ThinkingDelta(text))
            if signature:
                out.append(ir.ThinkingSignature(signature))
        elif kind == "redacted_thinking":
            out.append(ir.RedactedThinking(_str(block.get("data"))))
        elif kind == "tool_use" and isinstance(index, int):
            number = len(self._tools)
            self._tools[index] = number
            out.append(
                ir.ToolCallDelta(number, id=_str(block.get("id")), name=_str(block.get("name")))
            )
            arguments = block.get("input")
            if arguments:  # given whole up front (server tools may): still the arguments
                out.append(ir.ToolCallDelta(number, arguments=compact_json(arguments)))
            else:
                self._no_arguments.add(number)
        elif isinstance(index, int):
            self._skipped.add(index)

    def _block_delta(
        self, index: object, delta: Mapping[str, Any], out: list[ir.StreamEvent]
    ) -> None:
        if isinstance(index, int) and index in self._skipped:
            return
        kind = delta.get("type")
        if kind == "text_delta":
            text = _str(delta.get("text"))
            if text:
                out.append(ir.TextDelta(text))
        elif kind == "thinking_delta":
            text = _str(delta.get("thinking"))
            if text:
                out.append(ir.ThinkingDelta(text))
        elif kind == "signature_delta":
            signature = _str(delta.get("signature"))
            if signature:
                out.append(ir.ThinkingSignature(signature))
        elif kind == "input_json_delta" and isinstance(index, int) and index in self._tools:
            fragment = _str(delta.get("partial_json"))
            if fragment:
                self._no_arguments.discard(self._tools[index])
                out.append(ir.ToolCallDelta(self._tools[index], arguments=fragment))
        # citations_delta and unknown deltas: nothing the client protocols can carry

    def _close_calls(self, out: list[ir.StreamEvent], index: object = None) -> None:
        """A call without arguments streams only ``""`` fragments; Chat clients json.loads the
        arguments (OpenAI sends ``{}``), so a call closed with none gets ``{}``. ``index`` None:
        every open call, for a provider that skips content_block_stop."""
        if index is None:
            numbers = sorted(self._no_arguments)
        elif isinstance(index, int) and self._tools.get(index) in self._no_arguments:
            numbers = [self._tools[index]]
        else:
            return
        for number in numbers:
            self._no_arguments.discard(number)
            out.append(ir.ToolCallDelta(number, arguments="{}"))

    def _merge_usage(self, raw: object) -> None:
        # message_delta counts are cumulative, and some compatible providers report 0 input
        # tokens in one of the two events: the larger count is the right one.
        usage = _mapping(raw)
        for key in _USAGE_KEYS:
            value = usage.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                self._usage[key] = max(self._usage.get(key, 0), value)

    def _finished(self) -> ir.StreamFinished:
        return ir.StreamFinished(
            stop_reason=self._stop_reason,
            usage=vocabulary.usage_from(self._usage) if self._usage else None,
            stop_sequence=self._stop_sequence,
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
