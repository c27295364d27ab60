"""Neutral stream events → a Gemini ``streamGenerateContent?alt=sse`` stream.

Each event is ``data: {GenerateContentResponse}`` holding a piece of the one candidate: a text
delta is a text part, a thinking delta a thought part (a thinking signature a thought part
with empty text and the ``thoughtSignature``). Gemini never streams a call's arguments in
pieces, so the fragments of each tool call are held, and the calls written whole (one
``functionCall`` part each, in index order, together in one event) when anything else
arrives or the answer ends. A fragment of a call already written has nowhere to go and is
dropped (providers finish a call before they say anything else). Opaque reasoning
(encrypted or redacted) has no Gemini form and is left out.

The last event carries the ``finishReason`` and the ``usageMetadata`` (and the calls still
held, else an empty text part, as Gemini ends its streams); an empty answer is that event
alone. A failure is Gemini's error object as a data line (``protocols/error_shapes.py``),
which the SDKs raise; a rate limit or overload the provider named by kind keeps its status
(429, 503), so Gemini CLI backs off as it would for Gemini. Nothing is written after either.
When the provider never said how long the prompt was, ``promptTokenCount`` is the handler's
estimate: Gemini CLI decides when to compress the conversation by it. A keepalive is a blank
line, the one thing between events that both Gemini SDKs skip.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.codecs import ClientView
from cligate.protocols.error_shapes import stream_error_event
from cligate.protocols.gemini.encode_response import (
    finish_reason,
    function_call_part,
    response_object,
    thought_part,
    unique_call_id,
    usage_metadata,
)
from cligate.protocols.kinds import WireProtocol

# A blank line: both Gemini SDKs skip it. An SSE comment (": …") is not skipped: the Python
# SDK fails on it as JSON, and @google/genai (Gemini CLI) only reads an event at the start of
# its buffer, so a comment there blocks every later event and the stream ends in an error.
KEEPALIVE = b"\n"
Json = dict[str, Any]
# A provider's error kinds that say more than the status a stream decoder could give them.
_KIND_STATUS = {
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "overloaded_error": 503,
}


@dataclass(slots=True)
class _Call:
    id: str | None = None
    name: str | None = None
    signature: str | None = None
    fragments: list[str] = field(default_factory=list)


class GeminiStreamEncoder:
    def __init__(self, view: ClientView) -> None:
        self._view = view
        self._id: str | None = None
        self._usage: ir.Usage | None = None
        self._calls: dict[int, _Call] = {}  # held until written
        self._written: set[int] = set()  # indexes of the calls written
        self._call_ids: set[str] = set()
        self._finished = False

    @property
    def finished(self) -> bool:
        return self._finished

    def encode(self, event: ir.StreamEvent) -> bytes:
        if self._finished:
            return b""
        if isinstance(event, ir.ToolCallDelta):
            self._call_delta(event)
            return b""
        if isinstance(event, ir.StreamStarted):
            self._id = self._id or event.id or None
            self._usage = event.usage or self._usage
            return b""
        if isinstance(event, ir.StreamFailed):
            return self.fail(event.error)
        if isinstance(event, ir.StreamFinished):
            return self._finish(event)
        out = self._write_calls()
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.TextDelta):
            if event.text:
                out += self._event([{"text": event.text}])
        elif isinstance(event, ir.ThinkingDelta | ir.ThinkingSignature):
            text = event.text if isinstance(event, ir.ThinkingDelta) else ""
            signature = event.signature if isinstance(event, ir.ThinkingSignature) else None
            part = thought_part(text, signature)
            if part is not None:
                out += self._event([part])
        return out

    def fail(self, error: ir.ErrorInfo) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        status = _KIND_STATUS.get(error.kind or "", error.status)
        return stream_error_event(WireProtocol.GEMINI, status, error.message)

    def keepalive(self) -> bytes:
        return b"" if self._finished else KEEPALIVE

    # --- events ----------------------------------------------------------------------------

    def _event(
        self, parts: list[Json], finish: str | None = None, usage: Json | None = None
    ) -> bytes:
        body = response_object(self._view.model, self._id, parts, finish, usage)
        return b"data: %b\n\n" % orjson.dumps(body)

    def _finish(self, event: ir.StreamFinished) -> bytes:
        self._finished = True
        parts = self._call_parts() or [{"text": ""}]
        usage = event.usage or self._usage
        if usage is None or not usage.input_tokens:
            estimate = self._view.input_tokens_estimate
            usage = replace(usage or ir.Usage(), input_tokens=estimate)
        return self._event(parts, finish_reason(event.stop_reason), usage_metadata(usage))

    # --- tool calls ------------------------------------------------------------------------

    def _call_delta(self, event: ir.ToolCallDelta) -> None:
        if event.index in self._written:
            return  # its part is written: nowhere to go
        call = self._calls.setdefault(event.index, _Call())
        call.id = call.id or event.id
        call.name = call.name or event.name
        call.signature = call.signature or event.signature
        if event.arguments:
            call.fragments.append(event.arguments)

    def _call_parts(self) -> list[Json]:
        parts = []
        for index in sorted(self._calls):
            call = self._calls.pop(index)
            self._written.add(index)
            if not call.name:
                continue  # a call without a name cannot be run
            call_id = unique_call_id(call.id, call.name, index, self._call_ids)
            arguments = "".join(call.fragments)
            parts.append(function_call_part(call_id, call.name, arguments, call.signature))
        return parts

    def _write_calls(self) -> bytes:
        parts = self._call_parts()
        return self._event(parts) if parts else b""
