"""Write neutral stream events as Chat Completions ``chat.completion.chunk`` SSE.

The first chunk carries the role; thinking goes to ``delta.reasoning_content``; signatures and
redacted thinking have no Chat field and write nothing. The finish chunk is followed, when the
client asked for ``stream_options.include_usage``, by a usage chunk with no choices, then by
``[DONE]``. A failure writes OpenAI's error object as a data line and ends the stream.
"""

from __future__ import annotations

from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.error_shapes import stream_error_event
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.openai_chat import vocabulary
from cligate.protocols.openai_chat.encode_response import completion_id, finish_reason

DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": keep-alive\n\n"
_FALLBACK_ID = "chatcmpl-cligate"


class ChatStreamEncoder:
    def __init__(
        self, model: str, created: int, include_usage: bool, completion_id: str | None = None
    ) -> None:
        self.model = model
        self.created = created
        self.include_usage = include_usage
        self.completion_id = completion_id
        self.finished = False
        self._started = False
        self._calls: set[int] = set()  # tool call numbers whose first delta was written
        self._usage: ir.Usage | None = None

    def encode(self, event: ir.StreamEvent) -> bytes:
        if self.finished:
            return b""
        if isinstance(event, ir.StreamStarted):
            if self.completion_id is None and event.id:
                self.completion_id = completion_id(event.id)
            self._usage = event.usage or self._usage
            return self._start()
        if isinstance(event, ir.TextDelta):
            return self._delta({"content": event.text}) if event.text else b""
        if isinstance(event, ir.ThinkingDelta):
            return self._delta({"reasoning_content": event.text}) if event.text else b""
        if isinstance(event, ir.ToolCallDelta):
            return self._tool_call(event)
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return b""
        if isinstance(event, ir.StreamFinished):
            return self._finish(event)
        if isinstance(event, ir.StreamFailed):
            return self.fail(event.error)
        # ThinkingSignature, EncryptedReasoning, RedactedThinking: nothing in Chat carries them
        return b""

    def fail(self, error: ir.ErrorInfo) -> bytes:
        if self.finished:
            return b""
        self.finished = True
        return stream_error_event(WireProtocol.OPENAI_CHAT, error.status, error.message)

    def keepalive(self) -> bytes:
        return b"" if self.finished else KEEPALIVE

    # --- chunks ----------------------------------------------------------------------------

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        if self.completion_id is None:
            self.completion_id = _FALLBACK_ID  # no StreamStarted came first
        chunk = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    def _choice(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._chunk([self._choice({"role": "assistant", "content": ""})])

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return self._start() + self._chunk([self._choice(delta)])

    def _tool_call(self, event: ir.ToolCallDelta) -> bytes:
        if event.index not in self._calls:
            self._calls.add(event.index)
            call = {
                "index": event.index,
                "id": event.id or f"call_{event.index}",
                "type": "function",
                "function": {"name": event.name or "", "arguments": event.arguments},
            }
        elif event.arguments:
            call = {"index": event.index, "function": {"arguments": event.arguments}}
        else:
            return b""
        return self._delta({"tool_calls": [call]})

    def _finish(self, event: ir.StreamFinished) -> bytes:
        self.finished = True
        reason = finish_reason(event.stop_reason, bool(self._calls))
        out = self._start() + self._chunk([self._choice({}, reason)])
        if self.include_usage:
            usage = event.usage or self._usage
            out += self._chunk([], usage=vocabulary.usage_to(usage))
        return out + DONE
