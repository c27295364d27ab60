"""What happened to one request, gathered while the proxy serves it, ending in its record.

The handler notes the route, each attempt and the answer it relays; the trace watches the
provider's answer body as it passes (first byte, usage, a break, the end) and, when the
client's answer is complete, writes the record. Times are cligate's own view: the provider's
waits (headers, body pieces, backoff between retries) are summed apart so the overhead of
cligate itself can be told.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from cligate.observe.records import Attempt, RecordLog, RequestRecord
from cligate.observe.usage import StreamUsage, TokenCounts, counts_from_body
from cligate.protocols.kinds import WireProtocol
from cligate.server.forwarding import is_event_stream
from cligate.upstream.types import UpstreamResponse

OVERHEAD_HEADER = b"x-cligate-overhead-ms"
_BODY_CAPTURE_LIMIT = 256 * 1024

# (provider name, model) → price lookup, given by the run (None: no prices).
CostEstimator = Callable[[str, str | None, TokenCounts], float | None]


@dataclass(frozen=True, slots=True)
class TraceSettings:
    """What every trace of a run shares."""

    log: RecordLog
    run: str
    tool: str
    client_protocol: WireProtocol
    estimate_cost: CostEstimator | None = None
    capture_bodies: bool = False
    secrets: tuple[str, ...] = ()  # redacted from captured bodies


class RequestTrace:
    """Cheap while the request is served (attribute stores and two clock reads); the record
    is built and serialised when the log writes its batch, off the request path."""

    def __init__(self, settings: TraceSettings, method: str, path: str) -> None:
        self._settings = settings
        self._wall = time.time()
        self._started = time.perf_counter()
        self._ended = 0.0
        self._waited = 0.0  # seconds spent waiting on providers (and backoff)
        self._attempt_started = 0.0
        self._observed: ObservedResponse | None = None
        self._finished = False
        self._failure: str | None = None
        self._error_body: bytes | None = None
        self.record = RequestRecord(
            time="",
            run=settings.run,
            tool=settings.tool,
            client_protocol=settings.client_protocol.value,
            method=method,
            path=path,
        )

    # --- what the handler tells ------------------------------------------------------------

    def requested(self, model: str | None, stream: bool) -> None:
        self.record.requested_model = model
        self.record.stream = stream

    def routed(self, reasons: tuple[str, ...]) -> None:
        self.record.route = list(reasons)

    def degraded(self, degradations: tuple[str, ...]) -> None:
        self.record.degradations = list(degradations)

    def sending(self) -> None:
        self._attempt_started = time.perf_counter()

    def attempted(self, provider: str, model: str | None, key: str, outcome: str) -> None:
        """One attempt ended (headers or a failure arrived): its wait was the provider's."""
        now = time.perf_counter()
        spent = now - self._attempt_started
        self._waited += spent
        self.record.attempts.append(Attempt(provider, model, key, outcome, round(spent * 1000, 2)))

    def waited(self, seconds: float) -> None:
        """Backoff before a retry: not cligate's work either."""
        self._waited += seconds

    def answering(
        self,
        provider: str,
        provider_protocol: WireProtocol,
        model: str | None,
        key: str,
        response: UpstreamResponse,
    ) -> UpstreamResponse:
        """The answer that goes to the client comes from this response: watch its body."""
        record = self.record
        record.provider, record.upstream_model, record.key = provider, model, key
        self._observed = ObservedResponse(response, self, provider_protocol)
        return self._observed

    def failed(self, message: str) -> None:
        """The client's answer ended in an error that its status does not show (an error
        event in a stream, after a 200)."""
        if self._failure is None:
            self._failure = message

    def capture_request(self, body: bytes) -> None:
        if self._settings.capture_bodies:
            self._capture("request", body)

    # --- the end ---------------------------------------------------------------------------

    def attach(self, status: int, headers: list[tuple[bytes, bytes]], body: object) -> None:
        """The handler's answer is ready: say cligate's overhead in a header. The record is
        written once the answer has gone out (see ``closing``)."""
        overhead = max(time.perf_counter() - self._started - self._waited, 0.0) * 1000
        self.record.overhead_ms = round(overhead, 3)
        self.record.status = status
        headers.append((OVERHEAD_HEADER, f"{overhead:.2f}".encode()))
        if isinstance(body, bytes):
            if status >= 400:
                self._error_body = body
            elif self._settings.capture_bodies:
                self._capture("response", body)

    def closing(self, close: Callable[[], Awaitable[None]] | None) -> Callable[[], Awaitable[None]]:
        """The answer's clean-up, extended to queue the record once the answer is out."""

        async def close_and_record() -> None:
            try:
                if close is not None:
                    await close()
            finally:
                self.finish()

        return close_and_record

    def finish(self) -> None:
        """The answer is complete (or abandoned): note the time and queue the record."""
        if self._finished:
            return
        self._finished = True
        self._ended = time.perf_counter()
        self._settings.log.add(self)

    def to_json(self) -> bytes:
        """The finished record, built when the log writes it."""
        record = self.record
        record.time = datetime.fromtimestamp(self._wall, UTC).isoformat(timespec="milliseconds")
        record.latency_ms = round((self._ended - self._started) * 1000, 2)
        if self._error_body is not None and self._failure is None:
            self._failure = error_message(self._error_body)
        observed = self._observed
        if observed is not None:
            if observed.first_byte_at is not None:
                record.ttfb_ms = round((observed.first_byte_at - self._started) * 1000, 2)
            record.tokens = observed.counts()
            if observed.broken is not None:
                self.failed(observed.broken)
            elif not observed.complete and record.status < 400 and self._failure is None:
                record.outcome = "client-gone"
        if record.status >= 400:
            record.outcome = "error"
        elif self._failure is not None:
            record.outcome = "broken"
        record.error = self._failure
        estimate = self._settings.estimate_cost
        if estimate is not None and record.tokens is not None and record.provider is not None:
            model = record.upstream_model or record.requested_model
            record.cost_usd = estimate(record.provider, model, record.tokens)
        return record.to_json()

    def _capture(self, which: str, body: bytes) -> None:
        text = body[:_BODY_CAPTURE_LIMIT].decode("utf-8", "replace")
        for secret in self._settings.secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        if self.record.bodies is None:
            self.record.bodies = {}
        self.record.bodies[which] = text


class ObservedResponse:
    """A provider's response whose body is watched on its way through: first byte, time
    spent waiting for it, usage, and how it ended."""

    def __init__(
        self, response: UpstreamResponse, trace: RequestTrace, protocol: WireProtocol
    ) -> None:
        self.status = response.status
        self.headers = response.headers
        self._response = response
        self._trace = trace
        self._protocol = protocol
        self._stream: StreamUsage | None = None
        self._whole: list[bytes] | None = None
        if is_event_stream(response.headers):
            self._stream = StreamUsage(protocol)
        else:
            self._whole = []
        self.first_byte_at: float | None = None
        self.complete = False
        self.broken: str | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        trace, stream, whole = self._trace, self._stream, self._whole
        pieces = aiter(self._response.chunks())
        while True:
            asked = time.perf_counter()
            try:
                chunk = await anext(pieces)
            except StopAsyncIteration:
                self.complete = True
                return
            except Exception as exc:
                self.broken = str(getattr(exc, "message", exc))
                raise
            finally:
                arrived = time.perf_counter()
                trace.waited(arrived - asked)
            if self.first_byte_at is None:
                self.first_byte_at = arrived
            if stream is not None:
                stream.feed(chunk)
            elif whole is not None and len(whole) < 64:  # whole answers are small
                whole.append(chunk)
            yield chunk

    def counts(self) -> TokenCounts | None:
        if self._stream is not None:
            return self._stream.counts()
        if self._whole and self.complete and self.status < 400:
            return counts_from_body(self._protocol, b"".join(self._whole))
        return None

    async def aclose(self) -> None:
        await self._response.aclose()


def error_message(body: bytes) -> str:
    """The message of an error body of any of the four protocols (cligate's or a provider's)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:300].decode("utf-8", "replace")
    if isinstance(value, list) and value:  # Gemini sometimes wraps its error in a list
        value = value[0]
    if isinstance(value, dict):
        error = value.get("error", value)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return body[:300].decode("utf-8", "replace")
