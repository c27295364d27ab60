"""Anthropic's words for stop reasons and usage, mapped to the neutral form and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cligate.protocols.ir import StopReason, Usage

STOP_REASONS: dict[str, StopReason] = {
    "end_turn": StopReason.END,
    "max_tokens": StopReason.MAX_TOKENS,
    "stop_sequence": StopReason.STOP_SEQUENCE,
    "tool_use": StopReason.TOOL_USE,
    "pause_turn": StopReason.PAUSE,
    "refusal": StopReason.CONTENT_FILTER,
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
}
_WORDS: dict[StopReason, str] = {
    StopReason.END: "end_turn",
    StopReason.MAX_TOKENS: "max_tokens",
    StopReason.STOP_SEQUENCE: "stop_sequence",
    StopReason.TOOL_USE: "tool_use",
    StopReason.PAUSE: "pause_turn",
    StopReason.CONTENT_FILTER: "refusal",
}


def stop_reason(word: object) -> StopReason | None:
    return STOP_REASONS.get(word) if isinstance(word, str) else None


def stop_word(reason: StopReason | None) -> str:
    return _WORDS[reason] if reason is not None else "end_turn"


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from(raw: object) -> Usage | None:
    """Anthropic counts uncached input, cache reads and cache writes apart; the neutral
    ``input_tokens`` is their sum."""
    if not isinstance(raw, Mapping):
        return None
    read = _count(raw.get("cache_read_input_tokens"))
    write = _count(raw.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_count(raw.get("input_tokens")) + read + write,
        output_tokens=_count(raw.get("output_tokens")),
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def usage_to(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage()
    uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
    return {
        "input_tokens": uncached,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": usage.output_tokens,
    }
