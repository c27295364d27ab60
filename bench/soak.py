"""Soak cligate's proxy: a steady load for a while, watching its memory and file descriptors.

    python bench/soak.py [--seconds 600] [--concurrency 16] [--chunks 200] [--sample-every 5]
                         [--abandon-every 20] [--rss-bound-mb 5] [--client h11|httpx]

The proxy runs as its own process (pinned to core 0), the fake upstream as another (a
``CountedChunks`` script) and the clients in this one (both pinned to core 1), as in
bench/run.py. One proxy serves both paths: claude's binding is an Anthropic provider (requests
pass through) with a "haiku" tier on a Chat Completions provider (requests are translated).
``--concurrency`` workers (httpx, async) send requests back to back in a fixed rotation of
streamed/whole by pass-through/translated; every answer is checked (all numbered chunks, in
order, none twice), and every ``--abandon-every``-th stream is dropped by its client after the
first event, so the proxy also has to clean up after clients that go away.

Every ``--sample-every`` seconds the proxy's RSS, open file descriptors and TCP connections
(from clients / to the upstream) are sampled with psutil and printed as a table row. At the end:
first/last/max, and a verdict. "flat" means: RSS grew less than ``--rss-bound-mb`` from the end
of the warm-up (the first fifth of the run, at most 60 s) to the end, and once the clients have
closed their connections the proxy's descriptors are back at their baseline (taken before the
first request) apart from the idle upstream connections its pool keeps for reuse (at most one
per worker). Exit status 0 only for a flat run without errors.

``SOAK_TRACEMALLOC=FILE`` makes the proxy trace its allocations and write to FILE, when it
stops, where the memory allocated after the first 20 s and still held was allocated (slow: for
finding a leak, not for the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.run import host_port, pin, start_process  # noqa: E402
from tests.fake_upstream import counted_problems  # noqa: E402

UPSTREAM_KEY = "soak-upstream-key"
SECRET = "soak-secret-0123456789abcdefghijklmnopqrstuvwxyz"
TRANSLATED_MODEL = "soak-chat-model"  # the Chat model the "haiku" tier names
HEADERS = {"x-api-key": SECRET, "anthropic-version": "2023-06-01"}
KINDS = (
    ("stream", "pass-through"),
    ("whole", "pass-through"),
    ("stream", "translated"),
    ("whole", "translated"),
)
REQUEST_TIMEOUT = 30.0
SETTLE_SECONDS = 10.0  # for the proxy to let go of client connections after the load


# ---------------------------------------------------------------------------- the proxy process


async def serve(upstream_url: str, client: str) -> None:
    """The proxy for claude: pass-through to an Anthropic provider, "haiku" models translated
    to a Chat provider; both are the fake upstream. Prints its URL, serves until SIGTERM."""
    from cligate.config.settings import (
        AuthStyle,
        ProviderSettings,
        ResolvedKey,
        Settings,
        ToolBinding,
    )
    from cligate.protocols.kinds import WireProtocol
    from cligate.server.handler import GatewayHandler, RunContext
    from cligate.server.proxy import ProxyServer
    from cligate.upstream.selector import UpstreamSelector

    providers = {
        "anth": ProviderSettings(
            "anth", WireProtocol.ANTHROPIC, upstream_url, None, AuthStyle.X_API_KEY
        ),
        "chat": ProviderSettings(
            "chat", WireProtocol.OPENAI_CHAT, upstream_url + "/v1", None, AuthStyle.BEARER
        ),
    }
    key = (ResolvedKey(UPSTREAM_KEY, None, "soak"),)
    context = RunContext(
        tool="claude",
        tool_protocol=WireProtocol.ANTHROPIC,
        settings=Settings(providers=providers),
        binding=ToolBinding(provider="anth", tiers=(("haiku", f"chat:{TRANSLATED_MODEL}"),)),
        keys={"anth": key, "chat": key},
    )
    upstream = UpstreamSelector(proxies={}, force=client)
    handler = GatewayHandler(context, upstream)
    proxy = ProxyServer(handler, handler.error_for_path, SECRET)
    await proxy.start()
    print(proxy.url, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    leak_report = os.environ.get("SOAK_TRACEMALLOC")
    if leak_report:
        import tracemalloc

        tracemalloc.start(12)
        first: list[tracemalloc.Snapshot] = []
        asyncio.get_running_loop().call_later(20, lambda: first.append(tracemalloc.take_snapshot()))
    await stop.wait()
    if leak_report and first:
        stats = tracemalloc.take_snapshot().compare_to(first[0], "traceback")
        with open(leak_report, "w") as out:
            for stat in stats[:12]:
                out.write(f"{stat.size_diff / 1024:.0f} KiB in {stat.count_diff} blocks\n")
                out.write("\n".join(stat.traceback.format()) + "\n\n")
    await proxy.close()
    await upstream.aclose()


# ---------------------------------------------------------------------------- the load


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    abandoned: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.done.values()) + self.abandoned + len(self.errors)


def text_of(kind: str, body: bytes) -> str:
    """The answer's text: joined text deltas of a stream, or the text block of a whole one."""
    if kind == "whole":
        message = json.loads(body)
        return "".join(b["text"] for b in message["content"] if b["type"] == "text")
    pieces = []
    last = ""
    for block in body.split(b"\n\n"):
        for line in block.split(b"\n"):
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[6:])
            last = event["type"]
            if last == "error":
                raise ValueError(f"error event: {event['error']}")
            if last == "content_block_delta" and event["delta"]["type"] == "text_delta":
                pieces.append(event["delta"]["text"])
    if last != "message_stop":
        raise ValueError(f"the stream ended with {last!r}, not message_stop")
    return "".join(pieces)


async def one_request(
    client: httpx.AsyncClient,
    url: str,
    kind: tuple[str, str],
    model: str,
    chunks: int,
    abandon: bool,
) -> str | None:
    """One request; None when its answer was right (or it was abandoned on purpose)."""
    shape, path = kind
    body = {
        "model": model,
        "max_tokens": 4096,
        "stream": shape == "stream",
        "messages": [{"role": "user", "content": "count for me"}],
    }
    async with client.stream("POST", url + "/v1/messages", json=body, headers=HEADERS) as got:
        if abandon:
            async for _ in got.aiter_raw():
                break  # drop the connection mid-stream
            return None
        data = await got.aread()
    if got.status_code != 200:
        return f"status {got.status_code}: {data[:300]!r}"
    prefix = f"{TRANSLATED_MODEL if path == 'translated' else model}:c"
    return counted_problems(text_of(shape, data), chunks, prefix)


async def worker(
    index: int,
    client: httpx.AsyncClient,
    url: str,
    args: argparse.Namespace,
    deadline: float,
    tally: Tally,
    streams: itertools.count[int],
) -> None:
    for number in itertools.count():
        if time.monotonic() >= deadline:
            return
        kind = KINDS[(index + number) % len(KINDS)]
        tier = "haiku" if kind[1] == "translated" else "sonnet"
        model = f"claude-{tier}-w{index:02d}-r{number}"
        abandon = False
        if kind[0] == "stream" and args.abandon_every:
            abandon = next(streams) % args.abandon_every == args.abandon_every - 1
        started = time.perf_counter()
        try:
            problem = await asyncio.wait_for(
                one_request(client, url, kind, model, args.chunks, abandon), REQUEST_TIMEOUT
            )
        except Exception as exc:  # a transport error, a timeout, an unreadable answer
            problem = f"{type(exc).__name__}: {exc}"
        name = f"{kind[0]}/{kind[1]}"
        if problem is not None:
            tally.errors.append(f"{name} {model}: {problem}")
        elif abandon:
            tally.abandoned += 1
        else:
            tally.done[name] += 1
            tally.latencies.setdefault(name, []).append((time.perf_counter() - started) * 1000)


# ---------------------------------------------------------------------------- sampling


@dataclass(frozen=True)
class Sample:
    at: float
    rss_mb: float
    fds: int
    from_clients: int
    to_upstream: int
    requests: int
    errors: int


def sample(
    process: psutil.Process, proxy_port: int, upstream_port: int, at: float, tally: Tally
) -> Sample:
    with process.oneshot():
        rss = process.memory_info().rss / 2**20
        fds = process.num_fds()
        connections = process.net_connections(kind="tcp")
    established = [c for c in connections if c.status == psutil.CONN_ESTABLISHED]
    clients = sum(1 for c in established if c.laddr and c.laddr.port == proxy_port)
    upstream = sum(1 for c in connections if c.raddr and c.raddr.port == upstream_port)
    return Sample(at, rss, fds, clients, upstream, tally.total, len(tally.errors))


def row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def sample_row(item: Sample, previous: Sample | None) -> str:
    rate = ""
    if previous is not None and item.at > previous.at:
        rate = f"{(item.requests - previous.requests) / (item.at - previous.at):.0f}"
    return row(
        [
            f"{item.at:6.1f}",
            f"{item.rss_mb:7.2f}",
            f"{item.fds:4d}",
            f"{item.from_clients:3d}",
            f"{item.to_upstream:3d}",
            f"{item.requests:7d}",
            f"{rate:>5}",
            f"{item.errors:3d}",
        ]
    )


async def soak(args: argparse.Namespace, proxy_pid: int, proxy_url: str, upstream_url: str) -> int:
    process = psutil.Process(proxy_pid)
    proxy_port, upstream_port = host_port(proxy_url)[1], host_port(upstream_url)[1]
    tally = Tally()
    began = time.monotonic()

    def take() -> Sample:
        return sample(process, proxy_port, upstream_port, time.monotonic() - began, tally)

    baseline = take()
    print(
        f"cligate soak: {args.seconds:g} s, {args.concurrency} workers, {args.chunks} chunks per "
        f"answer, streams abandoned: every {args.abandon_every or 'none'}; {args.client} "
        f"upstream client\n"
    )
    header = [
        "t (s)",
        "RSS MB",
        "FDs",
        "from clients",
        "to upstream",
        "requests",
        "req/s",
        "errors",
    ]
    print(row(header))
    print("|" + "---|" * len(header))
    samples = [baseline]
    print(sample_row(baseline, None), flush=True)
    deadline = began + args.seconds
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        streams = itertools.count()
        workers = [
            asyncio.create_task(worker(i, client, proxy_url, args, deadline, tally, streams))
            for i in range(args.concurrency)
        ]
        while not all(w.done() for w in workers):
            await asyncio.wait(workers, timeout=args.sample_every)
            samples.append(take())
            print(sample_row(samples[-1], samples[-2]), flush=True)
        for w in workers:
            w.result()  # a bug in this script, not the proxy's: let it show
    # The clients are closed: the proxy must let go of their connections and descriptors.
    settle_deadline = time.monotonic() + SETTLE_SECONDS
    settled = take()
    while time.monotonic() < settle_deadline:
        settled = take()
        if settled.from_clients == 0 and settled.fds - settled.to_upstream <= baseline.fds:
            break
        await asyncio.sleep(0.2)
    print(sample_row(settled, None) + " ← clients closed")
    return report(args, baseline, samples, settled, tally)


def report(
    args: argparse.Namespace, baseline: Sample, samples: list[Sample], settled: Sample, tally: Tally
) -> int:
    loaded = samples[1:] or samples
    warmup = min(60.0, args.seconds / 5)
    warm = next((s for s in loaded if s.at >= warmup), loaded[-1])
    last = loaded[-1]
    growth = last.rss_mb - warm.rss_mb
    after = [s for s in loaded if s.at >= warm.at]
    slope = 0.0
    if len(after) >= 3 and after[-1].at > after[0].at:
        slope = statistics.linear_regression([s.at for s in after], [s.rss_mb for s in after])[0]
    print(
        f"\nRSS (MB): first {baseline.rss_mb:.2f}, after warm-up ({warm.at:.0f} s) "
        f"{warm.rss_mb:.2f}, last {last.rss_mb:.2f}, max {max(s.rss_mb for s in samples):.2f}; "
        f"growth after warm-up {growth:+.2f} MB (bound {args.rss_bound_mb:g} MB), "
        f"trend {slope * 60:+.3f} MB/min"
    )
    leftover = settled.fds - settled.to_upstream - baseline.fds
    print(
        f"FDs: first {baseline.fds}, last under load {last.fds}, max "
        f"{max(s.fds for s in samples)}; after the clients closed {settled.fds} "
        f"({settled.to_upstream} idle pooled upstream connections, {settled.from_clients} "
        f"client connections left; {leftover:+d} beyond the baseline)"
    )
    seconds = max(last.at, 1e-9)
    done = sum(tally.done.values())
    print(
        f"Requests: {tally.total} in {seconds:.1f} s ({tally.total / seconds:.0f}/s): {done} "
        f"answered and checked, {tally.abandoned} streams abandoned by their client, "
        f"{len(tally.errors)} errors"
    )
    for name, values in sorted(tally.latencies.items()):
        print(
            f"  {name}: {len(values)} requests, p50 {statistics.median(values):.1f} ms, "
            f"max {max(values):.1f} ms"
        )
    for error in tally.errors[:10]:
        print(f"  error: {error}")
    reasons = []
    if growth >= args.rss_bound_mb:
        reasons.append(f"RSS grew {growth:.2f} MB after warm-up")
    if settled.from_clients:
        reasons.append(f"{settled.from_clients} client connections still open")
    if leftover > 0:
        reasons.append(f"{leftover} descriptors beyond the baseline")
    if settled.to_upstream > args.concurrency:
        reasons.append(
            f"{settled.to_upstream} upstream connections kept (workers: {args.concurrency})"
        )
    verdict = "flat" if not reasons else "NOT flat: " + "; ".join(reasons)
    print(f"Verdict: {verdict}" + (f"; {len(tally.errors)} errors" if tally.errors else ""))
    return 0 if not reasons and not tally.errors else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long (default 600)")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel workers")
    parser.add_argument("--chunks", type=int, default=200, help="numbered chunks per answer")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument(
        "--abandon-every",
        type=int,
        default=20,
        help="drop every Nth stream after its first event (0: never)",
    )
    parser.add_argument("--rss-bound-mb", type=float, default=5.0)
    parser.add_argument("--client", choices=["h11", "httpx"], default="h11")
    parser.add_argument("--serve", metavar="UPSTREAM_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:  # the proxy process itself
        asyncio.run(serve(args.serve, args.client))
        return 0
    if min(args.seconds, args.concurrency, args.chunks, args.sample_every) <= 0:
        parser.error("--seconds, --concurrency, --chunks and --sample-every must be positive")

    pin(os.getpid(), 1)
    upstream, upstream_url = start_process(
        [
            sys.executable,
            "-m",
            "tests.fake_upstream",
            "--api-key",
            UPSTREAM_KEY,
            "--script",
            f"counted-by-model:{args.chunks}",
        ],
        core=1,
    )
    proxy: subprocess.Popen[str] | None = None
    with tempfile.TemporaryFile("w+") as proxy_log:
        try:
            proxy = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve",
                    upstream_url,
                    "--client",
                    args.client,
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=proxy_log,
                text=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            pin(proxy.pid, 0)
            assert proxy.stdout is not None
            proxy_url = proxy.stdout.readline().strip()
            if not proxy_url.startswith("http://"):
                raise RuntimeError("the proxy did not print its URL")
            status = asyncio.run(soak(args, proxy.pid, proxy_url, upstream_url))
        finally:
            for process in (proxy, upstream):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
        proxy_log.seek(0)
        lines = proxy_log.read().splitlines()
    print(f"Proxy log: {len(lines)} lines" + (":" if lines else ""))
    for line in lines[:10]:
        print(f"  {line}")
    return status


if __name__ == "__main__":
    sys.exit(main())
