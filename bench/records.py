"""What writing request records costs: the same proxy with records off and on, against DIRECT,
in one run, interleaved round by round.

    python bench/records.py [--rounds 10] [--per-round 300]

Records are written off the request path (batched every quarter second), so the two cligate
columns should differ by noise only: that is what this shows, for a small whole answer and a
small streamed one (token counts read from the stream).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.http_client import KeepAliveClient  # noqa: E402
from bench.run import SECRET, UPSTREAM_KEY, host_port, pin, start_process  # noqa: E402

HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}


def body(stream: bool) -> bytes:
    message = {"role": "user", "content": "hi"}
    return json.dumps(
        {"model": "m", "max_tokens": 16, "stream": stream, "messages": [message]}
    ).encode()


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def measure(
    targets: dict[str, tuple[str, str, int | None]], payload: bytes, rounds: int, per_round: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Latency samples (ms) per target, and the server's CPU time per request (µs)."""
    clients = {name: KeepAliveClient(*host_port(url)) for name, (url, _, _) in targets.items()}
    samples: dict[str, list[float]] = {name: [] for name in targets}
    cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
    try:
        for name, client in clients.items():
            for _ in range(30):
                client.post("/v1/messages", payload, {**HEADERS, "x-api-key": targets[name][1]})
        names = list(clients)
        for number in range(rounds):
            # Each path goes first in turn: whoever runs first in a round is not favoured.
            turn = number % len(names)
            for name in names[turn:] + names[:turn]:
                client = clients[name]
                headers = {**HEADERS, "x-api-key": targets[name][1]}
                cpu_before = cpu_seconds(targets[name][2])
                for _ in range(per_round):
                    started = time.perf_counter()
                    status, _ = client.post("/v1/messages", payload, headers)
                    samples[name].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status}")
                cpu[name] += cpu_seconds(targets[name][2]) - cpu_before
    finally:
        for client in clients.values():
            client.close()
    per_request = {name: seconds / (rounds * per_round) * 1e6 for name, seconds in cpu.items()}
    return samples, per_request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=300)
    args = parser.parse_args()
    pin(os.getpid(), 1)
    fake = [sys.executable, "-m", "tests.fake_upstream", "--api-key", UPSTREAM_KEY]
    upstream, upstream_url = start_process([*fake, "--script", "text:hello there"], core=1)
    proxy_argv = [sys.executable, str(REPO / "bench" / "proxy_process.py"), upstream_url,
                  UPSTREAM_KEY, SECRET, "h11"]  # fmt: skip
    with tempfile.TemporaryDirectory() as records_dir:
        plain, plain_url = start_process(proxy_argv, core=0)
        recording, recording_url = start_process([*proxy_argv, records_dir], core=0)
        targets = {
            "direct": (upstream_url, UPSTREAM_KEY, None),
            "records off": (plain_url, SECRET, plain.pid),
            "records on": (recording_url, SECRET, recording.pid),
        }
        results = []
        try:
            for label, stream in (("small whole answer, c=1", False), ("small stream, c=1", True)):
                samples, cpu = measure(targets, body(stream), args.rounds, args.per_round)
                medians = {k: statistics.median(v) for k, v in samples.items()}
                results.append((label, medians, cpu))
        finally:
            for process in (plain, recording, upstream):
                process.terminate()
                process.wait(timeout=10)
        written = sum(1 for _ in (Path(records_dir) / "requests.jsonl").open())
    print(f"request records: cost on the request path ({args.rounds}x{args.per_round} per path)\n")
    print(
        "| workload | direct p50 | records off p50 | records on p50 | on - off "
        "| CPU/request off | CPU/request on |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, med, cpu in results:
        off, on = med["records off"], med["records on"]
        print(
            f"| {label} | {med['direct']:.3f} | {off:.3f} | {on:.3f} | {on - off:+.3f} "
            f"| {cpu['records off']:.0f} µs | {cpu['records on']:.0f} µs |"
        )
    print(
        "\nLatency in milliseconds (medians); CPU is the proxy process's user+system time per "
        f"request. Records written by the recording proxy: {written}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
