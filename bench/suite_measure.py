"""The measurements of bench/suite.py, each run on both paths in interleaved rounds.

Every function takes the two paths (DIRECT first, then cligate) and alternates which one goes
first from round to round, so drift and noise hit both alike. Latency and stream timings are
taken one request at a time with the blocking raw-socket clients; throughput with
bench/load_client.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psutil

from bench.http_client import KeepAliveClient
from bench.load_client import LoadPool, build_request
from bench.sse_client import StreamingClient, StreamTiming

DIRECT, CLIGATE = "DIRECT", "cligate"
INSTANTS = ("received", "first_content", "finished")  # the upstream's, in /bench/last


@dataclass(frozen=True)
class Path:
    """One way to the upstream: where to send, and with which headers."""

    name: str
    host: str
    port: int
    target: str  # request path
    headers: dict[str, str]
    pid: int  # the process that does this path's work: the upstream, or cligate


def turns(rounds: int, paths: tuple[Path, ...]) -> Iterator[Path]:
    """Each round runs both paths; which goes first alternates."""
    for number in range(rounds):
        yield from (paths if number % 2 == 0 else paths[::-1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process. psutil's comes in clock ticks (10 ms), too coarse
    for a round of fast requests; Linux's per-thread schedstat counts nanoseconds."""
    if pid == os.getpid():  # precise even while running, unlike schedstat read from outside
        return time.process_time()
    if not os.path.exists(f"/proc/{pid}/schedstat"):
        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        # A thread may end meanwhile (its time is then lost; cligate's threads live long).
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as stats:
            total += int(stats.read().split()[0])
    return total / 1e9


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling, since boot."""
    times = psutil.cpu_times()._asdict()
    # guest time is counted in user time already; iowait is idle.
    idle = ("idle", "iowait", "guest", "guest_nice")
    return float(sum(value for name, value in times.items() if name not in idle))


@dataclass
class CpuTally:
    """CPU time of each path's working process, per request it served."""

    seconds: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    @contextlib.contextmanager
    def counting(self, path: Path, requests: int) -> Iterator[None]:
        before = cpu_seconds(path.pid)
        yield
        self.seconds[path.name] = self.seconds.get(path.name, 0.0) + cpu_seconds(path.pid) - before
        self.requests[path.name] = self.requests.get(path.name, 0) + requests

    def per_request_us(self, name: str) -> float:
        return self.seconds[name] / self.requests[name] * 1e6


def latency(
    paths: tuple[Path, Path],
    bodies: dict[str, bytes],
    rounds: int,
    per_round: int,
    warmup: int,
    cpu: CpuTally,
) -> dict[str, list[float]]:
    """Whole-response latency (ms), one request at a time on a keep-alive connection."""
    clients = {path.name: KeepAliveClient(path.host, path.port) for path in paths}
    samples: dict[str, list[float]] = {path.name: [] for path in paths}
    try:
        for path in paths:
            for _ in range(warmup):
                clients[path.name].post(path.target, bodies[path.name], path.headers)
        for path in turns(rounds, paths):
            client, body, into = clients[path.name], bodies[path.name], samples[path.name]
            with cpu.counting(path, per_round):
                for _ in range(per_round):
                    started = time.perf_counter()
                    status, answer = client.post(path.target, body, path.headers)
                    into.append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"{path.name} answered {status}: {answer[:300]!r}")
    finally:
        for client in clients.values():
            client.close()
    return samples


def after_idle(
    paths: tuple[Path, Path], bodies: dict[str, bytes], runs: int, idle: float
) -> dict[str, list[float]]:
    """Latency (ms) of a request sent after every process on its path sat idle for ``idle``
    seconds: what a tool's first request after a pause pays."""
    clients = {path.name: KeepAliveClient(path.host, path.port) for path in paths}
    samples: dict[str, list[float]] = {path.name: [] for path in paths}
    try:
        for path in turns(runs, paths):
            time.sleep(idle)
            started = time.perf_counter()
            status, answer = clients[path.name].post(path.target, bodies[path.name], path.headers)
            samples[path.name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{path.name} answered {status}: {answer[:300]!r}")
    finally:
        for client in clients.values():
            client.close()
    return samples


class TimedStreamingClient(StreamingClient):
    """StreamingClient that also notes when the first bytes of the answer arrived."""

    first_read = 0.0  # time.monotonic(), as StreamTiming.started

    def stream(
        self,
        path: str,
        body: bytes,
        headers: dict[str, str],
        marker: bytes,
        method: str = "POST",
    ) -> StreamTiming:
        self.first_read = 0.0
        return super().stream(path, body, headers, marker, method)

    def _fill(self) -> None:
        super()._fill()
        if not self.first_read:
            self.first_read = time.monotonic()


@dataclass(frozen=True)
class StreamSample:
    first_byte_ms: float
    first_delta_ms: float
    total_ms: float
    deltas: int
    upstream: dict[str, float]  # /bench/last, ms since the request was sent (if asked for)


def streams(
    paths: tuple[Path, Path],
    bodies: dict[str, bytes],
    markers: dict[str, bytes],
    extra: dict[str, str],
    rounds: int,
    per_round: int,
    warmup: int,
    cpu: CpuTally,
    upstream_report: Callable[[], dict[str, float]] | None = None,
    touch: bool = False,
) -> dict[str, list[StreamSample]]:
    """Streamed answers, one at a time: first byte, first text delta, whole body.

    With ``touch``, each is preceded by an unmeasured one-delta request on the same path: a
    process left idle for a while answers late on this machine (see ``after_idle``), and
    long paced streams leave the other path idle for seconds."""
    clients = {path.name: TimedStreamingClient(path.host, path.port) for path in paths}
    samples: dict[str, list[StreamSample]] = {path.name: [] for path in paths}

    def one(path: Path) -> StreamSample:
        client, marker = clients[path.name], markers[path.name]
        if touch:
            headers = {**path.headers, "x-bench-chunks": "1"}
            client.stream(path.target, bodies[path.name], headers, marker)
        timing = client.stream(path.target, bodies[path.name], {**path.headers, **extra}, marker)
        if timing.status != 200 or timing.first_marker_ms is None:
            raise RuntimeError(f"{path.name} answered {timing.status}: {timing.body[:300]!r}")
        seen = upstream_report() if upstream_report else {}
        since = {k: (seen[k] - timing.started) * 1000 for k in INSTANTS if k in seen}
        first_byte = (client.first_read - timing.started) * 1000
        count = timing.body.count(marker)
        return StreamSample(first_byte, timing.first_marker_ms, timing.total_ms, count, since)

    try:
        for path in paths:
            for _ in range(warmup):
                one(path)
        for path in turns(rounds, paths):
            with cpu.counting(path, per_round):
                samples[path.name].extend(one(path) for _ in range(per_round))
    finally:
        for client in clients.values():
            client.close()
    return samples


class UpstreamLast:
    """Reads the upstream's /bench/last on a connection of its own."""

    def __init__(self, host: str, port: int) -> None:
        self._control = StreamingClient(host, port)

    def __call__(self) -> dict[str, float]:
        status, body = self._control.get("/bench/last")
        if status != 200:
            raise RuntimeError(f"/bench/last answered {status}")
        return dict(json.loads(body))

    def close(self) -> None:
        self._control.close()


@dataclass
class Throughput:
    per_second: dict[str, list[float]]  # one rate per round (requests, or markers if counted)
    markers: dict[str, int]  # markers read in all, per path
    requests: dict[str, int]
    seconds: dict[str, float]  # wall time of the measured rounds, per path
    # CPU seconds each process ("cligate", "upstream", "client") spent in each path's rounds.
    cpu: dict[str, dict[str, float]]
    peak_rss: dict[str, int]  # bytes, the largest sample of each path's working process
    machine: dict[str, float]  # CPU seconds all processes used in each path's rounds

    def busy(self, path: str, *processes: str) -> float:
        """How much of one core these processes used during ``path``'s rounds (1.0 = all)."""
        return sum(self.cpu[path][name] for name in processes) / self.seconds[path]

    def others(self, path: str) -> float:
        """How much of one core processes not in the benchmark used during ``path``'s rounds:
        another workload on the machine makes the figures worthless."""
        ours = sum(self.cpu[path].values())
        return max(0.0, self.machine[path] - ours) / self.seconds[path]

    def cpu_per_request_us(self, path: str, process: str) -> float:
        return self.cpu[path][process] / self.requests[path] * 1e6


async def _sample_rss(pids: dict[str, int], peaks: dict[str, int], every: float) -> None:
    processes = {name: psutil.Process(pid) for name, pid in pids.items()}
    while True:  # cancelled by the caller
        for name, process in processes.items():
            peaks[name] = max(peaks.get(name, 0), process.memory_info().rss)
        await asyncio.sleep(every)


async def _throughput(
    paths: tuple[Path, ...],
    requests: dict[str, bytes],
    concurrency: int,
    rounds: int,
    per_round: int,
    markers: dict[str, bytes],
    processes: dict[str, int],
) -> Throughput:
    pools = {p.name: await LoadPool.open(p.host, p.port, concurrency) for p in paths}
    names = [p.name for p in paths]
    result = Throughput(
        {n: [] for n in names},
        dict.fromkeys(names, 0),
        dict.fromkeys(names, 0),
        dict.fromkeys(names, 0.0),
        {n: dict.fromkeys(processes, 0.0) for n in names},
        {},
        dict.fromkeys(names, 0.0),
    )
    sampler = asyncio.get_running_loop().create_task(
        _sample_rss({p.name: p.pid for p in paths}, result.peak_rss, 0.01)
    )
    try:
        for path in paths:  # warm up: every connection, and the proxy's upstream pool
            await pools[path.name].run(requests[path.name], concurrency * 4, markers[path.name])
        for path in turns(rounds, paths):
            before = {name: cpu_seconds(pid) for name, pid in processes.items()}
            machine = machine_busy_seconds()
            done = await pools[path.name].run(requests[path.name], per_round, markers[path.name])
            result.machine[path.name] += machine_busy_seconds() - machine
            for name, pid in processes.items():
                result.cpu[path.name][name] += cpu_seconds(pid) - before[name]
            if done.requests != per_round:
                raise RuntimeError(f"{path.name}: {done.requests} of {per_round} answered")
            counted = done.markers if markers[path.name] else done.requests
            result.per_second[path.name].append(counted / done.seconds)
            result.markers[path.name] += done.markers
            result.requests[path.name] += done.requests
            result.seconds[path.name] += done.seconds
    finally:
        sampler.cancel()
        for pool in pools.values():
            pool.close()
    return result


def throughput(
    paths: tuple[Path, ...],
    bodies: dict[str, bytes],
    concurrency: int,
    rounds: int,
    per_round: int,
    processes: dict[str, int],
    markers: dict[str, bytes] | None = None,
    extra: dict[str, str] | None = None,
) -> Throughput:
    """Requests (or, with ``markers``, markers read) per second at ``concurrency`` connections,
    with the CPU time ``processes`` (name → pid) spent meanwhile."""
    requests = {
        p.name: build_request(
            p.host, p.port, p.target, bodies[p.name], {**p.headers, **(extra or {})}
        )
        for p in paths
    }
    return asyncio.run(
        _throughput(
            paths,
            requests,
            concurrency,
            rounds,
            per_round,
            markers or {p.name: b"" for p in paths},
            processes,
        )
    )


def rss_mib(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / (1024 * 1024)


def peak_rss_mib(pid: int) -> float | None:
    """The kernel's high-water mark of the process's RSS (Linux), not a sample."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
