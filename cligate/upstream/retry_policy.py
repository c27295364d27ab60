"""When to try again, with which key, after how long: data and pure functions, no I/O.

The caller (the request handler) sends, reads the status or the transport error, and asks
``decide``; on ``RETRY`` it waits ``delay`` (random source injected) if ``within_budget``::

    verdict = decide(policy, status=..., error=..., attempt=n, keys_left=k, output_started=...)
    if verdict is Verdict.RETRY:
        pause = delay(policy, n, retry_after, rng)
        if not within_budget(policy, waited, pause):
            verdict = move_on(k)  # NEXT_KEY or NEXT_TARGET

Rules, in order:

* once any byte reached the client: ANSWER, never a retry (the caller ends the answer with the
  protocol's error event instead);
* a success or any other answer below 400: ANSWER;
* a context-length error: ANSWER (the same request can never succeed);
* 401/403: NEXT_KEY while another key is left, else ANSWER;
* 429: NEXT_KEY at once while another key is left (that key is cooling down in the pool);
* another status in ``never_retry``, or not in ``retriable_statuses``: ANSWER;
* a retriable status or a transport failure (unreachable, timeout, connection broken before the
  head): RETRY while ``attempt < attempts_per_key`` and the provider's Retry-After is within
  ``max_delay``, then NEXT_KEY while another key is left, else NEXT_TARGET.

``is_context_length_error`` is the one place in cligate that reads an error message's text:
providers give that failure no code of its own (or one per provider).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import Enum

from cligate.errors import UpstreamError

RATE_LIMITED = 429
REFUSED = frozenset({401, 403})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts_per_key: int = 2  # tries with one key, the first included
    max_total_wait: float = 30.0  # seconds spent waiting between tries, per request
    base_delay: float = 0.5  # the first backoff's ceiling; doubled per attempt
    max_delay: float = 8.0  # no single wait is longer (Retry-After included)
    retriable_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504, 529})
    never_retry: frozenset[int] = frozenset({400, 401, 403, 404, 405, 409, 413, 422})

    def __post_init__(self) -> None:
        if self.attempts_per_key < 1:
            raise ValueError("attempts_per_key must be at least 1")
        if not 0 <= self.base_delay <= self.max_delay:
            raise ValueError("delays must satisfy 0 <= base_delay <= max_delay")
        if self.max_total_wait < 0:
            raise ValueError("max_total_wait must not be negative")
        if self.retriable_statuses & self.never_retry:
            raise ValueError("a status cannot be both retriable and never retried")


class Verdict(Enum):
    RETRY = "retry"  # the same key again, after ``delay``
    NEXT_KEY = "next key"  # the next key of the same target
    NEXT_TARGET = "next target"  # the plan's next target (the caller answers if none is left)
    ANSWER = "answer"  # pass the response (or the failure) to the client as it is


def move_on(keys_left: int) -> Verdict:
    """Where to go when this key is done with: its target's next key, else the next target."""
    return Verdict.NEXT_KEY if keys_left > 0 else Verdict.NEXT_TARGET


def decide(
    policy: RetryPolicy,
    *,
    status: int | None,
    error: UpstreamError | None,
    attempt: int,
    keys_left: int,
    output_started: bool,
    context_length: bool = False,
    retry_after: float | None = None,
) -> Verdict:
    """What to do after one try.

    ``status`` is the provider's answer, or None when ``error`` (a transport failure) came
    instead; ``attempt`` counts the tries with the current key, this one included (1 after the
    first); ``keys_left`` counts the target's other keys not tried yet; ``context_length`` is
    ``is_context_length_error`` of the answer; ``retry_after`` is the provider's Retry-After in
    seconds, if it sent one: a longer wait than ``max_delay`` moves on rather than retrying.
    """
    if attempt < 1:
        raise ValueError("attempt counts tries made, the first is 1")
    if output_started:
        return Verdict.ANSWER
    if error is None:
        if status is None:
            raise ValueError("decide needs the status or the error")
        if status < 400 or context_length:
            return Verdict.ANSWER
        if status in REFUSED:
            return Verdict.NEXT_KEY if keys_left > 0 else Verdict.ANSWER
        if status == RATE_LIMITED and keys_left > 0:
            return Verdict.NEXT_KEY
        if status in policy.never_retry or status not in policy.retriable_statuses:
            return Verdict.ANSWER
    elif context_length:
        return Verdict.ANSWER
    waits_too_long = retry_after is not None and retry_after > policy.max_delay
    if attempt < policy.attempts_per_key and not waits_too_long:
        return Verdict.RETRY
    return move_on(keys_left)


_MAX_EXPONENT = 32  # 2³² · any sane base_delay is far past max_delay


def delay(
    policy: RetryPolicy, attempt: int, retry_after: float | None, rng: Callable[[], float]
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry): the provider's
    Retry-After when it sent one, else full jitter, ``rng() · base_delay · 2^(attempt-1)``;
    never more than ``max_delay``. ``rng`` returns a float in [0, 1) (``random.random``)."""
    if retry_after is not None and not math.isnan(retry_after):
        return min(max(retry_after, 0.0), policy.max_delay)
    exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
    ceiling = min(policy.max_delay, policy.base_delay * 2.0**exponent)
    return ceiling * min(max(rng(), 0.0), 1.0)


def within_budget(policy: RetryPolicy, waited: float, next_delay: float) -> bool:
    """Whether waiting ``next_delay`` more keeps the request's total wait within bounds."""
    return waited + next_delay <= policy.max_total_wait


def retry_after_seconds(headers: Iterable[tuple[bytes, bytes]], now: float) -> float | None:
    """The wait a provider asks for: ``retry-after-ms`` (OpenAI), else ``retry-after`` in
    seconds or as an HTTP date (``now`` is the wall clock, seconds since the epoch, for that).
    None when there is no usable one; never negative. Header names are lower-case."""
    seconds: float | None = None
    for name, value in headers:
        if name == b"retry-after-ms":
            millis = _number(value)
            if millis is not None:
                return millis / 1000
        elif name == b"retry-after" and seconds is None:
            seconds = _number(value)
            if seconds is None:
                seconds = _date_seconds(value, now)
    return seconds


def _number(value: bytes) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return max(number, 0.0) if math.isfinite(number) else None


def _date_seconds(value: bytes, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(value.decode("latin-1").strip())
    except (ValueError, TypeError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        return None
    return max(when.timestamp() - now, 0.0)


# How providers say the request does not fit the model's context (matched lower-cased):
_CONTEXT_LENGTH = re.compile(
    "|".join(
        (
            r"context_length_exceeded",  # OpenAI, Azure, Groq (the code, often in the message)
            r"maximum context length",  # OpenAI, DeepSeek, Mistral, vLLM, OpenRouter
            r"exceeds the context window",  # OpenAI Responses
            r"prompt is too long",  # Anthropic
            r"exceed context limit",  # Anthropic: input + max_tokens > the window
            r"exceeds the maximum number of tokens",  # Gemini
            r"range of input length should be",  # Qwen (DashScope)
            r"input length exceeds the maximum",  # Qwen
            r"maximum prompt length",  # xAI
            r"exceeded model token limit",  # Moonshot
            r"prompt exceeds max length",  # Zhipu GLM
            r"exceeds the available context size",  # llama.cpp
            r"input is too long",  # Bedrock
            r"reduce the length of the messages",  # OpenAI-style servers' advice
        )
    )
)
_SCANNED = 16 * 1024  # error bodies are small; a huge one is not read whole


def is_context_length_error(status: int, message: str) -> bool:
    """Whether an error answer says the prompt does not fit the model's context window: never
    worth retrying, on any key. Providers give no status or code of their own for it, so this
    reads the message text (the only place in cligate that does)."""
    if status < 400:
        return False
    return _CONTEXT_LENGTH.search(message[:_SCANNED].lower()) is not None
