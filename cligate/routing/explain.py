"""What each target of a route would do to a request: translated or not, its capability
profile, and (given a request) every degradation the translation would record. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cligate.protocols import ir
from cligate.protocols.capabilities import CapabilityProfile
from cligate.protocols.codecs import codec_for
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.translate import translate_request
from cligate.routing.plan import RoutePlan
from cligate.routing.profiles import profile_for


@dataclass(frozen=True, slots=True)
class TargetExplanation:
    target: str  # "provider:model"
    translated_to: WireProtocol | None  # None: passed through in the tool's own protocol
    profile: CapabilityProfile | None
    degradations: tuple[str, ...] = ()
    refused: str | None = None  # why strict mode (or the target) would refuse the request


def explain_targets(
    plan: RoutePlan,
    tool_protocol: WireProtocol,
    body: Mapping[str, Any] | None = None,
    strict: bool = False,
) -> tuple[TargetExplanation, ...]:
    """``DecodeError`` if ``body`` is not a valid request of the tool's protocol."""
    request = codec_for(tool_protocol).decode_request(body) if body is not None else None
    explained = []
    for target in plan.targets:
        provider = target.provider
        model = target.upstream_model or (request.model if request else None)
        label = f"{provider.name}:{model}"
        if provider.protocol is tool_protocol:
            explained.append(TargetExplanation(label, None, None))
            continue
        profile = profile_for(provider, model)
        if request is None:
            explained.append(TargetExplanation(label, provider.protocol, profile))
            continue
        try:
            upstream = codec_for(provider.protocol)
            result = translate_request(request, upstream, model or "", profile, strict)
        except ir.DecodeError as exc:
            explained.append(TargetExplanation(label, provider.protocol, profile, (), str(exc)))
            continue
        summary = result.decisions.summary()
        explained.append(TargetExplanation(label, provider.protocol, profile, summary))
    return tuple(explained)


def describe_profile(profile: CapabilityProfile) -> str:
    """One line a person can read: what the target takes and what it does not."""
    takes = [
        name.replace("_", " ")
        for name in ("tools", "images", "documents", "top_k", "structured_output")
        if getattr(profile, name)
    ]
    lacks = [
        name.replace("_", " ")
        for name in ("tools", "images", "documents", "top_k", "structured_output")
        if not getattr(profile, name)
    ]
    reasoning = profile.reasoning_field or "none"
    limit = profile.max_output_tokens or "not capped"
    return (
        f"takes {', '.join(takes) or 'text only'}; not {', '.join(lacks) or '-'}; "
        f"thinking comes back as {reasoning}; output limit {limit} "
        f"({profile.max_tokens_param.value})"
    )
