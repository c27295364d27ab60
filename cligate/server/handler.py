"""The request handler: classify the call, route it, forward it, relay the answer.

Same-protocol pass-through: the body goes to the provider unchanged except for the model name
when routing changes it. Translation between protocols plugs in here later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from cligate.config.settings import ProviderSettings, ToolBinding
from cligate.errors import UpstreamError
from cligate.protocols.endpoints import Endpoint, Operation, classify
from cligate.protocols.error_shapes import error_body, stream_error_event
from cligate.protocols.json_members import JsonBody, parse_json_object
from cligate.protocols.kinds import WireProtocol
from cligate.routing.plan import route
from cligate.server.forwarding import (
    client_headers,
    content_length,
    is_event_stream,
    split_at_event_boundary,
    upstream_headers,
    upstream_url,
)
from cligate.server.messages import IncomingRequest, OutgoingResponse
from cligate.upstream.types import UpstreamClient, UpstreamRequest, UpstreamResponse, split_url

logger = logging.getLogger("cligate.proxy")

_JSON = (b"content-type", b"application/json")
# Plain (non-SSE) bodies up to this size are read whole before they are answered.
BUFFERED_BODY_LIMIT = 4 * 1024 * 1024


# Anthropic's SDKs (and Claude Code) honour this; without it a request that cannot succeed,
# such as one refused for a wrong secret, is retried for minutes.
_NO_RETRY = (b"x-should-retry", b"false")


def error_response(protocol: WireProtocol, status: int, message: str) -> OutgoingResponse:
    """An error made by cligate itself, in the caller's protocol."""
    headers = [_JSON]
    if status < 500 or status == 501:
        headers.append(_NO_RETRY)
    return OutgoingResponse(status, headers, error_body(protocol, status, message))


@dataclass(frozen=True, slots=True)
class RunContext:
    """What the proxy of one ``cligate run`` serves: one tool, bound to one provider."""

    tool: str
    tool_protocol: WireProtocol
    provider: ProviderSettings
    provider_key: str
    binding: ToolBinding


class GatewayHandler:
    def __init__(self, context: RunContext, upstream: UpstreamClient) -> None:
        self._context = context
        self._upstream = upstream

    def error_for_path(self, status: int, message: str, path: str) -> OutgoingResponse:
        """An error in the protocol the caller speaks (judged by path, else the tool's)."""
        protocol = classify(path, self._context.tool_protocol).protocol if path else None
        return error_response(protocol or self._context.tool_protocol, status, message)

    async def __call__(self, request: IncomingRequest) -> OutgoingResponse:
        started = time.perf_counter()
        context = self._context
        provider = context.provider
        endpoint = classify(request.path, context.tool_protocol)
        protocol = endpoint.protocol
        if protocol is not provider.protocol:
            return error_response(
                protocol,
                501,
                f"cligate: {context.tool} sent a {protocol.display_name} request, but provider "
                f"'{provider.name}' speaks {provider.protocol.display_name}; translation between "
                "the two is not available in this version of cligate",
            )
        body = request.body
        path = request.path
        parsed: JsonBody | None = None
        requested_model = endpoint.path_model
        reads_body_model = requested_model is None and endpoint.operation in (
            Operation.GENERATE,
            Operation.COUNT_TOKENS,
        )
        if reads_body_model:
            try:
                parsed = parse_json_object(body)
            except ValueError as exc:
                return error_response(
                    protocol, 400, f"cligate: the request body is not valid JSON: {exc}"
                )
            model_value = parsed.value.get("model")
            if model_value is not None and not isinstance(model_value, str):
                return error_response(protocol, 400, "cligate: 'model' must be a string")
            requested_model = model_value
        plan = route(provider, context.binding, requested_model)
        target = plan.targets[0]
        upstream_model = target.upstream_model
        if upstream_model and upstream_model != requested_model:
            if endpoint.path_model is not None:
                path = _replace_path_model(path, endpoint, upstream_model)
            elif parsed is not None:
                body = parsed.with_member("model", upstream_model)
        origin, target_path = split_url(upstream_url(provider, path, request.query))
        upstream_request = UpstreamRequest(
            method=request.method,
            origin=origin,
            target=target_path,
            headers=upstream_headers(request.headers, provider, context.provider_key),
            body=body,
        )
        try:
            response = await self._upstream.send(upstream_request)
        except UpstreamError as exc:
            logger.warning(
                "%s %s model=%s provider=%s failed: %s",
                request.method,
                request.path,
                requested_model,
                provider.name,
                exc.message,
            )
            return error_response(
                protocol,
                exc.http_status,
                f"cligate: provider '{provider.name}' ({provider.base_url}) failed: {exc.message}",
            )
        logger.info(
            "%s %s model=%s -> provider=%s model=%s status=%d headers_after=%.1fms",
            request.method,
            request.path,
            requested_model,
            provider.name,
            upstream_model,
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        headers = client_headers(response.headers)
        if is_event_stream(response.headers):
            return OutgoingResponse(
                response.status, headers, self._relay_events(response, protocol)
            )
        length = content_length(response.headers)
        if length is not None and length <= BUFFERED_BODY_LIMIT:
            # A complete JSON body, not a stream: read it whole, so it leaves in one write
            # with the head, and a provider failing mid-body becomes a clear error.
            try:
                whole = b"".join([chunk async for chunk in response.chunks()])
            except UpstreamError as exc:
                return error_response(
                    protocol,
                    exc.http_status,
                    f"cligate: the answer from provider '{provider.name}' broke: {exc.message}",
                )
            return OutgoingResponse(response.status, headers, whole)
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        return OutgoingResponse(response.status, headers, response.chunks())

    async def _relay_events(
        self, response: UpstreamResponse, protocol: WireProtocol
    ) -> AsyncIterator[bytes]:
        """SSE, relayed event by event as it arrives; a failure ends it with an error event."""
        pending = b""
        try:
            async for chunk in response.chunks():
                ready, pending = split_at_event_boundary(pending, chunk)
                if ready:
                    yield ready
            if pending:
                yield pending
        except UpstreamError as exc:
            provider = self._context.provider
            logger.warning("stream from provider %s broke: %s", provider.name, exc.message)
            yield stream_error_event(
                protocol,
                exc.http_status,
                f"cligate: the stream from provider '{provider.name}' broke: {exc.message}",
            )


def _replace_path_model(path: str, endpoint: Endpoint, model: str) -> str:
    assert endpoint.path_model is not None
    head, _, method = path.rpartition(":")
    prefix = head[: len(head) - len(endpoint.path_model)]
    return f"{prefix}{model}:{method}"
