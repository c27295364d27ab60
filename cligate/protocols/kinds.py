"""The wire protocols cligate speaks, on either side of the proxy."""

from __future__ import annotations

from enum import StrEnum


class WireProtocol(StrEnum):
    ANTHROPIC = "anthropic"  # Anthropic Messages
    OPENAI_CHAT = "openai-chat"  # OpenAI Chat Completions
    OPENAI_RESPONSES = "openai-responses"  # OpenAI Responses
    GEMINI = "gemini"  # Gemini generateContent

    @property
    def display_name(self) -> str:
        return _DISPLAY_NAMES[self]


_DISPLAY_NAMES = {
    WireProtocol.ANTHROPIC: "Anthropic Messages",
    WireProtocol.OPENAI_CHAT: "OpenAI Chat Completions",
    WireProtocol.OPENAI_RESPONSES: "OpenAI Responses",
    WireProtocol.GEMINI: "Gemini generateContent",
}


# Protocols with a codec (``protocols/codecs.py``): any two of them translate to each other.
TRANSLATABLE = frozenset(WireProtocol)


def can_translate(client: WireProtocol, upstream: WireProtocol) -> bool:
    """Whether a request of ``client``'s protocol can be served by an ``upstream`` provider."""
    return client is upstream or (client in TRANSLATABLE and upstream in TRANSLATABLE)
