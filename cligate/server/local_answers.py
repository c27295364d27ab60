"""Answers cligate gives itself when the provider speaks another protocol and has no
equivalent: token counts and model lists in the client's own shape."""

from __future__ import annotations

from typing import Any

import orjson

from cligate.config.settings import Settings, ToolBinding
from cligate.protocols import ir
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.token_estimate import estimate_input_tokens
from cligate.server.messages import OutgoingResponse

_JSON = (b"content-type", b"application/json")
# Anthropic's model objects carry a creation date; cligate's entries have none to tell.
_EPOCH = "1970-01-01T00:00:00Z"


def token_count(protocol: WireProtocol, request: ir.Request) -> OutgoingResponse:
    tokens = estimate_input_tokens(request)
    shape = {"totalTokens": tokens} if protocol is WireProtocol.GEMINI else {"input_tokens": tokens}
    return OutgoingResponse(200, [_JSON], orjson.dumps(shape))


def offered_models(settings: Settings, binding: ToolBinding) -> list[str]:
    """What the binding offers, most specific first: its model, its tiers, the provider's
    chosen models, then every alias."""
    from cligate.routing.plan import RoutingError, resolve_target

    names: list[str] = []
    if binding.model:
        names.append(binding.model)
    for _, ref in binding.tiers:
        try:
            model = resolve_target(settings, binding, ref).upstream_model
        except RoutingError:
            continue
        if model:
            names.append(model)
    provider = settings.providers.get(binding.provider or "")
    if provider is not None:
        names.extend(provider.models)
        names.extend(alias for alias, _ in provider.aliases)
    names.extend(settings.aliases)
    return list(dict.fromkeys(names))  # unique, in order


def model_list(protocol: WireProtocol, models: list[str]) -> OutgoingResponse:
    body: dict[str, Any]
    if protocol is WireProtocol.ANTHROPIC:
        data = [{"type": "model", "id": m, "display_name": m, "created_at": _EPOCH} for m in models]
        body = {
            "data": data,
            "has_more": False,
            "first_id": models[0] if models else None,
            "last_id": models[-1] if models else None,
        }
    elif protocol is WireProtocol.GEMINI:
        methods = ["generateContent", "streamGenerateContent", "countTokens"]
        entries = [
            {"name": f"models/{m}", "displayName": m, "supportedGenerationMethods": methods}
            for m in models
        ]
        body = {"models": entries}
    else:
        objects = [
            {"id": m, "object": "model", "created": 0, "owned_by": "cligate"} for m in models
        ]
        body = {"object": "list", "data": objects}
    return OutgoingResponse(200, [_JSON], orjson.dumps(body))
