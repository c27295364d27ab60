"""Answers cligate gives itself when the provider speaks another protocol and has no
equivalent: Anthropic's token count and model list."""

from __future__ import annotations

import orjson

from cligate.config.settings import Settings, ToolBinding
from cligate.protocols import ir
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.token_estimate import estimate_input_tokens
from cligate.server.messages import OutgoingResponse

_JSON = (b"content-type", b"application/json")
# Anthropic's model objects carry a creation date; cligate's entries have none to tell.
_EPOCH = "1970-01-01T00:00:00Z"


def token_count(request: ir.Request) -> OutgoingResponse:
    body = orjson.dumps({"input_tokens": estimate_input_tokens(request)})
    return OutgoingResponse(200, [_JSON], body)


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
    if protocol is WireProtocol.ANTHROPIC:
        data = [{"type": "model", "id": m, "display_name": m, "created_at": _EPOCH} for m in models]
        body = {
            "data": data,
            "has_more": False,
            "first_id": models[0] if models else None,
            "last_id": models[-1] if models else None,
        }
    else:
        objects = [
            {"id": m, "object": "model", "created": 0, "owned_by": "cligate"} for m in models
        ]
        body = {"object": "list", "data": objects}
    return OutgoingResponse(200, [_JSON], orjson.dumps(body))
