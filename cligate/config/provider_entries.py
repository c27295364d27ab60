"""Build and apply provider and binding entries for the config file (pure; no I/O).

``cligate providers add`` and ``cligate bind`` turn their flags (or the interactive answers)
into these entries; ``config/editor.py`` applies them to the user's file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cligate.config.presets import Preset
from cligate.config.settings import ENV_REFERENCE_PREFIX, validate_base_url
from cligate.errors import ConfigError, UsageError
from cligate.protocols.kinds import WireProtocol

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What the user asked for in ``providers add``."""

    preset: Preset
    name: str | None = None
    protocol: WireProtocol | None = None  # which of the preset's endpoints
    base_url: str | None = None  # overrides the preset's
    url_params: Mapping[str, str] = field(default_factory=dict)
    key_env: str | None = None
    key_literal: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    prefix: str | None = None
    exclude: Sequence[str] = ()
    proxy: str | None = None
    extra_key_envs: Sequence[str] = ()
    models: Sequence[str] = ()


def _checked_url(url: str, flag: str) -> str:
    try:
        return validate_base_url(url)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def _checked_env_var(name: str) -> str:
    if not _ENV_VAR.fullmatch(name):
        raise UsageError(f"'{name}' is not an environment variable name")
    return name


def parse_pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """``["a=b", "c=d"]`` → ``{"a": "b", "c": "d"}``; a clear error for anything else."""
    pairs: dict[str, str] = {}
    for value in values:
        key, separator, item = value.partition("=")
        if not separator or not key.strip() or not item.strip():
            raise UsageError(f"{what} '{value}' is not KEY=VALUE")
        pairs[key.strip()] = item.strip()
    return pairs


def provider_table(request: ProviderRequest) -> tuple[str, dict[str, Any]]:
    """The provider's name and its ``[providers.NAME]`` table."""
    preset = request.preset
    if not preset.supported:
        raise UsageError(f"preset '{preset.id}' is not supported yet: {preset.unsupported_reason}")
    name = request.name or preset.id
    if not _NAME.fullmatch(name):
        raise UsageError(f"provider name '{name}': use lowercase letters, digits, - and _")
    if request.protocol is None:
        endpoint = preset.endpoints[0]
    else:
        found = preset.endpoint(request.protocol)
        if found is None:
            offered = ", ".join(p.value for p in preset.protocols)
            raise UsageError(
                f"preset '{preset.id}' has no {request.protocol.value} endpoint (it offers "
                f"{offered})"
            )
        endpoint = found
    if request.base_url:
        base_url = _checked_url(request.base_url, "--base-url")
    else:
        try:
            base_url = endpoint.render(request.url_params)
        except ConfigError as error:
            raise UsageError(f"preset '{preset.id}': {error.message}") from None
    table: dict[str, Any] = {
        "preset": preset.id,
        "protocol": endpoint.protocol.value,
        "base_url": base_url,
        "auth": endpoint.auth.value,
    }
    if request.key_literal is not None and request.key_env:
        raise UsageError("give the key either from the environment or on stdin, not both")
    if request.key_literal is not None:
        if not request.key_literal.strip():
            raise UsageError("the key is empty")
        table["api_key"] = request.key_literal.strip()
    else:
        key_env = request.key_env or preset.key_env
        if key_env:
            table["api_key"] = ENV_REFERENCE_PREFIX + _checked_env_var(key_env)
    if preset.slug_passthrough:
        table["slug_passthrough"] = True
    if request.prefix:
        table["prefix"] = request.prefix
    if request.exclude:
        table["exclude"] = list(request.exclude)
    if request.headers:
        table["headers"] = dict(request.headers)
    if request.aliases:
        table["aliases"] = dict(request.aliases)
    if request.proxy:
        table["proxy"] = _checked_url(request.proxy, "--proxy")
    if any(not model.strip() for model in request.models):
        raise UsageError("a model id cannot be empty")
    if request.models:
        table["models"] = [model.strip() for model in request.models]
    if request.extra_key_envs:
        table["api_keys"] = [
            ENV_REFERENCE_PREFIX + _checked_env_var(v) for v in request.extra_key_envs
        ]
    return name, table


@dataclass(frozen=True, slots=True)
class ProviderEdit:
    """What ``providers edit`` changes; None and empty leave a field as it is."""

    base_url: str | None = None
    key_env: str | None = None
    proxy: str | None = None
    prefix: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    exclude: Sequence[str] = ()


def edit_provider(document: MutableMapping[str, Any], name: str, edit: ProviderEdit) -> None:
    providers = document.get("providers", {})
    if name not in providers:
        known = ", ".join(providers) or "none"
        raise UsageError(f"no provider named '{name}' in the config file (known: {known})")
    table = providers[name]
    if edit.base_url:
        table["base_url"] = _checked_url(edit.base_url, "--base-url")
    if edit.key_env:
        table["api_key"] = ENV_REFERENCE_PREFIX + _checked_env_var(edit.key_env)
    if edit.proxy:
        table["proxy"] = _checked_url(edit.proxy, "--proxy")
    if edit.prefix:
        table["prefix"] = edit.prefix
    for key, values in (("aliases", edit.aliases), ("headers", edit.headers)):
        if not values:
            continue
        existing = table.get(key)
        if existing is None:
            table[key] = dict(values)
        else:  # in place: the user's layout and comments stay
            for name, value in values.items():
                existing[name] = value
    if edit.exclude:
        patterns = table.setdefault("exclude", [])
        for pattern in edit.exclude:
            if pattern not in patterns:
                patterns.append(pattern)


def add_provider(
    document: MutableMapping[str, Any], name: str, table: Mapping[str, Any], replace: bool
) -> None:
    providers = document.setdefault("providers", {})
    if name in providers and not replace:
        raise UsageError(
            f"a provider named '{name}' exists already; pick another --name or pass --replace"
        )
    providers[name] = dict(table)


def remove_provider(document: MutableMapping[str, Any], name: str) -> list[str]:
    """Remove the provider; returns the tools whose binding used it (now unbound)."""
    providers = document.get("providers", {})
    if name not in providers:
        known = ", ".join(providers) or "none"
        raise UsageError(f"no provider named '{name}' in the config file (known: {known})")
    del providers[name]
    unbound = []
    for tool, binding in document.get("tools", {}).items():
        if binding.get("provider") == name:
            del binding["provider"]
            unbound.append(tool)
    return unbound


def references_to(document: Mapping[str, Any], name: str) -> list[str]:
    """Where the config still names ``name:…`` as a target (aliases, tiers, fallbacks,
    scenarios): those targets fail until they are changed."""
    prefix = f"{name}:"
    found: list[str] = []
    for alias, targets in document.get("aliases", {}).items():
        listed = [targets] if isinstance(targets, str) else list(targets)
        found += [f"aliases.{alias}" for t in listed if str(t).startswith(prefix)]
    for tool, binding in document.get("tools", {}).items():
        for key in ("tiers", "scenarios"):
            for entry, target in dict(binding.get(key, {})).items():
                if isinstance(target, str) and target.startswith(prefix):
                    found.append(f"tools.{tool}.{key}.{entry}")
        found += [
            f"tools.{tool}.fallbacks" for t in binding.get("fallbacks", []) if t.startswith(prefix)
        ]
    return found


def set_binding(
    document: MutableMapping[str, Any],
    tool: str,
    provider: str | None,
    model: str | None,
    tiers: Mapping[str, str],
    fallbacks: Sequence[str],
) -> None:
    tools = document.setdefault("tools", {})
    binding = tools.setdefault(tool, {})
    if provider:
        binding["provider"] = provider
    if model:
        binding["model"] = model
    if tiers:
        existing = dict(binding.get("tiers", {}))
        existing.update(tiers)
        binding["tiers"] = existing
    if fallbacks:
        binding["fallbacks"] = list(fallbacks)
