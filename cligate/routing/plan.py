"""Which provider and upstream model answer a request, and why.

This is the first rule set: the tool's bound provider answers, and the model name the tool sent
passes through unchanged unless the binding maps it. Aliases, tiers, slugs, pools and fallbacks
extend ``route`` without changing its shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from cligate.config.settings import ProviderSettings, ToolBinding


@dataclass(frozen=True, slots=True)
class Target:
    provider: ProviderSettings
    upstream_model: str | None  # None: the request named no model and none is configured


@dataclass(frozen=True, slots=True)
class RoutePlan:
    targets: tuple[Target, ...]
    reasons: tuple[str, ...]


def route(
    provider: ProviderSettings, binding: ToolBinding, requested_model: str | None
) -> RoutePlan:
    if requested_model:
        return RoutePlan(
            targets=(Target(provider, requested_model),),
            reasons=(
                f"model '{requested_model}' passes through unchanged to provider '{provider.name}'",
            ),
        )
    return RoutePlan(
        targets=(Target(provider, binding.model),),
        reasons=(
            f"the request names no model; using the binding's model '{binding.model}' "
            f"on provider '{provider.name}'"
            if binding.model
            else f"the request names no model; provider '{provider.name}' decides",
        ),
    )
