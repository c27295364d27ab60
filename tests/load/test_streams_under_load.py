"""Many parallel streams through the real proxy: nothing lost, duplicated, reordered or mixed up.

64 Anthropic clients (plain httpx, async) each stream 1000 numbered chunks through cligate at
once, (a) passed through to an Anthropic provider and (b) translated to a Chat Completions
provider; both as a burst (the fake writes each whole stream at once, so the proxy reads many
events per read, split anywhere) and paced (a short pause after every event, so the proxy makes
thousands of small reads that interleave across the 64 connections). Each client asks for its
own model name and gets its own chunks (``CountedChunks(by_model=True)``), so cross-talk between
streams shows too.

Bounded and loopback only: the fake upstream and the proxy run in threads of this process.
Measured on a 2-core machine: about 1.3 s (pass-through) and 2.2 s (translated) per burst case,
4 to 8 s per paced case; the whole file in about 20 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import psutil
import pytest

from cligate.protocols.kinds import WireProtocol
from tests.fake_upstream import CountedChunks, FakeUpstream, counted_problems
from tests.proxy.conftest import SECRET, UPSTREAM_KEY, start_proxy

pytestmark = pytest.mark.timeout(60)

STREAMS = 64
CHUNKS = 1000
PACE = 0.0005  # seconds the paced upstream waits after each event
CASE_DEADLINE = 40.0  # for all the streams of one case together
CLIENT_TIMEOUT = httpx.Timeout(20.0)  # connect / read / write / pool, each
DRAIN_DEADLINE = 5.0  # for the proxy to let go of the client connections afterwards
HEADERS = {"x-api-key": SECRET, "anthropic-version": "2023-06-01"}


@dataclass
class StreamResult:
    model: str
    status: int = 0
    deltas: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.deltas)


def parse_events(buffer: bytearray, result: StreamResult) -> None:
    """Take the complete SSE events off the front of ``buffer`` into ``result``."""
    while (end := buffer.find(b"\n\n")) >= 0:
        block = bytes(buffer[:end])
        del buffer[: end + 2]
        data = b"\n".join(
            line[len(b"data: ") :] for line in block.split(b"\n") if line.startswith(b"data: ")
        )
        if not data:
            continue
        event = json.loads(data)
        kind = event.get("type", "?")
        result.event_types.append(kind)
        if kind == "content_block_delta" and event["delta"].get("type") == "text_delta":
            result.deltas.append(event["delta"]["text"])
        elif kind == "error":
            result.problem = f"error event: {event}"


async def one_stream(client: httpx.AsyncClient, url: str, model: str) -> StreamResult:
    result = StreamResult(model)
    body = {
        "model": model,
        "max_tokens": 4096,
        "stream": True,
        "messages": [{"role": "user", "content": "count for me"}],
    }
    buffer = bytearray()
    try:
        async with client.stream("POST", url + "/v1/messages", json=body, headers=HEADERS) as got:
            result.status = got.status_code
            async for chunk in got.aiter_raw():
                buffer += chunk
                parse_events(buffer, result)
    except (httpx.HTTPError, ValueError) as exc:
        result.problem = f"{type(exc).__name__}: {exc}"
    if buffer.strip() and result.problem is None:
        result.problem = f"the stream ended inside an event: {bytes(buffer[:200])!r}"
    return result


async def run_clients(url: str) -> tuple[list[StreamResult], float]:
    limits = httpx.Limits(max_connections=STREAMS, max_keepalive_connections=STREAMS)
    models = [f"load-{i:03d}" for i in range(STREAMS)]
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, limits=limits) as client:
        started = time.perf_counter()
        results = await asyncio.wait_for(
            asyncio.gather(*(one_stream(client, url, model) for model in models)),
            CASE_DEADLINE,
        )
        return results, time.perf_counter() - started


def open_connections_to(port: int) -> int:
    """Established TCP connections of this process whose local end is ``port``."""
    return sum(
        1
        for conn in psutil.Process().net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_ESTABLISHED
    )


@pytest.fixture
def upstream(request: pytest.FixtureRequest) -> Iterator[FakeUpstream]:
    script = CountedChunks(CHUNKS, by_model=True)
    delay = PACE if request.param == "paced" else 0.0
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script, stream_delay=delay) as fake:
        yield fake


@pytest.mark.parametrize("upstream", ["burst", "paced"], indirect=True)
@pytest.mark.parametrize(
    "provider",
    [WireProtocol.ANTHROPIC, WireProtocol.OPENAI_CHAT],
    ids=["pass-through", "translated"],
)
def test_parallel_streams_arrive_whole_and_in_order(
    upstream: FakeUpstream, provider: WireProtocol, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    proxy, url = start_proxy(upstream, WireProtocol.ANTHROPIC, provider_protocol=provider)
    port = int(url.rsplit(":", 1)[1])
    try:
        results, seconds = asyncio.run(run_clients(url))
        # Every client has closed its connections: the proxy must let go of them too.
        deadline = time.monotonic() + DRAIN_DEADLINE
        while open_connections_to(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        lingering = open_connections_to(port)
    finally:
        proxy.stop()
    print(f"\n{provider.value}: {STREAMS} streams x {CHUNKS} chunks in {seconds:.2f} s")

    failures = []
    script = upstream.script
    assert isinstance(script, CountedChunks)
    for result in results:
        problem = result.problem
        if problem is None and result.status != 200:
            problem = f"status {result.status}"
        if problem is None:
            problem = counted_problems(result.text, CHUNKS, script.prefix_for(result.model))
        if problem is None and result.event_types[-1:] != ["message_stop"]:
            problem = f"the stream ended with {result.event_types[-3:]}, not message_stop"
        if problem is None and provider is WireProtocol.ANTHROPIC and len(result.deltas) != CHUNKS:
            problem = f"{len(result.deltas)} text deltas passed through, not {CHUNKS}"
        if problem is not None:
            failures.append(f"{result.model}: {problem}")
    assert not failures, f"{len(failures)} of {STREAMS} streams failed:\n" + "\n".join(
        failures[:10]
    )
    recorded = upstream.requests
    assert len(recorded) == STREAMS  # one upstream request per client: no retries, no extras
    assert sorted(r.turn.model for r in recorded if r.turn) == sorted(r.model for r in results)
    assert {r.outcome for r in recorded} == {"text"}
    assert lingering == 0, f"{lingering} client connections still open in the proxy"
    complaints = [r.getMessage() for r in caplog.records if r.name.startswith("cligate")]
    assert not complaints, complaints[:5]
