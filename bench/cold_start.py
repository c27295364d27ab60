"""Cold start of cligate's launcher against a bare Python asyncio server (bench/suite.py)."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.gateway import REPO, UPSTREAM_KEY, launch, on_core, wait_accepting
from bench.http_client import KeepAliveClient
from bench.run import SMALL_BODY
from bench.suite_measure import CLIGATE, DIRECT

HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}


def _first_answer(host: str, port: int, key: str) -> int:
    client = KeepAliveClient(host, port)
    try:
        status, _ = client.post("/v1/messages", SMALL_BODY, {**HEADERS, "x-api-key": key})
    finally:
        client.close()
    return status


def _cold_cligate(env: dict[str, str], core: int) -> tuple[float, float]:
    gateway = launch(env, core)
    try:
        wait_accepting(gateway.host, gateway.port)
        accepts = time.perf_counter() - gateway.spawned
        status = _first_answer(gateway.host, gateway.port, gateway.secret)
        answer = time.perf_counter() - gateway.spawned
    finally:
        gateway.stop()
    if status != 200:
        raise RuntimeError(f"cligate answered {status} to its first request")
    return accepts, answer


def _cold_direct(env: dict[str, str], core: int) -> tuple[float, float]:
    spawned = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "fast_upstream.py"), "--api-key", UPSTREAM_KEY],
        stdout=subprocess.PIPE,
        env={**env, "PYTHONPATH": str(REPO)},
        preexec_fn=lambda: on_core(core),
    )
    try:
        assert process.stdout is not None
        host, port = process.stdout.readline().decode().strip()[7:].rsplit(":", 1)
        wait_accepting(host, int(port))
        accepts = time.perf_counter() - spawned
        status = _first_answer(host, int(port), UPSTREAM_KEY)
        answer = time.perf_counter() - spawned
    finally:
        process.terminate()
        process.wait(timeout=15)
    if status != 200:
        raise RuntimeError(f"the upstream answered {status} to its first request")
    return accepts, answer


def cold_starts(env: dict[str, str], runs: int, core: int) -> dict[str, list[tuple[float, float]]]:
    """Seconds from spawning until the port accepts, and until a first request is answered:
    cligate's launcher (the tool is started once the port is bound) against DIRECT, a bare
    asyncio server in Python (the bench upstream), both pinned to ``core``."""
    times: dict[str, list[tuple[float, float]]] = {DIRECT: [], CLIGATE: []}
    for number in range(runs):
        for name in (DIRECT, CLIGATE) if number % 2 == 0 else (CLIGATE, DIRECT):
            times[name].append(
                _cold_cligate(env, core) if name == CLIGATE else _cold_direct(env, core)
            )
    return times
