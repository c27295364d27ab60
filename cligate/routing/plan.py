"""Which provider and upstream model answer a request, and why: a pure function.

Rules, first match wins:
  0. scenario rules of the binding (opt-in): long context, thinking, images, background call;
  1. an exact alias: "PREFIX/alias" for one provider, a global alias (a pool when it names
     several targets), or an alias a provider defines (several providers: a pool);
  2. a slug with "/" passes through untouched to the provider that owns that catalog;
  3. a tier: the requested name is a tier's model, or holds its keyword (opus, sonnet, haiku,
     pro, flash, lite, mini…);
  4. the binding's default model, else the requested name unchanged, on the binding's provider.
Then excluded-model wildcards drop targets, targets of a protocol cligate cannot translate to
are dropped, pools are rotated round-robin, and the binding's fallbacks are appended.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from cligate.config.settings import ProviderSettings, Settings, ToolBinding
from cligate.protocols.kinds import WireProtocol, can_translate

# A binding tier that names the tool's background model rather than a keyword to look for.
BACKGROUND_TIER = "background"


@dataclass(frozen=True, slots=True)
class Target:
    provider: ProviderSettings
    upstream_model: str | None  # None: the request named no model and none is configured


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What routing may look at besides the model name (filled only when scenarios ask)."""

    model: str | None
    estimated_input_tokens: int = 0
    thinking: bool = False
    images: bool = False
    background: bool = False


@dataclass(frozen=True, slots=True)
class RoutePlan:
    targets: tuple[Target, ...]
    reasons: tuple[str, ...]


class RoutingError(ValueError):
    """No target can serve the request; the message says why."""


def resolve_target(settings: Settings, binding: ToolBinding, ref: str) -> Target:
    """``"provider:model"`` when the part before ":" names a provider, else a model on the
    binding's provider (model ids such as Ollama's ``llama3:8b`` contain ":" too)."""
    head, separator, rest = ref.partition(":")
    if separator and head in settings.providers and rest:
        return Target(settings.providers[head], rest)
    if binding.provider is None or binding.provider not in settings.providers:
        raise RoutingError(f"'{ref}' names no provider and the binding has none")
    return Target(settings.providers[binding.provider], ref)


def _describe(target: Target) -> str:
    return f"{target.provider.name}:{target.upstream_model}"


def _scenario(
    settings: Settings, binding: ToolBinding, facts: RequestFacts
) -> tuple[list[Target], str] | None:
    rules = binding.scenarios
    if rules is None:
        return None
    threshold = rules.long_context_tokens
    candidates = [
        (
            rules.long_context if threshold and facts.estimated_input_tokens > threshold else None,
            f"long context: about {facts.estimated_input_tokens} input tokens > {threshold}",
        ),
        (rules.thinking if facts.thinking else None, "thinking requested"),
        (rules.images if facts.images else None, "images present"),
        (rules.background if facts.background else None, "a background call"),
    ]
    for ref, why in candidates:
        if ref:
            return [resolve_target(settings, binding, ref)], f"scenario rule: {why}"
    return None


def _alias(settings: Settings, binding: ToolBinding, model: str) -> tuple[list[Target], str] | None:
    head, slash, rest = model.partition("/")
    if slash:
        for provider in settings.providers.values():
            if head in (provider.prefix, provider.name):
                upstream = dict(provider.aliases).get(rest)
                if upstream is not None:
                    return [Target(provider, upstream)], (
                        f"alias '{rest}' of provider '{provider.name}' (prefix '{head}/')"
                    )
    if model in settings.aliases:
        pool = [resolve_target(settings, binding, ref) for ref in settings.aliases[model]]
        kind = "pool" if len(pool) > 1 else "alias"
        return pool, f"global {kind} '{model}'"
    # Most providers have no aliases: looked at on every request, so no dict is built.
    owners = [
        (p, upstream)
        for p in settings.providers.values()
        if p.aliases
        for name, upstream in p.aliases
        if name == model
    ]
    if owners:
        # The binding's own provider first, then the others in the order the file has them.
        owners.sort(key=lambda owner: owner[0].name != binding.provider)
        pool = [Target(p, upstream) for p, upstream in owners]
        names = ", ".join(p.name for p, _ in owners)
        kind = "pool" if len(pool) > 1 else "alias"
        return pool, f"{kind} '{model}' defined by {names}"
    return None


def _slug(settings: Settings, default: ProviderSettings, model: str) -> tuple[list[Target], str]:
    if default.slug_passthrough:
        owner = default
    else:
        owner = next((p for p in settings.providers.values() if p.slug_passthrough), default)
    return [Target(owner, model)], (
        f"'{model}' is a catalog slug: passed through untouched to '{owner.name}'"
    )


def _tier(settings: Settings, binding: ToolBinding, model: str) -> tuple[list[Target], str] | None:
    # The launcher tells the tool each tier's model id, so a request may name it exactly.
    for keyword, ref in binding.tiers:
        target = resolve_target(settings, binding, ref)
        if target.upstream_model == model:
            return [target], f"'{model}' is the model of tier '{keyword}'"
    lowered = model.lower()
    best: tuple[int, str, str] | None = None
    for keyword, ref in binding.tiers:
        if keyword == BACKGROUND_TIER:
            continue
        position = lowered.rfind(keyword.lower())
        # The keyword nearest the end wins: "gemini-2.5-flash-lite" is a "lite" model.
        if position >= 0 and (best is None or position > best[0]):
            best = (position, keyword, ref)
    if best is None:
        return None
    return [resolve_target(settings, binding, best[2])], f"tier '{best[1]}' in '{model}'"


def route(
    settings: Settings,
    binding: ToolBinding,
    tool_protocol: WireProtocol,
    facts: RequestFacts,
    rotation: int = 0,
) -> RoutePlan:
    """The ordered targets for one request, with the reason for each decision."""
    if binding.provider is None or binding.provider not in settings.providers:
        raise RoutingError("the tool is bound to no known provider")
    default = settings.providers[binding.provider]
    model = facts.model
    reasons: list[str] = []
    found = _scenario(settings, binding, facts)
    if found is None and model:
        found = _alias(settings, binding, model)
        if found is None and "/" in model:
            found = _slug(settings, default, model)
        if found is None:
            found = _tier(settings, binding, model)
    if found is None:
        if binding.model:
            found = (
                [Target(default, binding.model)],
                (f"the binding's default model on '{default.name}'"),
            )
        elif default.protocol is not tool_protocol and default.models:
            # A model name of the tool's own vendor means nothing to a provider of another
            # protocol: its first chosen model answers instead.
            found = (
                [Target(default, default.models[0])],
                f"'{model}' is not a model of '{default.name}', which speaks another "
                f"protocol: its first model answers",
            )
        else:
            found = (
                [Target(default, model)],
                (
                    f"'{model}' passes through unchanged to '{default.name}'"
                    if model
                    else f"no model named; '{default.name}' decides"
                ),
            )
    targets, why = found
    reasons.append(why)
    if len(targets) > 1 and rotation:
        shift = rotation % len(targets)
        targets = targets[shift:] + targets[:shift]
    for ref in binding.fallbacks:
        fallback = resolve_target(settings, binding, ref)
        if fallback not in targets:
            targets.append(fallback)
            reasons.append(f"fallback {_describe(fallback)}")
    usable: list[Target] = []
    for target in targets:
        excluded = next(
            (
                pattern
                for pattern in target.provider.exclude
                if target.upstream_model and fnmatch.fnmatchcase(target.upstream_model, pattern)
            ),
            None,
        )
        if excluded:
            reasons.append(f"skipped {_describe(target)}: excluded by '{excluded}'")
        elif not can_translate(tool_protocol, target.provider.protocol):
            reasons.append(
                f"skipped {_describe(target)}: '{target.provider.name}' speaks "
                f"{target.provider.protocol.display_name}, and cligate cannot translate "
                f"{tool_protocol.display_name} to it yet"
            )
        else:
            if target.provider.protocol is not tool_protocol:
                reasons.append(
                    f"{_describe(target)}: translated from {tool_protocol.display_name} to "
                    f"{target.provider.protocol.display_name}"
                )
            usable.append(target)
    if not usable:
        raise RoutingError("; ".join(reasons) + "; no target is left")
    reasons.append("targets: " + ", ".join(_describe(t) for t in usable))
    return RoutePlan(tuple(usable), tuple(reasons))
