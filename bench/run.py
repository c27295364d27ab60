"""Benchmark cligate's pass-through against a direct connection to the same upstream.

    python bench/run.py [--rounds 10] [--per-round 200] [--startup-runs 15]

Everything is measured in one run, interleaved (a round of DIRECT, then a round through
cligate, repeated) and reported as medians and ratios, so machine noise hits both sides alike.
For latency, the proxy is pinned to one core, the fake upstream and this client to the other;
start-up commands run unpinned, as a user would run them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.http_client import KeepAliveClient  # noqa: E402

UPSTREAM_KEY = "bench-upstream-key"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
SMALL_BODY = json.dumps(
    {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
).encode()


def claude_code_body() -> bytes:
    """A real Claude Code request (about 100 KB), asked for without streaming."""
    capture = REPO / "tests" / "captures" / "claude" / "tool__02_messages_stream.json"
    body = json.loads(capture.read_text())["request"]["body"]
    body["stream"] = False
    return json.dumps(body, ensure_ascii=False).encode()


# The cores this run may use, read before anything is pinned: once the benchmark has pinned
# itself to one core, its own affinity no longer says which other cores exist.
CORES = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()


def pin(pid: int, core: int) -> None:
    if core in CORES:
        os.sched_setaffinity(pid, {core})


def start_process(argv: list[str], core: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    pin(process.pid, core)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        raise RuntimeError(f"{argv} did not print its URL")
    return process, url


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure_latency(
    direct_url: str, proxy_url: str, body: bytes, rounds: int, per_round: int
) -> dict[str, list[float]]:
    paths = {
        "direct": (direct_url, {"x-api-key": UPSTREAM_KEY}),
        "cligate": (proxy_url, {"x-api-key": SECRET}),
    }
    clients = {name: KeepAliveClient(*host_port(url)) for name, (url, _) in paths.items()}
    samples: dict[str, list[float]] = {name: [] for name in paths}
    headers_base = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    try:
        for name, client in clients.items():  # warm up both paths and their connections
            for _ in range(20):
                client.post("/v1/messages", body, {**headers_base, **paths[name][1]})
        for _ in range(rounds):
            for name, client in clients.items():
                headers = {**headers_base, **paths[name][1]}
                for _ in range(per_round):
                    started = time.perf_counter()
                    status, _ = client.post("/v1/messages", body, headers)
                    samples[name].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status}")
    finally:
        for client in clients.values():
            client.close()
    return samples


def _all_cores() -> None:
    # Start-up is measured as a user sees it: the tool and cligate's server load in parallel.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


def time_command(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv,
        preexec_fn=_all_cores,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return (time.perf_counter() - started) * 1000


def measure_startup(
    tool_argv: list[str], upstream_url: str, runs: int
) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as config_dir:
        Path(config_dir, "config.toml").write_text(
            f'[providers.bench]\nprotocol = "anthropic"\nbase_url = "{upstream_url}"\n'
            f'api_key = "{UPSTREAM_KEY}"\n[tools.claude]\nprovider = "bench"\n'
        )
        env = {**os.environ, "CLIGATE_CONFIG_DIR": config_dir, "CLIGATE_CLAUDE_BIN": tool_argv[0]}
        cligate = [
            str(Path(sys.executable).with_name("cligate")),
            "run",
            "claude",
            "--",
            *tool_argv[1:],
        ]
        if not Path(cligate[0]).exists():
            cligate = [sys.executable, "-m", "cligate", *cligate[1:]]
        direct: list[float] = []
        through: list[float] = []
        for _ in range(2):  # warm the page cache for both
            time_command(tool_argv, env)
            time_command(cligate, env)
        for _ in range(runs):
            direct.append(time_command(tool_argv, env))
            through.append(time_command(cligate, env))
    return direct, through


def row(label: str, direct: list[float], through: list[float], unit: str = "ms") -> list[str]:
    d50, c50 = statistics.median(direct), statistics.median(through)
    d99, c99 = percentile(direct, 0.99), percentile(through, 0.99)
    return [
        label,
        f"{d50:.3f}",
        f"{c50:.3f}",
        f"{c50 - d50:+.3f}",
        f"{c50 / d50:.2f}x",
        f"{d99:.3f}",
        f"{c99:.3f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument(
        "--client",
        choices=["h11", "httpx"],
        default="h11",
        help="cligate's upstream client for this run",
    )
    args = parser.parse_args()

    pin(os.getpid(), 1)
    upstream, upstream_url = start_process(
        [
            sys.executable,
            "-m",
            "tests.fake_upstream",
            "--api-key",
            UPSTREAM_KEY,
            "--script",
            "text:hello",
        ],
        core=1,
    )
    proxy, proxy_url = start_process(
        [
            sys.executable,
            str(REPO / "bench" / "proxy_process.py"),
            upstream_url,
            UPSTREAM_KEY,
            SECRET,
            args.client,
        ],
        core=0,
    )
    rows: list[list[str]] = []
    try:
        for label, body in (
            ("small request (150 B), c=1", SMALL_BODY),
            ("Claude Code request (≈100 KB), c=1", claude_code_body()),
        ):
            samples = measure_latency(upstream_url, proxy_url, body, args.rounds, args.per_round)
            rows.append(row(label, samples["direct"], samples["cligate"]))
        startups: list[tuple[str, list[str]]] = [("stub tool (/bin/true)", ["/bin/true"])]
        real_claude = shutil.which(
            "claude", path=str(REPO / ".cache" / "clis" / "node_modules" / ".bin")
        )
        if real_claude:
            startups.append(("claude --version", [real_claude, "--version"]))
        for label, argv in startups:
            direct, through = measure_startup(argv, upstream_url, args.startup_runs)
            rows.append(row(f"start-up: {label}", direct, through))
    finally:
        for process in (proxy, upstream):
            process.terminate()
            process.wait(timeout=10)

    print(
        f"cligate pass-through benchmark ({args.client} upstream client, "
        f"{args.rounds}x{args.per_round} requests per path, {args.startup_runs} start-ups)\n"
    )
    header = [
        "workload",
        "direct p50",
        "cligate p50",
        "added p50",
        "ratio",
        "direct p99",
        "cligate p99",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for values in rows:
        print("| " + " | ".join(values) + " |")
    print("\nAll times in milliseconds; start-up rows time the whole command, launch to exit.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
