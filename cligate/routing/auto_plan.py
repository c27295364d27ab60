"""``auto`` in a run: the user's configured models as candidates, their health as the run has
seen it, and the ranking turned into route targets with the reasons behind them. Loaded on a
run's first ``auto`` request.

Candidates are the models of providers the run has keys for (never a provider the user has
not set up): the models chosen in the provider's entry, else its preset's. Their tier and
capabilities come from the preset and the config (``profile_for``), their price from
``observe/pricing.py``. Health is kept per (provider, model) for the run: the first-byte times
of recent answers and whether the most recent attempts failed.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import orjson

from cligate.config.settings import ProviderSettings, ResolvedKey, Settings
from cligate.observe.query import record_time
from cligate.protocols.kinds import WireProtocol
from cligate.routing.auto import Candidate, Health, Needs, Policy, Ranking, rank
from cligate.routing.health import HealthBook
from cligate.routing.plan import RoutePlan, RoutingError, Target


class AutoRouter:
    def __init__(
        self,
        settings: Settings,
        keys: Mapping[str, tuple[ResolvedKey, ...]],
        health: HealthBook | None = None,
        resting: Callable[[str, str], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._health = health or HealthBook()
        self._resting = resting or (lambda provider, model: False)
        self._candidates: list[Candidate] | None = None

    @property
    def health_book(self) -> HealthBook:
        return self._health

    def candidates(self) -> list[Candidate]:
        if self._candidates is None:
            self._candidates = [
                candidate
                for name, provider in self._settings.providers.items()
                if self._keys.get(name)
                for candidate in _provider_candidates(provider)
            ]
        return self._candidates

    def rank(self, policy: Policy, needs: Needs) -> Ranking:
        def health_of(candidate: Candidate) -> Health:
            health = self._health.health(candidate.provider, candidate.model)
            if self._resting(candidate.provider, candidate.model):
                return Health(health.ttfb_ms, health.tokens_per_second, resting=True)
            return health

        return rank(self.candidates(), needs, policy, health_of)

    def targets(self, policy: Policy, needs: Needs) -> tuple[list[Target], list[str]]:
        """The ranked models as targets (best first), and the reasons for the record."""
        ranking = self.rank(policy, needs)
        providers = self._settings.providers
        targets = [Target(providers[c.provider], c.model) for c in ranking.ranked]
        return targets, ranking.explain()


_RECORDS_TAIL = 1024 * 1024  # the newest records are at the end: read no more than this


def learn_from_records(
    book: HealthBook, path: Path, skip_run: str | None = None, now: float | None = None
) -> int:
    """Note in ``book`` what the request records of the last hour say of each model (earlier
    runs included; ``skip_run``'s own are in the book already): first-byte time, output tokens
    per second, failures. Returns how many records were used; a missing or unreadable file
    teaches nothing."""
    now = time.time() if now is None else now
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _RECORDS_TAIL))
            lines = handle.read().split(b"\n")[1 if size > _RECORDS_TAIL else 0 :]
    except OSError:
        return 0
    used = 0
    for line in lines:
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        moment = record_time(row) if isinstance(row, dict) else None
        if moment is None:
            continue
        ago = now - moment.timestamp()
        if skip_run is not None and row.get("run") == skip_run:
            continue
        provider, model = row.get("provider"), row.get("upstream_model")
        if not isinstance(provider, str) or not isinstance(model, str) or not 0 <= ago <= 3600:
            continue
        ok = row.get("outcome") == "ok"
        ttfb = row.get("ttfb_ms")
        book.note(provider, model, ok, ttfb if ok else None, _rate(row) if ok else None, ago)
        used += 1
    return used


def _rate(row: Mapping[str, object]) -> float | None:
    tokens, latency, ttfb = row.get("tokens"), row.get("latency_ms"), row.get("ttfb_ms")
    if not isinstance(tokens, Mapping) or not isinstance(latency, int | float):
        return None
    output = tokens.get("output")
    streaming = latency - (ttfb if isinstance(ttfb, int | float) else 0.0)
    if not isinstance(output, int) or output <= 0 or streaming <= 0:
        return None
    return output / (streaming / 1000)


def uses_auto(plan: RoutePlan, requested_model: str | None) -> bool:
    """Whether ``auto`` was asked for: as the model, or by the binding's model or a tier."""
    from cligate.routing.auto import parse_auto

    return parse_auto(requested_model) is not None or any(
        parse_auto(t.upstream_model) is not None for t in plan.targets
    )


def apply_auto(
    plan: RoutePlan, requested_model: str | None, router: AutoRouter, needs: Needs
) -> RoutePlan:
    """The ranked configured models take the place of the plan's ``auto`` target (or of its
    primary target when the tool asked for ``auto``); fallbacks stay after them."""
    from cligate.routing.auto import parse_auto

    policy = parse_auto(requested_model)
    reasons = [r for r in plan.reasons if not r.startswith("targets: ")]
    if policy is None:
        policy = next(p for t in plan.targets if (p := parse_auto(t.upstream_model)) is not None)
        rest = [t for t in plan.targets if parse_auto(t.upstream_model) is None]
    else:
        rest = list(plan.targets[1:])
        # How the name "auto" would have been routed means nothing: it is ranked instead.
        reasons = [f"'{requested_model}' asks for the best configured model", *reasons[1:]]
    ranked, lines = router.targets(policy, needs)
    if not ranked:
        raise RoutingError(
            "auto: none of the configured models can serve this request ("
            + "; ".join(line.strip().removeprefix("- ") for line in lines[1:])
            + ")"
        )
    targets = ranked + [t for t in rest if t not in ranked]
    summary = "targets: " + ", ".join(f"{t.provider.name}:{t.upstream_model}" for t in targets)
    return RoutePlan(tuple(targets), (*reasons, *lines, summary))


def _provider_candidates(provider: ProviderSettings) -> list[Candidate]:
    from cligate.routing.profiles import profile_for

    tiers: dict[str, str] = {}
    models = list(provider.models)
    if provider.preset is not None:
        from cligate.config.presets import load_presets

        preset = load_presets().get(provider.preset)
        if preset is not None:
            tiers = {model: tier for tier, model in preset.tiers.items()}
            models = models or list(preset.models)
    found = []
    for model in dict.fromkeys(models):
        if any(fnmatch.fnmatchcase(model, pattern) for pattern in provider.exclude):
            continue
        profile = profile_for(provider, model)
        price_in, price_out = _price(provider, model)
        found.append(
            Candidate(
                provider=provider.name,
                model=model,
                tier=tiers.get(model),
                tools=profile.tools,
                images=profile.images,
                thinking=provider.protocol in (WireProtocol.ANTHROPIC, WireProtocol.GEMINI)
                or profile.reasoning_effort,
                context_window=profile.context_window,
                price_in=price_in,
                price_out=price_out,
            )
        )
    return found


def _price(provider: ProviderSettings, model: str) -> tuple[float | None, float | None]:
    from cligate.observe.pricing import price_for

    price = price_for(provider, model)
    return (None, None) if price is None else (price.input, price.output)
