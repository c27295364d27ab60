"""What a run has seen of each (provider, model): recent first-byte times and failures, for
``auto`` to rank by and to leave failing models out. Cheap to keep (one small deque entry per
attempt), so every handler keeps it from its first request."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # kept light: every handler imports this module, few runs use "auto"
    from cligate.routing.auto import Health

_KEPT = 20  # recent attempts kept per model
# Models kept, the least recently used dropped first: a client may name a new model on every
# request (slugs passed through, a serve open to many tools), and the book must not grow with
# them for the life of a long run.
_MODELS_KEPT = 256
_FAILING_RUN = 3  # this many failures in a row, in the last hour, and a model is left out
_RECENT_SECONDS = 3600.0  # what happened in the last hour counts


class _Attempt(NamedTuple):
    at: float
    ok: bool
    ttfb_ms: float | None
    tokens_per_second: float | None = None


class HealthBook:
    """What this run has seen of each (provider, model)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[tuple[str, str], deque[_Attempt]] = {}

    def note(
        self,
        provider: str,
        model: str | None,
        ok: bool,
        ttfb_ms: float | None,
        tokens_per_second: float | None = None,
        ago: float = 0.0,
    ) -> None:
        """One attempt, ``ago`` seconds ago (records of earlier runs are noted that way)."""
        if model is None:
            return
        key = (provider, model)
        seen = self._seen.pop(key, None)  # and put back last: the most recently used
        if seen is None:
            seen = deque(maxlen=_KEPT)
            if len(self._seen) >= _MODELS_KEPT:
                del self._seen[next(iter(self._seen))]
        self._seen[key] = seen
        seen.append(_Attempt(self._clock() - ago, ok, ttfb_ms, tokens_per_second))

    def health(self, provider: str, model: str) -> Health:
        from cligate.routing.auto import Health

        seen = self._seen.get((provider, model))
        if not seen:
            return Health()
        now = self._clock()
        recent = [a for a in seen if now - a.at <= _RECENT_SECONDS]
        last = recent[-_FAILING_RUN:]
        failing = len(last) == _FAILING_RUN and not any(a.ok for a in last)
        times = sorted(a.ttfb_ms for a in recent if a.ok and a.ttfb_ms is not None)
        rates = sorted(a.tokens_per_second for a in recent if a.ok and a.tokens_per_second)
        return Health(
            ttfb_ms=times[len(times) // 2] if times else None,
            tokens_per_second=rates[len(rates) // 2] if rates else None,
            failing=failing,
        )
