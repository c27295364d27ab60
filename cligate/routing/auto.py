"""``auto``: choose among the user's own models by what a request needs and a policy.

Pure: the candidates (provider, model, what it can take, its quality tier, its price) and
their recent health are given; the result is the ranked candidates and, for every model left
out, why. The first ranked candidate answers; the next ones are its failover list.

Policies, as data (``Policy``):

* ``cheapest``: lowest known price (input and output per million tokens, weighted 1:3 the way
  coding agents spend them) among the models of the asked-for quality tier, then the others;
  an unknown price ranks after every known one, never as free.
* ``fastest``: lowest measured time to first byte, then highest output tokens per second;
  models never measured rank after measured ones.
* ``balanced``: the sum of a model's places in the two orders above.

A model is left out when it cannot serve the request (tools, images, thinking, a context
window smaller than the request), or when its provider is resting (every key after 429s) or
failing (most recent attempts failed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

AUTO = "auto"
# The tools' tier words → the presets' quality tiers; the more specific first (flash-lite).
TIER_OF_KEYWORD = {
    "lite": "fast",
    "haiku": "fast",
    "mini": "fast",
    "nano": "fast",
    "flash": "standard",
    "sonnet": "standard",
    "opus": "flagship",
    "pro": "flagship",
}
_OUTPUT_WEIGHT = 3.0  # agents read far more than they write, but output costs several times more


class Policy(StrEnum):
    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    BALANCED = "balanced"


@dataclass(frozen=True, slots=True)
class Needs:
    """What the request asks of a model."""

    tools: bool = False
    images: bool = False
    thinking: bool = False
    input_tokens: int = 0
    tier: str | None = None  # flagship | standard | fast, when the tool asked for one


@dataclass(frozen=True, slots=True)
class Candidate:
    provider: str
    model: str
    tier: str | None = None
    tools: bool = True
    images: bool = True
    thinking: bool = True
    context_window: int | None = None
    price_in: float | None = None  # USD per million tokens
    price_out: float | None = None


@dataclass(frozen=True, slots=True)
class Health:
    ttfb_ms: float | None = None  # median of recent answers
    tokens_per_second: float | None = None
    resting: bool = False  # every key of the provider rests after 429s
    failing: bool = False  # most recent attempts failed


@dataclass(frozen=True, slots=True)
class Ranking:
    ranked: tuple[Candidate, ...]
    excluded: tuple[tuple[Candidate, str], ...]  # each left-out model and why
    policy: Policy

    def explain(self) -> list[str]:
        lines = [f"auto ({self.policy.value}):"]
        for place, candidate in enumerate(self.ranked, 1):
            lines.append(f"  {place}. {candidate.provider}:{candidate.model}{_price(candidate)}")
        lines += [f"  - {c.provider}:{c.model}: {why}" for c, why in self.excluded]
        return lines


def parse_auto(model: str | None) -> Policy | None:
    """``auto`` → balanced; ``auto:cheapest`` → that policy; anything else → None."""
    if model is None:
        return None
    head, _, policy = model.partition(":")
    if head != AUTO:
        return None
    try:
        return Policy(policy) if policy else Policy.BALANCED
    except ValueError:
        return None


def tier_from_model_name(name: str | None) -> str | None:
    """The quality tier a tool's own model name implies (claude-haiku-… → fast)."""
    if not name:
        return None
    words = set(re.split(r"[^a-z0-9]+", name.lower()))  # whole words: "gemini" is not "mini"
    for keyword, tier in TIER_OF_KEYWORD.items():
        if keyword in words:
            return tier
    return None


def rank(
    candidates: Sequence[Candidate],
    needs: Needs,
    policy: Policy,
    health: Callable[[Candidate], Health] | Mapping[tuple[str, str], Health] | None = None,
) -> Ranking:
    health_of = _health_lookup(health)
    usable: list[Candidate] = []
    excluded: list[tuple[Candidate, str]] = []
    for candidate in candidates:
        why = _unfit(candidate, needs) or _unhealthy(health_of(candidate))
        if why is None:
            usable.append(candidate)
        else:
            excluded.append((candidate, why))
    by_price = sorted(usable, key=lambda c: _price_key(c, needs.tier))
    by_speed = sorted(usable, key=lambda c: _speed_key(health_of(c)))
    if policy is Policy.CHEAPEST:
        ranked = by_price
    elif policy is Policy.FASTEST:
        ranked = by_speed
    else:
        place_price = {id(c): n for n, c in enumerate(by_price)}
        place_speed = {id(c): n for n, c in enumerate(by_speed)}
        ranked = sorted(usable, key=lambda c: (place_price[id(c)] + place_speed[id(c)],
                                               place_price[id(c)]))  # fmt: skip
    return Ranking(tuple(ranked), tuple(excluded), policy)


def _health_lookup(
    health: Callable[[Candidate], Health] | Mapping[tuple[str, str], Health] | None,
) -> Callable[[Candidate], Health]:
    if health is None:
        return lambda _: Health()
    if callable(health):
        return health
    table = health
    return lambda c: table.get((c.provider, c.model), Health())


def _unfit(candidate: Candidate, needs: Needs) -> str | None:
    if needs.tools and not candidate.tools:
        return "takes no tools"
    if needs.images and not candidate.images:
        return "takes no images"
    if needs.thinking and not candidate.thinking:
        return "cannot think (reason) before answering"
    window = candidate.context_window
    if window is not None and needs.input_tokens > window:
        return f"context window {window:,} tokens < the request's ≈ {needs.input_tokens:,}"
    return None


def _unhealthy(health: Health) -> str | None:
    if health.resting:
        return "every key is resting after rate limits"
    if health.failing:
        return "failing: most recent attempts failed"
    return None


def _price_key(candidate: Candidate, tier: str | None) -> tuple[int, int, float]:
    """Asked-for tier first; known prices before unknown ones; then cheaper first."""
    off_tier = 0 if tier is None or candidate.tier == tier else 1
    if candidate.price_in is None or candidate.price_out is None:
        return (off_tier, 1, 0.0)
    return (off_tier, 0, candidate.price_in + _OUTPUT_WEIGHT * candidate.price_out)


def _speed_key(health: Health) -> tuple[int, float, float]:
    if health.ttfb_ms is None:
        return (1, 0.0, 0.0)
    return (0, health.ttfb_ms, -(health.tokens_per_second or 0.0))


def _price(candidate: Candidate) -> str:
    if candidate.price_in is None or candidate.price_out is None:
        return " (price unknown)"
    return f" (${candidate.price_in:g} in / ${candidate.price_out:g} out per M)"
