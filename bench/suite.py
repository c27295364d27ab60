"""cligate's performance in one command: every row of issue 9 against DIRECT, in one run.

    python bench/suite.py [--quick] [--same-core] [--profile]

DIRECT is the same upstream (bench/fast_upstream.py) reached without cligate, by the same
client, in the same run: each row alternates rounds of DIRECT and cligate (which goes first
alternates too) and reports medians, the difference and the ratio, and the issue's target.
cligate is its real launcher, ``cligate run claude`` with a stub tool (bench/gateway.py),
pinned to core 0; the upstream and the load client share core 1. ``--quick`` runs every row
with small counts (under a minute, a smoke test); ``--same-core`` pins cligate to the load
core too; ``--profile`` runs the long-lived cligate under cProfile (its figures are then
inflated) and prints its hot spots. docs/performance.md holds the latest table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path as FsPath

import psutil

REPO = FsPath(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import suite_measure as measure  # noqa: E402
from bench.cold_start import cold_starts  # noqa: E402
from bench.gateway import (  # noqa: E402
    BRIDGED_MODEL,
    PASS_MODEL,
    UPSTREAM_KEY,
    Gateway,
    launch,
    prepare,
    wait_accepting,
)
from bench.http_client import KeepAliveClient  # noqa: E402
from bench.run import SMALL_BODY, measure_startup, pin, start_process  # noqa: E402
from bench.suite_measure import (  # noqa: E402
    CLIGATE,
    DIRECT,
    CpuTally,
    Path,
    StreamSample,
    peak_rss_mib,
    rss_mib,
)
from bench.suite_report import (  # noqa: E402
    MiB,
    Row,
    added_at_most,
    at_least,
    at_most,
    machine,
    p50,
    p99,
    print_profile,
    table,
)
from bench.translation import (  # noqa: E402
    ANTHROPIC_MARKER,
    CHAT_MARKER,
    chat_equivalent,
    claude_code_request,
)

GATEWAY_CORE, LOAD_CORE = 0, 1
BUSY_MACHINE = 0.10  # of a core used by other processes: beyond it, the run is flagged
BIG_TARGET = 60 * 1024
SHORT, LONG, PACE_MS = 20, 1000, 1.0
ANTHROPIC_HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
SMALL_P50 = "small non-stream c=1: p50 latency"
SMALL_P99 = "small non-stream c=1: p99 latency"
SMALL_C64 = "small non-stream c=64: throughput"
AFTER_IDLE = "small non-stream after 1 s idle: latency"
BIG_P50 = "60 KB Anthropic→Chat c=1: p50 latency"
BIG_P99 = "60 KB Anthropic→Chat c=1: p99 latency"
BIG_C8 = "60 KB Anthropic→Chat c=8: throughput"
COLD_ACCEPTS = "cold start: port accepts"
COLD_ANSWER = "cold start: first answer"
RSS_IDLE = "RSS idle after start"
RSS_PEAK = "RSS peak under load"
CPU_SMALL = "CPU per request: small c=1"
CPU_C64 = "CPU per request: small c=64"
CPU_BIG = "CPU per request: 60 KB bridged c=8"
KINDS = ("pass-through", "bridged")
# Every row the table always has, in order (the claude --version start-up row only when the
# real CLI is installed); the stream rows are named per kind where they are measured.
METRICS = (
    SMALL_P50,
    SMALL_P99,
    SMALL_C64,
    AFTER_IDLE,
    BIG_P50,
    BIG_P99,
    BIG_C8,
    *(f"20-chunk stream, {kind}: time to first byte" for kind in KINDS),
    *(f"1000-chunk stream, {kind}: total" for kind in KINDS),
    *(f"1000-chunk paced stream, {kind}: first delta" for kind in KINDS),
    *(f"8 parallel 1000-chunk streams, {kind}" for kind in KINDS),
    COLD_ACCEPTS,
    COLD_ANSWER,
    RSS_IDLE,
    RSS_PEAK,
    CPU_SMALL,
    CPU_C64,
    CPU_BIG,
    *(f"CPU per request: 1000-chunk stream, {kind}" for kind in KINDS),
    "`cligate run` overhead: /bin/true",
)
CLAUDE_STARTUP = "`cligate run` overhead: claude --version"


@dataclass(frozen=True)
class Counts:
    rounds: int  # interleaved rounds of the one-at-a-time rows
    small: int  # small requests per path per round
    big: int  # 60 KB requests per path per round
    short: int  # 20-chunk streams per path per round
    long: int  # 1000-chunk streams per path per round
    paced: int  # paced 1000-chunk streams per path (one per round)
    load_rounds: int  # interleaved rounds of the concurrent rows
    c64: int  # small requests per path per round, 64 connections
    c8: int  # 60 KB requests per path per round, 8 connections
    parallel: int  # 1000-chunk streams per path per round, 8 connections
    idle: int  # requests after 1 s of idle, per path
    cold: int  # cold starts per path
    startups: int  # `cligate run` launches per tool


FULL = Counts(12, 1000, 200, 200, 20, 5, 7, 8000, 2000, 64, 8, 15, 20)
QUICK = Counts(2, 50, 10, 10, 2, 1, 2, 640, 160, 16, 2, 2, 2)


def anthropic_body(model: str, stream: bool) -> bytes:
    message = {"role": "user", "content": "Tell me a long story."}
    payload = {"model": model, "max_tokens": 4096, "stream": stream, "messages": [message]}
    return json.dumps(payload).encode()


def big_body() -> bytes:
    """A real Claude Code request of about 60 KB, for the translated provider."""
    body = json.loads(claude_code_request(BIG_TARGET))
    body["model"] = BRIDGED_MODEL
    return json.dumps(body, ensure_ascii=False).encode()


def checked(samples: dict[str, list[StreamSample]], deltas: int) -> dict[str, list[StreamSample]]:
    for name, values in samples.items():
        counts = {sample.deltas for sample in values}
        if counts != {deltas}:
            raise RuntimeError(f"{name}: streams of {counts} text deltas, not {deltas}")
    return samples


def series(samples: dict[str, list[StreamSample]], field: str) -> tuple[float, float]:
    """The p50 of one timing of each path's streams."""
    direct, through = ([getattr(s, field) for s in samples[name]] for name in (DIRECT, CLIGATE))
    return p50(direct), p50(through)


def cpu_row(metric: str, cpu: CpuTally) -> Row:
    return Row(metric, "µs", cpu.per_request_us(DIRECT), cpu.per_request_us(CLIGATE))


class Suite:
    """The rows, measured against a running upstream and gateway."""

    def __init__(self, counts: Counts, upstream_pid: int, upstream_url: str, gateway: Gateway):
        host, port = upstream_url.removeprefix("http://").rsplit(":", 1)
        self.counts = counts
        self.upstream_pid = upstream_pid
        self.gateway = gateway
        self.anthropic = Path(
            DIRECT,
            host,
            int(port),
            "/v1/messages",
            {**ANTHROPIC_HEADERS, "x-api-key": UPSTREAM_KEY},
            upstream_pid,
        )
        self.chat = Path(
            DIRECT,
            host,
            int(port),
            "/v1/chat/completions",
            {"content-type": "application/json", "authorization": f"Bearer {UPSTREAM_KEY}"},
            upstream_pid,
        )
        self.through = Path(
            CLIGATE,
            gateway.host,
            gateway.port,
            "/v1/messages",
            {**ANTHROPIC_HEADERS, "authorization": f"Bearer {gateway.secret}"},
            gateway.pid,
        )
        self.processes = {
            "cligate": gateway.pid,
            "upstream": upstream_pid,
            "client": os.getpid(),
        }
        self.last = measure.UpstreamLast(host, int(port))
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.peaks: list[int] = []  # sampled RSS of cligate under load, bytes
        self.direct_peaks: list[int] = []
        self.others = 0.0  # the most of a core other processes used in a load row

    def close(self) -> None:
        self.last.close()

    def received(self, path: Path, body: bytes) -> tuple[int, int]:
        client = KeepAliveClient(path.host, path.port)
        try:
            status, answer = client.post(path.target, body, {**path.headers, "x-bench-chunks": "4"})
        finally:
            client.close()
        if status != 200:
            raise RuntimeError(f"{path.name} answered {status}: {answer[:300]!r}")
        seen = self.last()
        return int(seen["body_bytes"]), int(seen["body_crc32"])

    def small(self) -> None:
        c = self.counts
        cpu = CpuTally()
        samples = measure.latency(
            (self.anthropic, self.through),
            {DIRECT: SMALL_BODY, CLIGATE: SMALL_BODY},
            c.rounds,
            c.small,
            50,
            cpu,
        )
        d, g = samples[DIRECT], samples[CLIGATE]
        self.rows.append(added_at_most(SMALL_P50, "ms", p50(d), p50(g), 0.5))
        self.rows.append(added_at_most(SMALL_P99, "ms", p99(d), p99(g), 0.5))
        self.rows.append(cpu_row(CPU_SMALL, cpu))
        idle = measure.after_idle(
            (self.anthropic, self.through), {DIRECT: SMALL_BODY, CLIGATE: SMALL_BODY}, c.idle, 1.0
        )
        self.rows.append(Row(AFTER_IDLE, "ms", p50(idle[DIRECT]), p50(idle[CLIGATE])))

    def big(self, anthropic: bytes, chat: bytes) -> None:
        c = self.counts
        sent = {DIRECT: chat, CLIGATE: anthropic}
        direct, through = self.received(self.chat, chat), self.received(self.through, anthropic)
        self.notes.append(
            f"60 KB request: {len(anthropic):,} B of Anthropic JSON (a Claude Code capture, "
            f"stream=true, answered with 4 deltas); the Chat body the upstream received: "
            f"{direct[0]:,} B direct, {through[0]:,} B from cligate, "
            + ("the same bytes (CRC-32)." if direct == through else "NOT the same bytes.")
        )
        paths = (self.chat, self.through)
        samples = measure.latency(paths, sent, c.rounds, c.big, 20, CpuTally())
        d, g = samples[DIRECT], samples[CLIGATE]
        self.rows.append(added_at_most(BIG_P50, "ms", p50(d), p50(g), 1.5))
        self.rows.append(Row(BIG_P99, "ms", p99(d), p99(g)))
        load = measure.throughput(paths, sent, 8, c.load_rounds, c.c8, self.processes)
        self.rows.append(at_least(BIG_C8, "req/s", *self._rates(load), 800))
        self.rows.append(self._cpu_row(CPU_BIG, load))
        self._note_cores("60 KB c=8", load)

    def c64(self) -> None:
        c = self.counts
        paths = (self.anthropic, self.through)
        bodies = {DIRECT: SMALL_BODY, CLIGATE: SMALL_BODY}
        load = measure.throughput(paths, bodies, 64, c.load_rounds, c.c64, self.processes)
        self.rows.append(at_least(SMALL_C64, "req/s", *self._rates(load), 3000))
        self.rows.append(self._cpu_row(CPU_C64, load))
        self._note_cores("small c=64", load)

    def _rates(self, load: measure.Throughput) -> tuple[float, float]:
        self.peaks.append(load.peak_rss[CLIGATE])
        self.direct_peaks.append(load.peak_rss[DIRECT])
        return p50(load.per_second[DIRECT]), p50(load.per_second[CLIGATE])

    def _cpu_row(self, metric: str, load: measure.Throughput) -> Row:
        direct = load.cpu_per_request_us(DIRECT, "upstream")
        return Row(metric, "µs", direct, load.cpu_per_request_us(CLIGATE, "cligate"))

    def _note_cores(self, label: str, load: measure.Throughput) -> None:
        ours, others = load.busy(CLIGATE, "cligate"), load.others(CLIGATE)
        self.others = max(self.others, others)
        theirs = load.busy(CLIGATE, "upstream", "client")
        direct = load.busy(DIRECT, "upstream", "client")
        self.notes.append(
            f"{label}: in cligate's rounds, cligate used {ours:.0%} of a core, the upstream + "
            f"client {theirs:.0%}, other processes {others:.0%}; in DIRECT's (short rounds: a "
            f"rough figure), the upstream + client {direct:.0%}."
        )

    def streams(self, bridged: bool, bodies: dict[str, bytes]) -> None:
        c = self.counts
        kind = KINDS[bridged]
        paths = (self.chat if bridged else self.anthropic, self.through)
        markers = {DIRECT: CHAT_MARKER if bridged else ANTHROPIC_MARKER, CLIGATE: ANTHROPIC_MARKER}

        def run(
            chunks: int, rounds: int, per_round: int, warmup: int, **extra: str
        ) -> tuple[dict[str, list[StreamSample]], CpuTally]:
            cpu = CpuTally()
            headers = {"x-bench-chunks": str(chunks), **extra}
            paced = bool(extra)  # paced: ask the upstream for its instants, keep both awake
            report = self.last if paced else None
            samples = measure.streams(
                paths, bodies, markers, headers, rounds, per_round, warmup, cpu, report, paced
            )
            return checked(samples, chunks), cpu

        short, _ = run(SHORT, c.rounds, c.short, 20)
        metric = f"20-chunk stream, {kind}: time to first byte"
        self.rows.append(added_at_most(metric, "ms", *series(short, "first_byte_ms"), 0.5))
        long, cpu = run(LONG, c.rounds, c.long, 3)
        metric = f"1000-chunk stream, {kind}: total"
        self.rows.append(added_at_most(metric, "ms", *series(long, "total_ms"), 10))
        metric = f"CPU per request: 1000-chunk stream, {kind}"
        self.rows.append(cpu_row(metric, cpu))
        paced, _ = run(LONG, c.paced, 1, 1, **{"x-bench-delay-ms": f"{PACE_MS:g}"})
        first = series(paced, "first_delta_ms")
        ended = p50([sample.upstream["finished"] for sample in paced[CLIGATE]])
        metric = f"1000-chunk paced stream, {kind}: first delta"
        target = f"before the upstream ends ({ended:,.0f} ms)"
        self.rows.append(Row(metric, "ms", *first, target, first[1] < ended))
        total = series(paced, "total_ms")
        relay = [
            p50([s.first_delta_ms - s.upstream["first_content"] for s in paced[name]])
            for name in (DIRECT, CLIGATE)
        ]
        self.notes.append(
            f"Paced {kind} stream ({LONG} deltas, {PACE_MS:g} ms apart), medians through "
            f"cligate: first text delta at {first[1]:.3f} ms, {relay[1]:.3f} ms after the "
            f"upstream wrote it (DIRECT: {relay[0]:.3f} ms); the upstream's last write at "
            f"{ended:,.1f} ms, the client's last byte at {total[1]:,.1f} ms (DIRECT: "
            f"{total[0]:,.1f} ms)."
        )
        load = measure.throughput(
            paths,
            bodies,
            8,
            c.load_rounds,
            c.parallel,
            self.processes,
            markers=markers,
            extra={"x-bench-chunks": str(LONG)},
        )
        for name in (DIRECT, CLIGATE):
            if load.markers[name] != load.requests[name] * LONG:
                raise RuntimeError(f"{name}: {load.markers[name]} deltas read, not all")
        metric = f"8 parallel 1000-chunk streams, {kind}"
        self.rows.append(at_least(metric, "chunks/s", *self._rates(load), 100_000))
        self._note_cores(f"8 parallel streams, {kind}", load)


def startups(upstream_url: str, runs: int) -> list[Row]:
    """`cligate run` against the tool alone, launch to exit (bench/run.py's measure)."""
    tools = [("`cligate run` overhead: /bin/true", ["/bin/true"])]
    claude = shutil.which("claude", path=str(REPO / ".cache" / "clis" / "node_modules" / ".bin"))
    if claude:
        tools.append((CLAUDE_STARTUP, [claude, "--version"]))
    rows = []
    for metric, argv in tools:
        direct, through = measure_startup(argv, upstream_url, runs)
        rows.append(added_at_most(metric, "ms", p50(direct), p50(through), 150))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    parser.add_argument("--profile", action="store_true", help="run cligate under cProfile")
    parser.add_argument(
        "--same-core",
        action="store_true",
        help="pin cligate to the load core too (shows what waking an idle core costs)",
    )
    args = parser.parse_args()
    counts = QUICK if args.quick else FULL
    gateway_core = LOAD_CORE if args.same_core else GATEWAY_CORE
    began = time.perf_counter()

    # Anything else running on the machine skews every row: measure it first, say it.
    background = psutil.cpu_percent(interval=1.0) * (os.cpu_count() or 1) / 100
    pin(os.getpid(), LOAD_CORE)
    big = big_body()
    stream_pass = anthropic_body(PASS_MODEL, stream=True)
    stream_bridged = anthropic_body(BRIDGED_MODEL, stream=True)
    upstream, upstream_url = start_process(
        [sys.executable, str(REPO / "bench" / "fast_upstream.py"), "--api-key", UPSTREAM_KEY],
        core=LOAD_CORE,
    )
    scratch = tempfile.TemporaryDirectory()
    rows: list[Row] = []
    notes: list[str] = []
    profile = FsPath(scratch.name, "cligate.prof") if args.profile else None
    try:
        env = prepare(FsPath(scratch.name), upstream_url)
        cold = cold_starts(env, counts.cold, gateway_core)
        gateway = launch(env, gateway_core, profile)
        try:
            wait_accepting(gateway.host, gateway.port)
            suite = Suite(counts, upstream.pid, upstream_url, gateway)
            suite.received(suite.through, SMALL_BODY)  # the first answer loads the server
            time.sleep(0.5)
            idle = (rss_mib(upstream.pid), rss_mib(gateway.pid))
            try:
                suite.small()
                suite.big(big, chat_equivalent(big))
                suite.c64()
                suite.streams(False, {DIRECT: stream_pass, CLIGATE: stream_pass})
                chat = chat_equivalent(stream_bridged)
                suite.streams(True, {DIRECT: chat, CLIGATE: stream_bridged})
            finally:
                suite.close()
            high_water = peak_rss_mib(gateway.pid)
        finally:
            gateway.stop()
        rows, notes = suite.rows, suite.notes
        accepts = {name: p50([t[0] for t in cold[name]]) for name in cold}
        answers = {name: p50([t[1] for t in cold[name]]) for name in cold}
        rows += [
            at_most(COLD_ACCEPTS, "s", accepts[DIRECT], accepts[CLIGATE], 0.25),
            Row(COLD_ANSWER, "s", answers[DIRECT], answers[CLIGATE]),
            at_most(RSS_IDLE, "MiB", idle[0], idle[1], 40),
            at_most(RSS_PEAK, "MiB", max(suite.direct_peaks) / MiB, max(suite.peaks) / MiB, 80),
        ]
        if high_water is not None:
            notes.append(f"cligate's RSS high-water mark (VmHWM, whole run): {high_water:.1f} MiB.")
        rows += startups(upstream_url, counts.startups)
    finally:
        upstream.terminate()
        upstream.wait(timeout=15)

    order = {metric: index for index, metric in enumerate((*METRICS, CLAUDE_STARTUP))}
    rows.sort(key=lambda row: order[row.metric])
    print(
        f"cligate performance suite ({'quick' if args.quick else 'full'} run"
        f"{', cligate under cProfile' if profile else ''}, cligate on core {gateway_core}, "
        f"upstream and client on core {LOAD_CORE}): {machine()}; before the run, other "
        f"processes used {background:.0%} of a core\n"
    )
    print(table(rows))
    print(
        "\nDIRECT is the same upstream without cligate, by the same client. For RSS and CPU it "
        "is the upstream process (a bare asyncio server: the floor for a Python proxy), for "
        "cold start a fresh upstream process, for `cligate run` the tool alone. Latencies are "
        "medians (p99 where named) over interleaved rounds; throughputs the median round."
    )
    for note in notes:
        print(f"- {note}")
    met = sum(row.met is True for row in rows)
    judged = sum(row.met is not None for row in rows)
    print(f"- Targets met: {met} of {judged}. Run time: {time.perf_counter() - began:.0f} s.")
    if max(background, suite.others) > BUSY_MACHINE:
        print(
            f"\nWARNING: other processes used up to {max(background, suite.others):.0%} of a "
            "core during this run: its figures are skewed; rerun on an idle machine."
        )
    if profile is not None:
        print_profile(profile, 40)
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
