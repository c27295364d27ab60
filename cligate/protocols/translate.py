"""One translated exchange, pure: the client's request for the provider, and the provider's
answer, error or stream back for the client.

The server does the I/O and calls these; the rules of each protocol live in its codec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from cligate.protocols import ir
from cligate.protocols.capabilities import CapabilityProfile, Decisions
from cligate.protocols.codecs import ClientView, Codec, StreamDecoder, StreamEncoder
from cligate.protocols.error_shapes import error_body


@dataclass(frozen=True, slots=True)
class TranslatedRequest:
    body: bytes
    decisions: Decisions


def translate_request(
    request: ir.Request,
    upstream: Codec,
    model: str,
    profile: CapabilityProfile,
    strict: bool,
) -> TranslatedRequest:
    """The body for the provider; ``StrictModeError`` when strict mode refuses a degradation."""
    decisions = Decisions(strict=strict)
    body = upstream.encode_request(request, model, profile, decisions)
    try:
        return TranslatedRequest(orjson.dumps(body), decisions)
    except TypeError as exc:  # e.g. a lone surrogate escape, valid JSON text but not UTF-8
        raise ir.DecodeError(f"the request holds text that cannot be sent on: {exc}") from None


def translate_error(
    client: Codec, upstream: Codec, status: int, body: bytes, provider: str
) -> bytes:
    """A provider's error body, retold in the client's protocol with the same status."""
    error = upstream.decode_error(status, body)
    return error_body(
        client.protocol, status, "cligate: " + provider_error_message(error, provider)
    )


def provider_error_message(error: ir.ErrorInfo, provider: str) -> str:
    kind = f" {error.kind}" if error.kind else ""
    return f"provider '{provider}' answered {error.status}{kind}: {error.message}"


def translate_response(client: Codec, upstream: Codec, body: bytes, view: ClientView) -> bytes:
    """A complete (non-streamed) answer; ``DecodeError`` if the provider's is not valid."""
    response = upstream.decode_response(_json_object(body))
    return orjson.dumps(client.encode_response(response, view))


def response_as_stream(client: Codec, upstream: Codec, body: bytes, view: ClientView) -> bytes:
    """A provider that answered a streamed request with a whole JSON body: its answer as the
    client's stream (the answer is complete already, so nothing is held back)."""
    response = upstream.decode_response(_json_object(body))
    encoder = client.stream_encoder(view)
    return b"".join(encoder.encode(event) for event in response_events(response))


def response_events(response: ir.Response) -> list[ir.StreamEvent]:
    events: list[ir.StreamEvent] = [ir.StreamStarted(response.id, response.model)]
    calls = 0
    for part in response.parts:
        if isinstance(part, ir.Text):
            events.append(ir.TextDelta(part.text))
        elif isinstance(part, ir.Thinking):
            if part.redacted is not None:
                events.append(ir.RedactedThinking(part.redacted))
                continue
            events.append(ir.ThinkingDelta(part.text))
            if part.signature:
                events.append(ir.ThinkingSignature(part.signature))
            if part.encrypted:
                events.append(ir.EncryptedReasoning(part.encrypted))
        else:
            events.append(
                ir.ToolCallDelta(
                    calls, part.id, part.name, part.arguments, part.kind, part.signature
                )
            )
            calls += 1
    events.append(ir.StreamFinished(response.stop_reason, response.usage, response.stop_sequence))
    return events


class StreamTranslator:
    """Provider SSE bytes in, client SSE bytes out, event by event: nothing waits for the end."""

    def __init__(self, decoder: StreamDecoder, encoder: StreamEncoder, provider: str) -> None:
        self._decoder = decoder
        self._encoder = encoder
        self._provider = provider
        self.failure: str | None = None  # the message of the error the stream ended with

    @staticmethod
    def between(
        client: Codec, upstream: Codec, view: ClientView, provider: str
    ) -> StreamTranslator:
        return StreamTranslator(upstream.stream_decoder(), client.stream_encoder(view), provider)

    @property
    def finished(self) -> bool:
        return self._encoder.finished

    def feed(self, chunk: bytes) -> bytes:
        return self._write(self._decoder.feed(chunk))

    def finish(self) -> bytes:
        """The provider's body ended. A stream it never finished ends in an error event: the
        client must not take half an answer for a whole one."""
        out = self._write(self._decoder.finish())
        if not self._encoder.finished:
            out += self.fail(
                ir.ErrorInfo(
                    502,
                    f"cligate: provider '{self._provider}' ended the stream before the answer "
                    "was complete",
                )
            )
        return out

    def fail(self, error: ir.ErrorInfo) -> bytes:
        if self._encoder.finished:
            return b""
        self.failure = self.failure or error.message
        return self._encoder.fail(error)

    def keepalive(self) -> bytes:
        return b"" if self._encoder.finished else self._encoder.keepalive()

    def _write(self, events: list[ir.StreamEvent]) -> bytes:
        if not events or self._encoder.finished:
            return b""
        encode = self._encoder.encode
        return b"".join([encode(self._told(event)) for event in events])

    def _told(self, event: ir.StreamEvent) -> ir.StreamEvent:
        """A provider's error event, retold so the user sees where it came from."""
        if not isinstance(event, ir.StreamFailed):
            return event
        error = event.error
        if error.unreadable:
            message = f"cligate: the stream from provider '{self._provider}' broke: {error.message}"
        else:
            message = "cligate: " + provider_error_message(error, self._provider)
        self.failure = self.failure or message
        return ir.StreamFailed(ir.ErrorInfo(error.status, message, error.kind))


def _json_object(body: bytes) -> Mapping[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ir.DecodeError(f"the provider's answer is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ir.DecodeError("the provider's answer is not a JSON object")
    return value
