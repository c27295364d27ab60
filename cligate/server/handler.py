"""The request handler: classify the call, route it, forward or translate it, relay the answer.

A provider of the client's own protocol gets the body unchanged except for the model name when
routing changes it; a provider of another protocol gets the request translated through the
neutral representation (``protocols/``), degraded by its capability profile, and its answer is
translated back (``server/translated.py``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cligate.config.settings import ProviderSettings, ResolvedKey, Settings, ToolBinding
from cligate.errors import ConfigError, UpstreamError
from cligate.protocols.endpoints import Endpoint, Operation, classify
from cligate.protocols.error_shapes import stream_error_event
from cligate.protocols.failures import DecodeError
from cligate.protocols.json_members import JsonBody, parse_json_object
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.request_facts import estimated_input_tokens, has_images, wants_thinking
from cligate.routing.health import HealthBook
from cligate.routing.plan import (
    BACKGROUND_TIER,
    RequestFacts,
    RoutePlan,
    RoutingError,
    Target,
    route,
)
from cligate.server.error_answers import error_response, rate_limited_response
from cligate.server.forwarding import (
    is_event_stream,
)
from cligate.server.messages import IncomingRequest, OutgoingResponse
from cligate.server.passthrough import answer_passed_through
from cligate.server.upstream_requests import (
    TranslatedCall,
    decode_client_request,
    passthrough_request,
    translated_request,
)
from cligate.upstream.key_pool import KeyPool
from cligate.upstream.retry_policy import (
    RetryPolicy,
    Verdict,
    decide,
    delay,
    move_on,
    retry_after_seconds,
    within_budget,
)
from cligate.upstream.types import (
    UpstreamClient,
    UpstreamResponse,
)


class _WaitBudget:
    """The time one request may spend waiting between retries, all targets together."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._waited = 0.0

    def allows(self, pause: float) -> bool:
        return within_budget(self._policy, self._waited, pause)

    async def wait(self, pause: float) -> None:
        self._waited += pause
        await asyncio.sleep(pause)


if TYPE_CHECKING:  # translation modules load on a run's first translated request
    from cligate.observe.trace import RequestTrace, TraceSettings
    from cligate.protocols import ir
    from cligate.protocols.capabilities import Rule
    from cligate.routing.auto_plan import AutoRouter
    from cligate.server.translated import Exchange

logger = logging.getLogger("cligate.proxy")

AUTO = "auto"  # the model name (and prefix, as in auto:cheapest) of routing/auto.py


@dataclass(frozen=True, slots=True)
class RunContext:
    """What the proxy of one ``cligate run`` serves: one tool and its binding."""

    tool: str
    tool_protocol: WireProtocol
    settings: Settings
    binding: ToolBinding  # its provider is known and speaks the tool's protocol
    # provider name → the keys at hand (the first is used; rotation comes with reliability)
    keys: dict[str, tuple[ResolvedKey, ...]]
    # A word in the model name of the tool's small/fast background calls ("haiku" for claude).
    background_hint: str | None = None
    # Silence in a translated stream after which the client gets a keep-alive event.
    keepalive_seconds: float = 10.0
    # When to retry a provider, move to the next key or the next target.
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Where each request's record goes; None: no records (tests, benchmarks).
    trace: TraceSettings | None = None


@dataclass(slots=True)
class _Call:
    """A request admitted for routing, and what its attempts learn on the way."""

    request: IncomingRequest
    endpoint: Endpoint
    parsed: JsonBody | None
    requested_model: str | None
    trace: RequestTrace | None
    started: float
    failures: list[str] = field(default_factory=list)  # why each key or target was left

    @property
    def protocol(self) -> WireProtocol:
        return self.endpoint.protocol


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One request sent to one provider with one key, and what came of it."""

    response: UpstreamResponse | None
    error: UpstreamError | None
    exchange: Exchange | None  # set when the request was translated
    degradations: tuple[str, ...]
    retry_after: float | None

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None


class GatewayHandler:
    def __init__(
        self, context: RunContext, upstream: UpstreamClient, pool: KeyPool | None = None
    ) -> None:
        """``pool``: the key pool, when several handlers share the providers (cligate serve)."""
        self._context = context
        self._upstream = upstream
        self._requests = 0  # rotates pools round-robin
        self._pool = pool if pool is not None else KeyPool(context.keys)
        self._health = HealthBook()  # what this handler has seen of each model, for "auto"
        self._auto: AutoRouter | None = None
        self._warned: set[tuple[str, Rule]] = set()  # lossy degradations already logged

    def error_for_path(self, status: int, message: str, path: str) -> OutgoingResponse:
        """An error in the protocol the caller speaks (judged by path, else the tool's)."""
        protocol = classify(path, self._context.tool_protocol).protocol if path else None
        return error_response(protocol or self._context.tool_protocol, status, message)

    async def __call__(self, request: IncomingRequest) -> OutgoingResponse:
        settings = self._context.trace
        if settings is None:
            return self._abortable(await self._handle(request, None))
        from cligate.observe.trace import RequestTrace

        trace = RequestTrace(settings, request.method, request.path)
        trace.capture_request(request.body)
        try:
            response = await self._handle(request, trace)
        except BaseException:
            trace.attach(500, [], b"")
            trace.finish()
            raise
        trace.attach(response.status, response.headers, response.body)
        response.close = trace.closing(response.close)  # the record follows the answer out
        return self._abortable(response)

    def _abortable(self, response: OutgoingResponse) -> OutgoingResponse:
        """A stream the server may have to cut short (shutdown) ends with an error event."""
        if not isinstance(response.body, bytes) and is_event_stream(response.headers):
            response.abort_event = functools.partial(
                stream_error_event,
                self._context.tool_protocol,
                503,
                "cligate is shutting down: this answer was cut short",
            )
        return response

    async def _handle(
        self, request: IncomingRequest, trace: RequestTrace | None
    ) -> OutgoingResponse:
        call = self._admit(request, trace)
        if isinstance(call, OutgoingResponse):
            return call
        self._requests += 1
        plan = self._plan(call)
        if isinstance(plan, OutgoingResponse):
            return plan
        if trace is not None:
            trace.routed(plan.reasons)
        usable = self._usable(call, plan)
        if not usable:
            wait = self._all_resting(plan, call.requested_model)
            if wait is not None:
                return rate_limited_response(call.protocol, wait, _failed(call.failures))
        return await self._try_in_turn(call, plan, usable)

    def _admit(
        self, request: IncomingRequest, trace: RequestTrace | None
    ) -> _Call | OutgoingResponse:
        """The request as a call cligate can route, or the answer that refuses it."""
        started = time.perf_counter()
        context = self._context
        endpoint = classify(request.path, context.tool_protocol)
        protocol = endpoint.protocol
        if protocol is not context.tool_protocol:
            return error_response(
                protocol,
                501,
                f"cligate: {context.tool} sent a {protocol.display_name} request, but this proxy "
                f"serves {context.tool_protocol.display_name}; translation between the two is "
                "not available in this version of cligate",
            )
        wrong_method = _wrong_method(request.method, endpoint.operation)
        if wrong_method is not None:
            refusal = error_response(
                protocol, 405, f"cligate: {request.method} {request.path} takes {wrong_method}"
            )
            refusal.headers.append((b"allow", wrong_method.encode()))
            return refusal
        parsed: JsonBody | None = None
        requested_model = endpoint.path_model
        # Every model call's body must be a JSON object, even Gemini's (its model is in the
        # path): what is not goes back as a 400, never to the provider.
        if endpoint.operation in (Operation.GENERATE, Operation.COUNT_TOKENS):
            try:
                parsed = parse_json_object(request.body)
            except ValueError as exc:
                return error_response(
                    protocol, 400, f"cligate: the request body is not valid JSON: {exc}"
                )
            if requested_model is None:
                model_value = parsed.value.get("model")
                if model_value is not None and not isinstance(model_value, str):
                    return error_response(protocol, 400, "cligate: 'model' must be a string")
                requested_model = model_value
            if trace is not None:
                trace.requested(requested_model, _asks_to_stream(endpoint, parsed))
        return _Call(request, endpoint, parsed, requested_model, trace, started)

    def _plan(self, call: _Call) -> RoutePlan | OutgoingResponse:
        """Where the call goes, in order; a call that is not a model call is answered here
        when the bound provider speaks another protocol."""
        context = self._context
        bound = context.settings.providers[context.binding.provider or ""]
        if call.endpoint.operation not in (Operation.GENERATE, Operation.COUNT_TOKENS):
            if bound.protocol is not call.protocol:
                return self._local_answer(call.request, call.endpoint)
            # Not a model call (model lists, Gemini's other methods): no routing, and never a
            # model rewrite (an embedding model must not become the chat model).
            return RoutePlan((Target(bound, call.requested_model),), ("not a model call",))
        facts = self._facts(call.request, call.protocol, call.requested_model, call.parsed)
        try:
            plan = route(
                context.settings,
                context.binding,
                context.tool_protocol,
                facts,
                rotation=self._requests - 1,
            )
            return self._with_auto(
                plan, call.request, call.protocol, call.requested_model, call.parsed
            )
        except RoutingError as exc:
            return error_response(call.protocol, 400, f"cligate: no route for this request: {exc}")

    def _usable(self, call: _Call, plan: RoutePlan) -> list[tuple[Target, list[ResolvedKey]]]:
        """The targets with a key that can be used now, each with its keys in order; why the
        others cannot goes into ``call.failures``."""
        usable: list[tuple[Target, list[ResolvedKey]]] = []
        for target in plan.targets:
            name = target.provider.name
            if not self._context.keys.get(name):
                api_key = target.provider.api_key
                missing = api_key.describe() if api_key else "api_keys"
                call.failures.append(f"provider '{name}': its key ({missing}) is not set")
                continue
            # A rest for one model is kept under the id the provider was sent.
            model_sent = target.upstream_model or call.requested_model
            keys = self._pool.keys_for(name, model_sent)
            if keys:
                usable.append((target, keys))
            else:
                resting = "; ".join(self._pool.unavailable(name, model_sent))
                call.failures.append(f"provider '{name}': no key can be used now ({resting})")
        return usable

    async def _try_in_turn(
        self,
        call: _Call,
        plan: RoutePlan,
        usable: list[tuple[Target, list[ResolvedKey]]],
    ) -> OutgoingResponse:
        """Each target, each of its keys, with retries, until one answers or none is left."""
        protocol = call.protocol
        decoded: ir.Request | None = None
        budget = _WaitBudget(self._context.retry)
        for index, (target, keys) in enumerate(usable):
            translated = target.provider.protocol is not protocol
            if translated and decoded is None:
                try:
                    decoded = decode_client_request(call.request, call.endpoint, call.parsed)
                except (DecodeError, ValueError) as exc:
                    return error_response(protocol, 400, f"cligate: {exc}")
                if call.endpoint.operation is Operation.COUNT_TOKENS:
                    from cligate.server.local_answers import token_count

                    return token_count(protocol, decoded)
            for key_index, key in enumerate(keys):
                keys_left = len(keys) - key_index - 1
                # The very last option answers whatever it gets: the client then sees the
                # provider's own status and words.
                final = index == len(usable) - 1 and keys_left == 0
                outcome = await self._with_key(
                    call, plan, target, key, decoded if translated else None, keys_left, final,
                    budget,
                )  # fmt: skip
                if isinstance(outcome, OutgoingResponse):
                    return outcome
                if outcome is Verdict.NEXT_TARGET:
                    break
        return error_response(protocol, 502, _failed(call.failures))

    async def _with_key(
        self,
        call: _Call,
        plan: RoutePlan,
        target: Target,
        key: ResolvedKey,
        decoded: ir.Request | None,
        keys_left: int,
        final: bool,
        budget: _WaitBudget,
    ) -> OutgoingResponse | Verdict:
        """One target with one key, retried as the policy says: the answer to relay, or
        whether to move on to the next key or the next target."""
        attempt = 0
        while True:
            attempt += 1
            sent = await self._send(call, target, key, decoded)
            if isinstance(sent, OutgoingResponse):
                return sent
            verdict = decide(
                self._context.retry,
                status=sent.status,
                error=sent.error,
                attempt=attempt,
                keys_left=keys_left,
                output_started=False,
                retry_after=sent.retry_after,
            )
            if verdict is Verdict.RETRY:
                pause = delay(self._context.retry, attempt, sent.retry_after, random.random)
                if not budget.allows(pause):
                    verdict = move_on(keys_left)
            if final and verdict in (Verdict.NEXT_KEY, Verdict.NEXT_TARGET):
                verdict = Verdict.ANSWER  # nothing is left to move on to
            why = sent.error.message if sent.error is not None else f"answered {sent.status}"
            if attempt > 1:
                why += f" ({attempt} attempts)"
            if verdict is Verdict.ANSWER:
                return await self._answer(call, plan, target, key, sent, why)
            logger.warning(
                "%s %s -> %s (%s) failed: %s",
                call.request.method,
                call.request.path,
                target.provider.name,
                key.label,
                why,
            )
            if sent.response is not None:
                await sent.response.aclose()
            if verdict is Verdict.RETRY:
                if call.trace is not None:
                    call.trace.waited(pause)
                await budget.wait(pause)
                continue
            call.failures.append(self._failure(target, key, why))  # once per key
            self._note_outcome(target, call.requested_model, key, sent.status, sent.retry_after)
            return verdict

    async def _send(
        self, call: _Call, target: Target, key: ResolvedKey, decoded: ir.Request | None
    ) -> _Attempt | OutgoingResponse:
        """One request to one provider with one key (translated when ``decoded`` is given),
        noted in the health book and the record; a request it cannot take is answered 400."""
        exchange: Exchange | None = None
        degradations: tuple[str, ...] = ()
        if decoded is not None:
            try:
                translated = translated_request(
                    call.request, decoded, call.requested_model, target, key, self._context
                )
            except DecodeError as exc:  # strict mode, or a request it cannot take
                return error_response(call.protocol, 400, f"cligate: {exc}")
            self._log_degradations(translated)
            upstream_request = translated.request
            exchange, degradations = translated.exchange, translated.degradations
        else:
            upstream_request = passthrough_request(
                call.request, call.endpoint, call.parsed, call.requested_model, target, key
            )
        response: UpstreamResponse | None = None
        error: UpstreamError | None = None
        if call.trace is not None:
            call.trace.sending()
        sent_at = time.perf_counter()
        try:
            response = await self._upstream.send(upstream_request)
        except UpstreamError as exc:
            error = exc
        status = response.status if response is not None else None
        model_sent = target.upstream_model or call.requested_model
        self._health.note(
            target.provider.name,
            model_sent,
            ok=status is not None and status < 500 and status != 429,
            ttfb_ms=(time.perf_counter() - sent_at) * 1000,
        )
        if call.trace is not None:
            outcome = error.message if error is not None else f"answered {status}"
            call.trace.attempted(target.provider.name, model_sent, key.label, outcome)
        retry_after = (
            retry_after_seconds(response.headers, time.time())
            if response is not None and response.status >= 400
            else None  # only a refusal says when to come back
        )
        return _Attempt(response, error, exchange, degradations, retry_after)

    async def _answer(
        self,
        call: _Call,
        plan: RoutePlan,
        target: Target,
        key: ResolvedKey,
        sent: _Attempt,
        why: str,
    ) -> OutgoingResponse:
        """Relay what the provider answered (or, with no answer at all, the error)."""
        provider = target.provider
        response, exchange = sent.response, sent.exchange
        if response is None:
            assert sent.error is not None
            call.failures.append(self._failure(target, key, why))
            return error_response(call.protocol, sent.error.http_status, _failed(call.failures))
        self._note_outcome(target, call.requested_model, key, sent.status, sent.retry_after)
        self._log(call.request, call.requested_model, target, response.status, call.started)
        self._log_plan(plan, sent.degradations)
        if call.trace is not None:
            call.trace.degraded(sent.degradations)
            model_sent = target.upstream_model or call.requested_model
            response = call.trace.answering(
                provider.name, provider.protocol, model_sent, key.label, response
            )
            if exchange is not None:
                exchange = replace(exchange, on_failure=call.trace.failed)
        if exchange is not None:
            from cligate.server.translated import answer as answer_translated

            return await answer_translated(response, exchange)
        return await answer_passed_through(response, call.protocol, provider)

    def _with_auto(
        self,
        plan: RoutePlan,
        request: IncomingRequest,
        protocol: WireProtocol,
        requested_model: str | None,
        parsed: JsonBody | None,
    ) -> RoutePlan:
        """``auto`` asked for (as the model, or by the binding's model or tier): the ranked
        configured models take the place of the primary target; fallbacks stay after them."""
        if not (requested_model or "").startswith(AUTO) and not any(
            (t.upstream_model or "").startswith(AUTO) for t in plan.targets
        ):
            return plan  # the common case, checked without loading the auto modules
        from cligate.routing.auto import Needs, tier_from_model_name
        from cligate.routing.auto_plan import (
            AutoRouter,
            apply_auto,
            learn_from_records,
            uses_auto,
        )

        if not uses_auto(plan, requested_model):
            return plan  # a model whose name merely starts with "auto"
        body = parsed.value if parsed is not None else {}
        needs = Needs(
            tools=bool(body.get("tools")),
            images=has_images(request.body),
            thinking=wants_thinking(protocol, body),
            input_tokens=estimated_input_tokens(request.body),
            tier=tier_from_model_name(requested_model),
        )
        if self._auto is None:
            if self._context.trace is not None:  # how each model did lately, earlier runs too
                trace = self._context.trace
                learn_from_records(self._health, trace.log.path, skip_run=trace.run)
            self._auto = AutoRouter(
                self._context.settings, self._context.keys, self._health, self._resting
            )
        return apply_auto(plan, requested_model, self._auto, needs)

    def _resting(self, provider: str, model: str) -> bool:
        if provider not in self._context.keys:
            return True
        wait = self._pool.ready_in(provider, model)
        return wait is None or wait > 0

    def _all_resting(self, plan: RoutePlan, requested_model: str | None) -> float | None:
        """Seconds until the first key of any target is usable again, when every target has
        keys and all of them rest after 429s; None otherwise (refused or missing keys)."""
        waits = []
        for target in plan.targets:
            name = target.provider.name
            if not self._context.keys.get(name):
                return None
            wait = self._pool.ready_in(name, target.upstream_model or requested_model)
            if wait is None:
                return None
            waits.append(wait)
        return min(waits, default=None)

    def _note_outcome(
        self,
        target: Target,
        requested_model: str | None,
        key: ResolvedKey,
        status: int | None,
        retry_after: float | None,
    ) -> None:
        """Tell the key pool how a key fared: a 429 rests that key (only it), a 401/403 ends
        it for the run, a success clears its record."""
        name, model = target.provider.name, target.upstream_model or requested_model
        if status == 429:
            per_model = limits_each_model(target.provider)
            self._pool.rate_limited(name, key, model, retry_after, per_model=per_model)
        elif status in (401, 403):
            self._pool.unauthorized(name, key, status)
        elif status is not None and status < 400:
            self._pool.succeeded(name, key, model)

    @staticmethod
    def _failure(target: Target, key: ResolvedKey, why: str) -> str:
        provider = target.provider
        return f"provider '{provider.name}' ({provider.base_url}, key {key.label}) {why}"

    def _log(
        self,
        request: IncomingRequest,
        model: str | None,
        target: Target,
        status: int,
        started: float,
    ) -> None:
        if logger.isEnabledFor(logging.INFO):  # the join below is not free
            logger.info(
                "%s %s model=%s -> %s:%s status=%d headers_after=%.1fms",
                request.method,
                request.path,
                model,
                target.provider.name,
                target.upstream_model,
                status,
                (time.perf_counter() - started) * 1000,
            )

    @staticmethod
    def _log_plan(plan: RoutePlan, degradations: tuple[str, ...]) -> None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "  route: %s%s",
                "; ".join(plan.reasons),
                f"; degraded: {'; '.join(degradations)}" if degradations else "",
            )

    def _log_degradations(self, translated: TranslatedCall) -> None:
        """A lossy degradation is always logged, once per profile and rule for the run (it
        would repeat on every turn); the rest only with --verbose."""
        for item in translated.recorded:
            first_time = (translated.profile, item.rule) not in self._warned
            level = logging.WARNING if item.rule.lossy and first_time else logging.INFO
            if logger.isEnabledFor(level):
                self._warned.add((translated.profile, item.rule))
                logger.log(level, "degraded for %s: %s", translated.profile, item)

    def _local_answer(self, request: IncomingRequest, endpoint: Endpoint) -> OutgoingResponse:
        """The bound provider speaks another protocol: answer what needs no model ourselves."""
        from cligate.server.local_answers import model_list, offered_models

        protocol = endpoint.protocol
        if endpoint.operation is Operation.LIST_MODELS:
            models = offered_models(self._context.settings, self._context.binding)
            return model_list(protocol, models)
        if request.path == "/" and request.method in ("HEAD", "GET"):
            return OutgoingResponse(200, [])  # a client's preconnect
        return error_response(
            protocol,
            404,
            f"cligate: {request.method} {request.path} has no equivalent at a provider that "
            "speaks another protocol",
        )

    def _facts(
        self,
        request: IncomingRequest,
        protocol: WireProtocol,
        model: str | None,
        parsed: JsonBody | None,
    ) -> RequestFacts:
        binding = self._context.binding
        if binding.scenarios is None:
            return RequestFacts(model)  # nothing else is looked at: nothing else is computed
        background = dict(binding.tiers).get(BACKGROUND_TIER)
        return RequestFacts(
            model=model,
            estimated_input_tokens=estimated_input_tokens(request.body),
            thinking=parsed is not None and wants_thinking(protocol, parsed.value),
            images=has_images(request.body),
            background=_is_background(model, background, self._context.background_hint),
        )


def _wrong_method(method: str, operation: Operation) -> str | None:
    """The method an endpoint takes when the request used another, else None."""
    if operation in (Operation.GENERATE, Operation.COUNT_TOKENS) and method != "POST":
        return "POST"
    if operation is Operation.LIST_MODELS and method not in ("GET", "HEAD"):
        return "GET"
    return None


def _is_background(model: str | None, background_model: str | None, hint: str | None) -> bool:
    if not model:
        return False
    return model == background_model or bool(hint and hint in model.lower())


def _failed(failures: list[str]) -> str:
    if len(failures) == 1:
        return f"cligate: {failures[0]}"
    return f"cligate: all {len(failures)} keys and targets failed: " + "; ".join(failures)


def limits_each_model(provider: ProviderSettings) -> bool:
    """Whether a 429 from ``provider`` concerns the model asked for only: the user's word,
    else the preset's (read only when a 429 arrives), else no."""
    if provider.per_model_rate_limits is not None:
        return provider.per_model_rate_limits
    if provider.preset is None:
        return False
    from cligate.config.presets import get_preset

    try:
        return get_preset(provider.preset).per_model_rate_limits
    except ConfigError:
        return False


def _asks_to_stream(endpoint: Endpoint, parsed: JsonBody | None) -> bool:
    if endpoint.path_model is not None:
        return endpoint.path_streams
    return parsed is not None and parsed.value.get("stream") is True
