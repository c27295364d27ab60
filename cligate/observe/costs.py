"""A run's cost estimator for request records: the price of each (provider, model) is looked
up once (pricing data is read on first use) and applied to each request's token counts."""

from __future__ import annotations

from cligate.config.settings import Settings
from cligate.observe.trace import CostEstimator
from cligate.observe.usage import TokenCounts


def cost_estimator(settings: Settings) -> CostEstimator:
    from cligate.observe.pricing import Price, cost_usd, price_for

    prices: dict[tuple[str, str | None], Price | None] = {}

    def estimate(provider_name: str, model: str | None, tokens: TokenCounts) -> float | None:
        key = (provider_name, model)
        if key not in prices:
            provider = settings.providers.get(provider_name)
            prices[key] = price_for(provider, model) if provider and model else None
        price = prices[key]
        if price is None:
            return None  # unknown, never zero
        try:
            return cost_usd(
                price, tokens.input, tokens.output, tokens.cache_read, tokens.cache_write
            )
        except ValueError:  # counts no price applies to (a provider reporting nonsense)
            return None

    return estimate
