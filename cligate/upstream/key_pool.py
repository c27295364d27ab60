"""Key rotation for a run: which of a provider's keys to try, in which order, and why not.

Pure bookkeeping (no I/O, no logging): the clock is injected, so tests move time by hand.

* Round robin: each call of ``keys_for`` starts one key further on, per provider.
* A 429 cools down that key only (never the whole pool), for the provider's Retry-After bounded
  to [1, 300] s, or 30 s without one, doubled for each further 429 in a row (bounded too), so a
  cooldown never outlives a quota reset by much. The cooldown covers every model of the key,
  or one model when the provider limits per model.
* A 401/403 marks the key bad for the rest of the run.
* ``unavailable`` says, per key, why it is not used: by its label, never by its value.

A key is known by its place in the provider's tuple, found by its label and value; the pool keeps
no other copy of a value and never puts one in a message. The proxy serves requests on one event
loop, so there is no locking.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cligate.config.settings import ResolvedKey

MIN_COOLDOWN = 1.0
MAX_COOLDOWN = 300.0
DEFAULT_COOLDOWN = 30.0
REFUSED_STATUSES = frozenset({401, 403})

# A streak or cooldown that applies to every model of a key, rather than one.
_ALL_MODELS: str | None = None


@dataclass(slots=True)
class _KeyState:
    refused: int | None = None  # the status that marked the key bad
    cooldowns: dict[str | None, float] = field(default_factory=dict)  # model (or all) → until
    streaks: dict[str | None, int] = field(default_factory=dict)  # 429s in a row, same scope


@dataclass(slots=True)
class _Provider:
    keys: tuple[ResolvedKey, ...]
    names: tuple[str, ...]  # what messages call each key: its label, numbered when not unique
    places: dict[tuple[str, str], int]  # (label, value) → place in ``keys``
    states: list[_KeyState]
    turn: int = 0


def cooldown_seconds(retry_after: float | None, streak: int) -> float:
    """How long a key rests after its ``streak``-th 429 in a row: the provider's Retry-After,
    else 30 s doubled for each 429 before it in the streak; always within [1, 300]."""
    if retry_after is not None and math.isfinite(retry_after):
        seconds = retry_after
    else:
        doublings = min(max(streak - 1, 0), 16)  # 30 s · 2¹⁶ is far past the bound already
        seconds = DEFAULT_COOLDOWN * 2**doublings
    return min(max(seconds, MIN_COOLDOWN), MAX_COOLDOWN)


class KeyPool:
    def __init__(
        self,
        keys: Mapping[str, tuple[ResolvedKey, ...]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._providers: dict[str, _Provider] = {}
        for provider, provider_keys in keys.items():
            labels = [key.label for key in provider_keys]
            names = tuple(
                label if labels.count(label) == 1 else f"{label} #{place + 1}"
                for place, label in enumerate(labels)
            )
            places: dict[tuple[str, str], int] = {}
            for place, key in enumerate(provider_keys):
                places.setdefault((key.label, key.value), place)
            self._providers[provider] = _Provider(
                keys=tuple(provider_keys),
                names=names,
                places=places,
                states=[_KeyState() for _ in provider_keys],
            )

    def __repr__(self) -> str:  # never the keys
        sizes = ", ".join(f"{name}: {len(p.keys)}" for name, p in self._providers.items())
        return f"KeyPool({sizes})"

    def keys_for(self, provider: str, model: str | None) -> list[ResolvedKey]:
        """The keys to try for one request, in order; empty when none is usable now (then
        ``unavailable`` says why). Each call starts one key further on than the last."""
        entry = self._providers.get(provider)
        if entry is None or not entry.keys:
            return []
        count = len(entry.keys)
        start = entry.turn % count
        entry.turn = (entry.turn + 1) % count
        now = self._clock()
        usable = []
        for offset in range(count):
            place = (start + offset) % count
            if self._blocker(entry.states[place], model, now) is None:
                usable.append(entry.keys[place])
        return usable

    def rate_limited(
        self,
        provider: str,
        key: ResolvedKey,
        model: str | None,
        retry_after: float | None,
        per_model: bool = False,
    ) -> float:
        """The provider answered ``key`` with a 429: that key (no other) rests, for ``model``
        only when ``per_model`` (and a model is known), else for every model. Returns the
        cooldown in seconds. A key not in the pool is ignored (0)."""
        state = self._state(provider, key)
        if state is None:
            return 0.0
        scope = model if per_model and model is not None else _ALL_MODELS
        streak = state.streaks.get(scope, 0) + 1
        state.streaks[scope] = streak
        seconds = cooldown_seconds(retry_after, streak)
        until = self._clock() + seconds
        state.cooldowns[scope] = max(until, state.cooldowns.get(scope, until))
        return seconds

    def unauthorized(self, provider: str, key: ResolvedKey, status: int) -> None:
        """A 401/403 for ``key``: it is not tried again in this run. Other statuses are
        ignored, as are keys not in the pool."""
        state = self._state(provider, key)
        if state is not None and status in REFUSED_STATUSES and state.refused is None:
            state.refused = status

    def succeeded(self, provider: str, key: ResolvedKey, model: str | None) -> None:
        """``key`` got an answer for ``model``: its 429 streaks for that model and for all
        models end, and cooldowns that are over are forgotten."""
        state = self._state(provider, key)
        if state is None:
            return
        state.streaks.pop(_ALL_MODELS, None)
        if model is not None:
            state.streaks.pop(model, None)
        now = self._clock()
        for scope in [s for s, until in state.cooldowns.items() if until <= now]:
            del state.cooldowns[scope]

    def unavailable(self, provider: str, model: str | None = None) -> list[str]:
        """One line per key not usable now (for ``model``, when given, which adds the keys
        resting for that model only), in pool order, each naming the key by its label:
        ``"LABEL: cooling down for 12 s (429)"``, ``"LABEL: refused by the provider (401)"``."""
        entry = self._providers.get(provider)
        if entry is None:
            return []
        now = self._clock()
        lines = []
        for name, state in zip(entry.names, entry.states, strict=True):
            reason = self._blocker(state, model, now)
            if reason is not None:
                lines.append(f"{name}: {reason}")
        return lines

    def ready_in(self, provider: str, model: str | None = None) -> float | None:
        """Seconds until a key of ``provider`` is usable for ``model`` (0 when one is now);
        None when none ever will be in this run (all refused, or no keys): what a Retry-After
        of cligate's own 429 can say when every key is resting."""
        entry = self._providers.get(provider)
        if entry is None:
            return None
        now = self._clock()
        waits = [
            max(_resting_until(state, model, now) - now, 0.0)
            for state in entry.states
            if state.refused is None
        ]
        return min(waits, default=None)

    def _state(self, provider: str, key: ResolvedKey) -> _KeyState | None:
        entry = self._providers.get(provider)
        if entry is None:
            return None
        place = entry.places.get((key.label, key.value))
        return None if place is None else entry.states[place]

    @staticmethod
    def _blocker(state: _KeyState, model: str | None, now: float) -> str | None:
        """Why the key cannot be used for ``model`` now, or None when it can."""
        if state.refused is not None:
            return f"refused by the provider ({state.refused})"
        until = _resting_until(state, model, now)
        if until <= now:
            return None
        return f"cooling down for {math.ceil(until - now)} s (429)"


def _resting_until(state: _KeyState, model: str | None, now: float) -> float:
    """When the key's cooldown for ``model`` (or for all models) ends; ``now`` if it has none."""
    until = state.cooldowns.get(_ALL_MODELS, now)
    if model is not None:
        until = max(until, state.cooldowns.get(model, now))
    return until
