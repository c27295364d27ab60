"""The capability profile of a target: protocol defaults, then the provider's preset, then the
user's own ``capabilities`` table, each with its per-model settings."""

from __future__ import annotations

import functools

from cligate.config.settings import ProviderSettings
from cligate.protocols.capabilities import CapabilityProfile, protocol_defaults


@functools.lru_cache(maxsize=256)
def profile_for(provider: ProviderSettings, model: str | None) -> CapabilityProfile:
    """Computed once per provider and model for the life of a run."""
    profile = protocol_defaults(provider.protocol, f"{provider.name}:{model or '(default)'}")
    if provider.preset is not None:
        from cligate.config.presets import load_presets  # only runs that translate pay for it

        preset = load_presets().get(provider.preset)
        if preset is not None:
            profile = preset.capabilities.table.apply(profile, model)
    if provider.capabilities is not None:
        profile = provider.capabilities.apply(profile, model)
    return profile
