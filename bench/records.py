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


def measure(
    targets: dict[str, tuple[str, str]], payload: bytes, rounds: int, per_round: int
) -> dict[str, list[float]]:
    clients = {name: KeepAliveClient(*host_port(url)) for name, (url, _) in targets.items()}
    samples: dict[str, list[float]] = {name: [] for name in targets}
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
                for _ in range(per_round):
                    started = time.perf_counter()
                    status, _ = client.post("/v1/messages", payload, headers)
                    samples[name].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status}")
    finally:
        for client in clients.values():
            client.close()
    return samples


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
            "direct": (upstream_url, UPSTREAM_KEY),
            "records off": (plain_url, SECRET),
            "records on": (recording_url, SECRET),
        }
        results = []
        try:
            for label, stream in (("small whole answer, c=1", False), ("small stream, c=1", True)):
                samples = measure(targets, body(stream), args.rounds, args.per_round)
                results.append((label, {k: statistics.median(v) for k, v in samples.items()}))
        finally:
            for process in (plain, recording, upstream):
                process.terminate()
                process.wait(timeout=10)
        written = sum(1 for _ in (Path(records_dir) / "requests.jsonl").open())
    print(f"request records: cost on the request path ({args.rounds}x{args.per_round} per path)\n")
    print("| workload | direct p50 | records off p50 | records on p50 | on - off |")
    print("|---|---|---|---|---|")
    for label, med in results:
        off, on = med["records off"], med["records on"]
        print(f"| {label} | {med['direct']:.3f} | {off:.3f} | {on:.3f} | {on - off:+.3f} |")
    print(f"\nAll times in milliseconds. Records written by the recording proxy: {written}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
