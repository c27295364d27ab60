"""The interactive flows of ``providers add``, ``bind`` and the first run. They turn answers
into the same requests the flags produce, so both paths end in the same config entries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from cligate.config.presets import Preset
from cligate.config.provider_entries import ProviderRequest
from cligate.config.settings import Settings
from cligate.launcher.tools import ToolSpec
from cligate.protocols.kinds import WireProtocol

T = TypeVar("T")


class Asks(Protocol):
    def select(self, message: str, choices: list[tuple[str, T]], default: T | None = None) -> T: ...
    def text(self, message: str, default: str = "") -> str: ...
    def secret(self, message: str) -> str: ...
    def confirm(self, message: str, default: bool = True) -> bool: ...


KEY_FROM_ENV, KEY_OTHER_ENV, KEY_PASTE = "env", "other-env", "paste"


def offered_presets(presets: Mapping[str, Preset], protocol: WireProtocol | None) -> list[Preset]:
    """The supported presets; for a tool of ``protocol``, those it can use, natively first."""
    usable = [p for p in presets.values() if p.supported and usable_endpoint(p, protocol)]
    return sorted(usable, key=lambda p: protocol is not None and p.endpoint(protocol) is None)


def usable_endpoint(preset: Preset, protocol: WireProtocol | None) -> WireProtocol | None:
    """The endpoint a tool of ``protocol`` should use: its own protocol's, else one cligate
    translates to; None if there is none (or no tool protocol was given and there is a
    choice to make)."""
    if protocol is None:
        return preset.endpoints[0].protocol
    if preset.endpoint(protocol) is not None:
        return protocol
    from cligate.protocols.kinds import can_translate

    return next((e.protocol for e in preset.endpoints if can_translate(protocol, e.protocol)), None)


def ask_provider(
    asks: Asks,
    presets: Mapping[str, Preset],
    env: Mapping[str, str] | None = None,
    protocol: WireProtocol | None = None,
) -> ProviderRequest:
    """Pick a preset (only those offering ``protocol`` when given), its endpoint, its key."""
    env = os.environ if env is None else env
    offered = offered_presets(presets, protocol)
    preset = asks.select("Which provider?", [(f"{p.display_name} ({p.id})", p) for p in offered])
    chosen_protocol = usable_endpoint(preset, protocol) if protocol is not None else None
    if chosen_protocol is None and len(preset.endpoints) > 1:
        chosen_protocol = asks.select(
            "Which of its APIs?",
            [(e.protocol.display_name, e.protocol) for e in preset.endpoints],
        )
    params = {name: asks.text(f"{name} (part of the URL):") for name in preset.url_params}
    base_url = params.pop("base_url", None)
    key_env: str | None = None
    key_literal: str | None = None
    if not preset.local:
        choices: list[tuple[str, str]] = []
        if preset.key_env:
            state = "set" if env.get(preset.key_env) else "not set yet"
            choices.append((f"from ${preset.key_env} ({state})", KEY_FROM_ENV))
        choices += [
            ("from another environment variable", KEY_OTHER_ENV),
            ("paste it now (kept in the config file, readable only by you)", KEY_PASTE),
        ]
        where = asks.select("Where is the API key?", choices)
        if where == KEY_FROM_ENV:
            key_env = preset.key_env
        elif where == KEY_OTHER_ENV:
            key_env = asks.text("Environment variable name:")
        else:
            key_literal = asks.secret("API key (hidden):")
    models: tuple[str, ...] = ()
    if preset.models:
        picked = asks.select(
            "Which model will you use most?",
            [(m, m) for m in preset.models] + [("another one (type it)", "")],
        )
        models = (picked or asks.text("Model id:").strip(),)
    elif not preset.local:
        typed = asks.text("Model id (empty: decide later):").strip()
        models = (typed,) if typed else ()
    name = asks.text("Name for this provider:", default=preset.id)
    return ProviderRequest(
        models=models,
        preset=preset,
        name=name,
        protocol=chosen_protocol,
        base_url=base_url,
        url_params=params,
        key_env=key_env,
        key_literal=key_literal,
    )


@dataclass(frozen=True, slots=True)
class BindingAnswers:
    provider: str
    model: str | None
    tiers: dict[str, str] = field(default_factory=dict)


def _translation_note(tool: WireProtocol, provider: WireProtocol) -> str:
    from cligate.protocols.kinds import can_translate

    if provider is tool:
        return ""
    if can_translate(tool, provider):
        return f" (translated to {provider.display_name})"
    return f" ({provider.display_name}: cannot be translated yet)"


def ask_binding(asks: Asks, settings: Settings, tool: ToolSpec) -> BindingAnswers:
    """Pick the tool's provider (those speaking its protocol first), default model and tiers."""
    providers = sorted(
        settings.providers.values(), key=lambda p: (p.protocol is not tool.protocol, p.name)
    )
    choices = [(p.name + _translation_note(tool.protocol, p.protocol), p.name) for p in providers]
    provider = asks.select(f"Which provider should {tool.name} use?", choices)
    model = asks.text("Default model (empty: leave it as it is):").strip() or None
    tiers: dict[str, str] = {}
    for keyword in tool.tier_keywords:
        answer = asks.text(f"Model for '{keyword}' requests (empty: keep):").strip()
        if answer:
            tiers[keyword] = answer
    return BindingAnswers(provider, model, tiers)
