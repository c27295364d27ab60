"""Where cligate's CPU goes in one load of bench/suite.py: that load alone, through cligate,
sampled with py-spy and summed by area (or, with --cprofile, cligate under cProfile).

    python bench/profile_row.py {small,big,stream,bridged} [--requests N] [--cprofile]

small: small non-stream requests at c=64; big: the 60 KB Claude Code request, Anthropic→Chat,
at c=8; stream / bridged: 1000-chunk streams at c=8, passed through / translated; short /
short-bridged: 20-chunk streams at c=1. py-spy is not
a dependency of cligate: ``.venv/bin/pip install py-spy`` first. It samples without stopping
cligate (--nonblocking) from the load core, so cligate's own core stays its own; the
throughput printed is lower than the suite's while it samples.
"""

from __future__ import annotations

import argparse
import collections
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path as FsPath

REPO = FsPath(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import suite_measure as measure  # noqa: E402
from bench.gateway import (  # noqa: E402
    BRIDGED_MODEL,
    PASS_MODEL,
    Gateway,
    launch,
    prepare,
    wait_accepting,
)
from bench.run import SMALL_BODY, pin, start_process  # noqa: E402
from bench.suite import (  # noqa: E402
    ANTHROPIC_HEADERS,
    GATEWAY_CORE,
    LOAD_CORE,
    anthropic_body,
    big_body,
)
from bench.translation import ANTHROPIC_MARKER  # noqa: E402

# Row → (body, concurrency, default requests, streamed deltas or 0).
LOADS: dict[str, tuple[Callable[[], bytes], int, int, int]] = {
    "small": (lambda: SMALL_BODY, 64, 20000, 0),
    "big": (big_body, 8, 3000, 0),
    "stream": (lambda: anthropic_body(PASS_MODEL, stream=True), 8, 1500, 1000),
    "bridged": (lambda: anthropic_body(BRIDGED_MODEL, stream=True), 8, 600, 1000),
    "short": (lambda: anthropic_body(PASS_MODEL, stream=True), 1, 5000, 20),
    "short-bridged": (lambda: anthropic_body(BRIDGED_MODEL, stream=True), 1, 5000, 20),
}
# The first rule that matches a sample's innermost frames names its area.
AREAS = (
    ("h11/", "h11"),
    ("selector_events.py:_SelectorSocketTransport.write", "socket send (loopback TCP)"),
    ("cligate/observe/", "request records, usage scan"),
    ("cligate/routing/", "routing"),
    ("cligate/protocols/", "translation, JSON"),
    ("cligate/upstream/", "upstream client: pool, de-chunking"),
    ("cligate/server/", "server, handler glue"),
    ("asyncio/", "asyncio loop, streams"),
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:)]+)(:\d+)?\)$")


def area(stack: list[str]) -> str:
    frames = [match.groupdict() for f in stack if (match := FRAME.match(f))]
    upstream = any("upstream/pool.py" in frame["file"] for frame in frames)
    for frame in reversed(frames):
        where = f"{frame['file']}:{frame['function']}"
        for pattern, name in AREAS:
            if pattern in where:
                if name == "h11":  # which side: the upstream's pool, or the tool's connection
                    return "h11, upstream side" if upstream else "h11, tool side"
                return name
    return "other"


def summarize(raw: FsPath, lines: int) -> None:
    areas: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        areas[area(frames)] += int(count)
        own[re.sub(r":\d+\)$", ")", frames[-1])] += int(count)
    if not total:
        print("py-spy took no samples")
        return
    print(f"\n{total} samples of cligate's busy time, by area (innermost frame that says):")
    for name, samples in areas.most_common():
        print(f"{samples / total:6.1%}  {name}")
    print(f"\nBy function (own time; native calls count to their Python caller), top {lines}:")
    for name, samples in own.most_common(lines):
        print(f"{samples / total:6.1%}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("row", choices=sorted(LOADS))
    parser.add_argument("--requests", type=int, help="requests in the sampled load")
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of py-spy")
    args = parser.parse_args()
    spy = shutil.which("py-spy", path=str(FsPath(sys.executable).parent)) or shutil.which("py-spy")
    if not args.cprofile and spy is None:
        parser.error("py-spy is not installed (.venv/bin/pip install py-spy), or use --cprofile")
    make_body, concurrency, requests, deltas = LOADS[args.row]
    requests = args.requests or requests
    body = make_body()

    pin(os.getpid(), LOAD_CORE)
    upstream, upstream_url = start_process(
        [sys.executable, str(REPO / "bench" / "fast_upstream.py")], core=LOAD_CORE
    )
    scratch = tempfile.TemporaryDirectory()
    stats = FsPath(scratch.name, "cligate.prof") if args.cprofile else None
    raw = FsPath(scratch.name, "py-spy.txt")
    gateway: Gateway | None = None
    sampler: subprocess.Popen[bytes] | None = None
    try:
        gateway = launch(prepare(FsPath(scratch.name), upstream_url), GATEWAY_CORE, stats)
        wait_accepting(gateway.host, gateway.port)
        path = measure.Path(
            measure.CLIGATE,
            gateway.host,
            gateway.port,
            "/v1/messages",
            {**ANTHROPIC_HEADERS, "authorization": f"Bearer {gateway.secret}"},
            gateway.pid,
        )
        processes = {"cligate": gateway.pid, "upstream": upstream.pid, "client": os.getpid()}
        markers = {measure.CLIGATE: ANTHROPIC_MARKER} if deltas else None
        extra = {"x-bench-chunks": str(deltas)} if deltas else None
        bodies = {measure.CLIGATE: body}

        def load(count: int) -> measure.Throughput:
            return measure.throughput(
                (path,), bodies, concurrency, 1, count, processes, markers, extra
            )

        load(max(concurrency, requests // 10))  # warm: imports, pools, caches
        if spy is not None and not args.cprofile:
            argv = [spy, "record", "--nonblocking", "-r", "500", "-f", "raw", "-o", str(raw)]
            sampler = subprocess.Popen(
                [*argv, "-p", str(gateway.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=lambda: pin(0, LOAD_CORE),
            )
            time.sleep(1.0)  # py-spy attaches
        result = load(requests)
    finally:
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            sampler.wait(timeout=60)
        if gateway is not None:
            gateway.stop()
        upstream.terminate()
        upstream.wait(timeout=15)
    rate = result.per_second[measure.CLIGATE][0]
    unit = "deltas/s" if deltas else "requests/s"
    cpu = result.cpu_per_request_us(measure.CLIGATE, "cligate")
    print(f"{args.row}: {rate:,.0f} {unit}, cligate CPU {cpu:,.0f} µs per request")
    if stats is not None:
        report = pstats.Stats(str(stats))
        report.strip_dirs().sort_stats("tottime").print_stats(30)
    else:
        summarize(raw, 25)
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
