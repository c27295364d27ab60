"""The request a provider is sent: the client's own, with the model and the key put right
(pass-through), or the client's translated into the provider's protocol. Pure building: the
handler sends it, retries it and logs what was degraded."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cligate.config.settings import ProviderSettings, ResolvedKey
from cligate.protocols.codecs import ClientView, codec_for
from cligate.protocols.endpoints import Endpoint
from cligate.protocols.failures import DecodeError
from cligate.protocols.json_members import JsonBody, parse_json_object
from cligate.protocols.request_facts import estimated_input_tokens
from cligate.routing.plan import Target
from cligate.server.forwarding import translated_headers, upstream_headers, upstream_url
from cligate.server.messages import IncomingRequest
from cligate.upstream.types import Origin, UpstreamRequest, split_url

if TYPE_CHECKING:  # translation modules load on a run's first translated request
    from cligate.protocols import ir
    from cligate.protocols.capabilities import Degradation
    from cligate.server.handler import RunContext
    from cligate.server.translated import Exchange


@dataclass(frozen=True, slots=True)
class TranslatedCall:
    """A translated request, how its answer is translated back, and what was degraded."""

    request: UpstreamRequest
    exchange: Exchange
    degradations: tuple[str, ...]  # one line each, for the record and the log
    recorded: tuple[Degradation, ...]  # the rules behind them
    profile: str  # the capability profile that decided


def decode_client_request(
    request: IncomingRequest, endpoint: Endpoint, parsed: JsonBody | None
) -> ir.Request:
    """The client's request in the neutral form; ``DecodeError`` or ``ValueError`` (not
    JSON) say what is wrong. Gemini names the model and streaming in the path."""
    if parsed is None:
        parsed = parse_json_object(request.body)
    decoded = codec_for(endpoint.protocol).decode_request(parsed.value)
    if endpoint.path_model is not None:
        decoded = replace(decoded, model=endpoint.path_model, stream=endpoint.path_streams)
    return decoded


def passthrough_request(
    request: IncomingRequest,
    endpoint: Endpoint,
    parsed: JsonBody | None,
    requested_model: str | None,
    target: Target,
    key: ResolvedKey,
) -> UpstreamRequest:
    """The client's request as it came, but for the model routing chose and the key."""
    body, path = request.body, request.path
    upstream_model = target.upstream_model
    if upstream_model and upstream_model != requested_model:
        if endpoint.path_model is not None:
            path = _replace_path_model(path, endpoint, upstream_model)
        elif parsed is not None:
            body = parsed.with_member("model", upstream_model)
    provider = target.provider
    origin, target_path = _provider_split(provider, path, request.query)
    return UpstreamRequest(
        method=request.method,
        origin=origin,
        target=target_path,
        headers=upstream_headers(request.headers, provider, key.value),
        body=body,
        proxy=key.proxy,
        timeouts=provider.timeouts,
    )


def translated_request(
    request: IncomingRequest,
    decoded: ir.Request,
    requested_model: str | None,
    target: Target,
    key: ResolvedKey,
    context: RunContext,
) -> TranslatedCall:
    """The decoded request in the provider's protocol, degraded by its capability profile;
    ``DecodeError`` when it cannot be sent (no model, or strict mode refuses a loss)."""
    from cligate.protocols.translate import translate_request
    from cligate.routing.profiles import profile_for
    from cligate.server.translated import Exchange

    provider = target.provider
    # The endpoint's protocol is the tool's (checked on arrival).
    client = codec_for(context.tool_protocol)
    upstream = codec_for(provider.protocol)
    model = target.upstream_model or requested_model
    if not model:
        raise DecodeError(
            f"the request names no model and provider '{provider.name}' needs one: set "
            f"a model in the binding (cligate bind {context.tool} --model M)"
        )
    profile = profile_for(provider, model)
    translated = translate_request(decoded, upstream, model, profile, context.binding.strict)
    path, _, query = upstream.generate_target(model, decoded.stream).partition("?")
    origin, target_path = _provider_split(provider, path, query)
    view = ClientView(
        model=requested_model or model,
        created=int(time.time()),
        include_usage=_wants_stream_usage(decoded),
        # The body's size is a free and close enough hint (count_tokens counts properly).
        input_tokens_estimate=estimated_input_tokens(request.body) if decoded.stream else 0,
        custom_tools=frozenset(t.name for t in decoded.tools if t.kind == "custom"),
    )
    exchange = Exchange(
        client=client,
        upstream=upstream,
        view=view,
        stream=decoded.stream,
        provider=provider.name,
        keepalive_seconds=context.keepalive_seconds,
    )
    upstream_request = UpstreamRequest(
        method="POST",
        origin=origin,
        target=target_path,
        headers=translated_headers(request.headers, provider, key.value, decoded.stream),
        body=translated.body,
        proxy=key.proxy,
        timeouts=provider.timeouts,
    )
    decisions = translated.decisions
    return TranslatedCall(
        upstream_request, exchange, decisions.summary(), tuple(decisions.recorded), profile.name
    )


def _provider_split(provider: ProviderSettings, path: str, query: str) -> tuple[Origin, str]:
    """The provider's origin and the request target; never another origin, where the
    provider's key would go (the guard admits only "/…" targets, so this is a last check)."""
    origin, target_path = _split(upstream_url(provider, path, query))
    if origin != _origin_of(provider.base_url):
        raise ValueError(f"refusing to send {provider.name}'s key to {origin.url}")
    return origin, target_path


@functools.lru_cache(maxsize=256)
def _split(url: str) -> tuple[Origin, str]:
    """``split_url``, once per URL: a run sends to a handful of URLs over and over."""
    return split_url(url)


@functools.lru_cache(maxsize=64)
def _origin_of(base_url: str) -> Origin:
    """A provider's origin, parsed once rather than on every request."""
    return split_url(base_url)[0]


def _wants_stream_usage(request: ir.Request) -> bool:
    """A Chat client asks for usage in its stream with stream_options.include_usage."""
    options = request.extras.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _replace_path_model(path: str, endpoint: Endpoint, model: str) -> str:
    assert endpoint.path_model is not None
    head, _, method = path.rpartition(":")
    prefix = head[: len(head) - len(endpoint.path_model)]
    return f"{prefix}{model}:{method}"
