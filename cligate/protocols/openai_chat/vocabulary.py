"""Chat Completions' words for finish reasons and usage, mapped to the neutral form and back."""

from __future__ import annotations

from typing import Any

from cligate.protocols.ir import StopReason, Usage

FINISH_REASONS: dict[str, StopReason] = {
    "stop": StopReason.END,
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "content_filter": StopReason.CONTENT_FILTER,
    # Not OpenAI's, but sent by compatible servers:
    "eos": StopReason.END,  # some vLLM/TGI builds
    "end_turn": StopReason.END,
    "max_tokens": StopReason.MAX_TOKENS,
    "tool_use": StopReason.TOOL_USE,
    "sensitive": StopReason.CONTENT_FILTER,  # Zhipu
}
_WORDS: dict[StopReason, str] = {
    StopReason.END: "stop",
    StopReason.MAX_TOKENS: "length",
    StopReason.STOP_SEQUENCE: "stop",
    StopReason.TOOL_USE: "tool_calls",
    StopReason.CONTENT_FILTER: "content_filter",
    StopReason.PAUSE: "stop",
}


def finish_reason(word: object) -> StopReason | None:
    """None for an unknown or missing word; the caller decides from the content."""
    return FINISH_REASONS.get(word) if isinstance(word, str) else None


def finish_word(reason: StopReason | None) -> str:
    return _WORDS[reason] if reason is not None else "stop"


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from(raw: object) -> Usage | None:
    """OpenAI's ``prompt_tokens`` already includes cached tokens. DeepSeek reports its cache
    hits as ``prompt_cache_hit_tokens``; OpenRouter-style servers add ``cache_write_tokens``."""
    if not isinstance(raw, dict):
        return None
    prompt = raw.get("prompt_tokens_details")
    prompt = prompt if isinstance(prompt, dict) else {}
    completion = raw.get("completion_tokens_details")
    completion = completion if isinstance(completion, dict) else {}
    cached = _count(prompt.get("cached_tokens")) or _count(raw.get("prompt_cache_hit_tokens"))
    return Usage(
        input_tokens=_count(raw.get("prompt_tokens")),
        output_tokens=_count(raw.get("completion_tokens")),
        cache_read_tokens=cached,
        cache_write_tokens=_count(prompt.get("cache_write_tokens")),
        reasoning_tokens=_count(completion.get("reasoning_tokens")),
    )


def usage_to(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage()
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
