"""Token counts read from a provider's answer, in its own protocol, streamed or whole.

Every protocol reports usage its own way; the record keeps one shape (``TokenCounts``): input
tokens neither read from nor written to a cache, output tokens (reasoning included), cache
reads and writes, and the reasoning share of the output.

Streams are watched at almost no cost: each piece is searched (in C) for ``"usage`` and only
the first and last complete lines that carry it are kept; they are parsed once, when the
stream ends. The first matters for Anthropic (``message_start`` has the input counts), the last
for everyone (final output counts; Chat, Responses and Gemini report cumulative usage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from cligate.protocols.kinds import WireProtocol

_MARK = b'"usage'  # "usage" (Anthropic, Chat, Responses) and "usageMetadata" (Gemini)
_NULL_USAGE = (b'"usage":null', b'"usage": null')  # Chat chunks before the last one


@dataclass(frozen=True, slots=True)
class TokenCounts:
    input: int = 0  # neither read from nor written to a cache
    output: int = 0  # reasoning included
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write


class StreamUsage:
    """Fed a provider's SSE body piece by piece; ``counts()`` once it has ended."""

    __slots__ = ("_first", "_last", "_partial", "_protocol")

    def __init__(self, protocol: WireProtocol) -> None:
        self._protocol = protocol
        self._partial: list[bytes] = []  # the line still arriving
        self._first: bytes | None = None
        self._last: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._partial.append(chunk)
            return
        if self._partial:
            self._partial.append(chunk[:cut])
            block = b"".join(self._partial)
            self._partial.clear()
            if _MARK in block:
                self._keep(block)
        elif chunk.find(_MARK, 0, cut) >= 0:
            self._keep(chunk[:cut])
        if cut + 1 < len(chunk):
            self._partial.append(chunk[cut + 1 :])

    def _keep(self, block: bytes) -> None:
        for line in block.split(b"\n"):
            if _MARK in line and line.startswith(b"data:"):
                if any(null in line for null in _NULL_USAGE) and b'"usage":{' not in line:
                    continue
                if self._first is None:
                    self._first = line
                self._last = line

    def counts(self) -> TokenCounts | None:
        """What the stream reported, or None when it reported nothing readable."""
        if self._partial:  # a last line without its newline
            self._keep(b"".join(self._partial))
            self._partial.clear()
        found = None
        for line in (self._first, self._last) if self._first is not self._last else (self._last,):
            if line is None:
                continue
            try:
                event = orjson.loads(line[5:])
            except orjson.JSONDecodeError:
                continue
            if isinstance(event, Mapping):
                found = merge(found, counts_from_event(self._protocol, event))
        return found


def counts_from_body(protocol: WireProtocol, body: bytes) -> TokenCounts | None:
    """The usage of a whole (non-streamed) answer, or None."""
    if _MARK not in body:
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, Mapping):
        return None
    return counts_from_event(protocol, value)


def counts_from_event(protocol: WireProtocol, event: Mapping[str, Any]) -> TokenCounts | None:
    """Usage in one parsed stream event or whole answer of ``protocol``."""
    if protocol is WireProtocol.ANTHROPIC:
        message = event.get("message")
        usage = event.get("usage") or (
            message.get("usage") if isinstance(message, Mapping) else None
        )
        return _anthropic(usage)
    if protocol is WireProtocol.OPENAI_CHAT:
        return _chat(event.get("usage"))
    if protocol is WireProtocol.OPENAI_RESPONSES:
        response = event.get("response")
        usage = event.get("usage") or (
            response.get("usage") if isinstance(response, Mapping) else None
        )
        return _responses(usage)
    return _gemini(event.get("usageMetadata"))


def merge(earlier: TokenCounts | None, later: TokenCounts | None) -> TokenCounts | None:
    """Counts from two events of one answer: a later non-zero count replaces an earlier one
    (Anthropic's message_delta repeats or completes what message_start said)."""
    if earlier is None or later is None:
        return later or earlier
    return TokenCounts(
        input=later.input or earlier.input,
        output=later.output or earlier.output,
        cache_read=later.cache_read or earlier.cache_read,
        cache_write=later.cache_write or earlier.cache_write,
        reasoning=later.reasoning or earlier.reasoning,
    )


def _int(table: Mapping[str, Any], name: str) -> int:
    value = table.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _details(table: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = table.get(name)
    return value if isinstance(value, Mapping) else {}


def _anthropic(usage: object) -> TokenCounts | None:
    if not isinstance(usage, Mapping):
        return None
    # Anthropic's input_tokens already leaves out cache reads and writes.
    return TokenCounts(
        input=_int(usage, "input_tokens"),
        output=_int(usage, "output_tokens"),
        cache_read=_int(usage, "cache_read_input_tokens"),
        cache_write=_int(usage, "cache_creation_input_tokens"),
    )


def _chat(usage: object) -> TokenCounts | None:
    if not isinstance(usage, Mapping):
        return None
    prompt = _int(usage, "prompt_tokens")
    cached = _int(_details(usage, "prompt_tokens_details"), "cached_tokens") or _int(
        usage,
        "prompt_cache_hit_tokens",  # DeepSeek's name for it
    )
    return TokenCounts(
        input=max(prompt - cached, 0),
        output=_int(usage, "completion_tokens"),
        cache_read=cached,
        reasoning=_int(_details(usage, "completion_tokens_details"), "reasoning_tokens"),
    )


def _responses(usage: object) -> TokenCounts | None:
    if not isinstance(usage, Mapping):
        return None
    cached = _int(_details(usage, "input_tokens_details"), "cached_tokens")
    return TokenCounts(
        input=max(_int(usage, "input_tokens") - cached, 0),
        output=_int(usage, "output_tokens"),
        cache_read=cached,
        reasoning=_int(_details(usage, "output_tokens_details"), "reasoning_tokens"),
    )


def _gemini(usage: object) -> TokenCounts | None:
    if not isinstance(usage, Mapping):
        return None
    cached = _int(usage, "cachedContentTokenCount")
    prompt = _int(usage, "promptTokenCount") + _int(usage, "toolUsePromptTokenCount")
    thoughts = _int(usage, "thoughtsTokenCount")
    # Gemini bills thoughts as output but leaves them out of candidatesTokenCount.
    return TokenCounts(
        input=max(prompt - cached, 0),
        output=_int(usage, "candidatesTokenCount") + thoughts,
        cache_read=cached,
        reasoning=thoughts,
    )
