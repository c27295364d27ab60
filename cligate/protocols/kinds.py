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
