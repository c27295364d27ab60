"""Benchmark cligate's translation (Claude Code on a Chat Completions provider) against a direct
connection to the same upstream.

    python bench/translation.py [--rounds 10] [--per-round 100] [--stream-per-round 10]
                                [--paced-runs 5] [--client h11|httpx] [--profile]

Through cligate, an Anthropic Messages request with stream=true is translated to Chat
Completions for the upstream (bench/chat_upstream.py) and the upstream's Chat stream is
translated back to Anthropic events. Directly, the client sends the equivalent Chat body,
produced once up front by the same translation functions, and reads the Chat stream as is.

Workloads, measured in one run, interleaved (a round of DIRECT, then a round through cligate)
and reported as medians, p99 and ratios, so machine noise hits both sides alike:

1. a Claude Code request trimmed to about 60 KB, answered with a short stream (4 deltas);
2. a 1000-delta stream answered to a small request, as fast as the upstream can write it;
3. the same stream paced (the upstream pauses ~1 ms between deltas, so it lasts over a second):
   when the first text delta reaches the client, and when the upstream finished writing.

The proxy is pinned to one core, the upstream and this client to the other. With --profile
the proxy runs under cProfile (its figures are then inflated) and its hot spots are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.chat_upstream import sse_events  # noqa: E402
from bench.run import host_port, percentile, pin, start_process  # noqa: E402
from bench.sse_client import StreamingClient, StreamTiming  # noqa: E402
from bench.translation_proxy import chat_provider  # noqa: E402

UPSTREAM_KEY = "bench-upstream-key"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
MODEL = "bench-model"  # the Chat model the binding names
REQUEST_TARGET = 60 * 1024  # the Claude Code request is trimmed to at most this many bytes
SHORT_ANSWER = 4  # content deltas in the answer to the Claude Code request
LONG_STREAM = 1000  # content deltas in the long stream
PACE_MS = 1.0
TARGET_ADDED_REQUEST_MS = 1.5
TARGET_ADDED_STREAM_MS = 10.0
ANTHROPIC_MARKER = b'"text_delta"'
CHAT_MARKER = b'"delta":{"content":"'  # a content delta, not the role chunk's empty content


def codecs_ready() -> str | None:
    """None when both codecs load, else why not."""
    try:
        from cligate.protocols.codecs import codec_for
        from cligate.protocols.kinds import WireProtocol

        codec_for(WireProtocol.ANTHROPIC)
        codec_for(WireProtocol.OPENAI_CHAT)
    except Exception as exc:  # anything a half-written codec may raise
        return f"{type(exc).__name__}: {exc}"
    return None


def claude_code_request(target: int) -> bytes:
    """A real Claude Code request, streamed, trimmed to at most ``target`` bytes: the largest
    tools go first, then the longest system text is cut."""
    capture = REPO / "tests" / "captures" / "claude" / "tool__02_messages_stream.json"
    body = json.loads(capture.read_text())["request"]["body"]
    body["stream"] = True

    def size() -> int:
        return len(json.dumps(body, ensure_ascii=False).encode())

    tools = body.get("tools", [])
    for _ in range(len(tools)):
        if size() <= target:
            break
        tools.remove(max(tools, key=lambda tool: len(json.dumps(tool))))
    if size() > target:
        texts = [part for part in body.get("system", []) if isinstance(part.get("text"), str)]
        longest = max(texts, key=lambda part: len(part["text"]))
        longest["text"] = longest["text"][: max(0, len(longest["text"]) - (size() - target))]
    return json.dumps(body, ensure_ascii=False).encode()


def small_request() -> bytes:
    return json.dumps(
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 4096,
            "stream": True,
            "messages": [{"role": "user", "content": "Tell me a long story."}],
        }
    ).encode()


def chat_equivalent(anthropic_body: bytes) -> bytes:
    """The Chat body cligate sends for ``anthropic_body``, by its own translation functions."""
    from cligate.protocols.codecs import codec_for
    from cligate.protocols.json_members import parse_json_object
    from cligate.protocols.kinds import WireProtocol
    from cligate.protocols.translate import translate_request
    from cligate.routing.profiles import profile_for

    decoded = codec_for(WireProtocol.ANTHROPIC).decode_request(
        parse_json_object(anthropic_body).value
    )
    profile = profile_for(chat_provider("http://127.0.0.1"), MODEL)
    upstream = codec_for(WireProtocol.OPENAI_CHAT)
    return translate_request(decoded, upstream, MODEL, profile, strict=False).body


@dataclass(frozen=True)
class Route:
    """One way to the upstream: the client, and the request it sends there."""

    name: str
    client: StreamingClient
    path: str
    headers: dict[str, str]
    marker: bytes

    def send(self, body: bytes, extra: dict[str, str]) -> StreamTiming:
        timing = self.client.stream(self.path, body, {**self.headers, **extra}, self.marker)
        if timing.status != 200:
            raise RuntimeError(f"{self.name} answered {timing.status}: {timing.body[:300]!r}")
        if timing.first_marker_ms is None:
            raise RuntimeError(f"{self.name}: no text delta in {timing.body[:300]!r}")
        return timing


@dataclass(frozen=True)
class Sample:
    """One request: the client's timing, and the upstream's instants (time.monotonic())."""

    timing: StreamTiming
    upstream: dict[str, float]

    def since_sent(self, instant: str) -> float:
        return (self.upstream[instant] - self.timing.started) * 1000


def interleaved(
    routes: dict[str, tuple[Route, bytes]],
    extra: dict[str, str],
    rounds: int,
    per_round: int,
    warmup: int,
    upstream_record: Callable[[], dict[str, float]],
) -> dict[str, list[Sample]]:
    """Rounds of each route in turn; after each request, what the upstream saw of it."""
    samples: dict[str, list[Sample]] = {name: [] for name in routes}
    for route, body in routes.values():
        for _ in range(warmup):
            route.send(body, extra)
    for _ in range(rounds):
        for name, (route, body) in routes.items():
            for _ in range(per_round):
                timing = route.send(body, extra)
                samples[name].append(Sample(timing, upstream_record()))
    return samples


def series(
    samples: dict[str, list[Sample]], value: Callable[[Sample], float]
) -> tuple[list[float], list[float]]:
    return [value(s) for s in samples["direct"]], [value(s) for s in samples["cligate"]]


def whole(sample: Sample) -> float:
    return sample.timing.total_ms


def first_delta(sample: Sample) -> float:
    assert sample.timing.first_marker_ms is not None  # Route.send checks
    return sample.timing.first_marker_ms


def at_upstream(sample: Sample) -> float:
    return sample.since_sent("received")


def _first_written(sample: Sample) -> float:
    return sample.since_sent("first_content")


def added_p50(pair: tuple[list[float], list[float]]) -> float:
    return statistics.median(pair[1]) - statistics.median(pair[0])


def row(label: str, direct: list[float], through: list[float], target: str) -> list[str]:
    d50, c50 = statistics.median(direct), statistics.median(through)
    return [
        label,
        f"{d50:.3f}",
        f"{c50:.3f}",
        f"{c50 - d50:+.3f}",
        f"{c50 / d50:.2f}x",
        f"{percentile(direct, 0.99):.3f}",
        f"{percentile(through, 0.99):.3f}",
        target,
    ]


def aim(target: str, met: bool) -> str:
    return f"{target}: {'met' if met else 'NOT met'}"


def in_process_costs(anthropic_body: bytes, runs: int) -> tuple[float, float]:
    """Medians, in ms, of the pure translation work (no I/O): the Claude Code request to its
    Chat body, and the 1000-delta Chat stream to Anthropic events, fed event by event."""
    from cligate.protocols.codecs import ClientView, codec_for
    from cligate.protocols.kinds import WireProtocol
    from cligate.protocols.translate import StreamTranslator

    request_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        chat_equivalent(anthropic_body)
        request_ms.append((time.perf_counter() - started) * 1000)
    head, deltas, tail = sse_events(LONG_STREAM)
    events = [head, *deltas, tail]
    anthropic, chat = codec_for(WireProtocol.ANTHROPIC), codec_for(WireProtocol.OPENAI_CHAT)
    stream_ms = []
    for _ in range(max(1, runs // 10)):
        started = time.perf_counter()
        translator = StreamTranslator.between(
            anthropic, chat, ClientView("claude-sonnet-4-6", int(time.time())), "bench"
        )
        for event in events:
            translator.feed(event)
        translator.finish()
        stream_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(request_ms), statistics.median(stream_ms)


def print_profile(path: str, lines: int) -> None:
    stats = pstats.Stats(path)
    stats.strip_dirs()
    print("\nProxy profile (cProfile, whole run), by own time:\n```")
    stats.sort_stats("tottime").print_stats(lines)
    print("```\nBy cumulative time:\n```")
    stats.sort_stats("cumulative").print_stats(lines)
    print("```")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=100, help="Claude Code requests")
    parser.add_argument("--stream-per-round", type=int, default=10, help="1000-delta streams")
    parser.add_argument("--paced-runs", type=int, default=5, help="paced streams per path")
    parser.add_argument("--client", choices=["h11", "httpx"], default="h11")
    parser.add_argument("--profile", action="store_true", help="run the proxy under cProfile")
    parser.add_argument(
        "--wait-for-codecs",
        type=float,
        default=0,
        metavar="MINUTES",
        help="retry loading the codecs every 3 minutes for this long before giving up",
    )
    args = parser.parse_args()
    if min(args.rounds, args.per_round, args.stream_per_round, args.paced_runs) < 1:
        parser.error("rounds and counts must be at least 1")

    deadline = time.monotonic() + args.wait_for_codecs * 60
    while (problem := codecs_ready()) is not None:
        if time.monotonic() >= deadline:
            print(f"the translation codecs do not load: {problem}", file=sys.stderr)
            return 2
        print(f"codecs not ready ({problem}); retrying in 3 minutes", file=sys.stderr)
        time.sleep(180)

    began = time.perf_counter()
    big = claude_code_request(REQUEST_TARGET)
    small = small_request()
    big_chat, small_chat = chat_equivalent(big), chat_equivalent(small)

    pin(os.getpid(), 1)
    upstream, upstream_url = start_process(
        [sys.executable, str(REPO / "bench" / "chat_upstream.py")], core=1
    )
    profile_dir = tempfile.TemporaryDirectory() if args.profile else None
    proxy_argv = [
        sys.executable,
        str(REPO / "bench" / "translation_proxy.py"),
        upstream_url,
        UPSTREAM_KEY,
        SECRET,
        args.client,
        MODEL,
    ]
    if profile_dir is not None:
        proxy_argv.append(str(Path(profile_dir.name, "proxy.prof")))
    try:
        proxy, proxy_url = start_process(proxy_argv, core=0)
    except BaseException:
        upstream.terminate()
        upstream.wait(timeout=30)
        raise
    clients = [StreamingClient(*host_port(url)) for url in (upstream_url, proxy_url, upstream_url)]
    to_upstream, to_proxy, control = clients
    direct = Route(
        "direct",
        to_upstream,
        "/v1/chat/completions",
        {"content-type": "application/json", "authorization": f"Bearer {UPSTREAM_KEY}"},
        CHAT_MARKER,
    )
    through = Route(
        "cligate",
        to_proxy,
        "/v1/messages",
        {
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
            "x-api-key": SECRET,
        },
        ANTHROPIC_MARKER,
    )

    def last() -> dict[str, float]:
        status, body = control.get("/bench/last")
        if status != 200:
            raise RuntimeError(f"the upstream's /bench/last answered {status}")
        return json.loads(body)

    rows: list[list[str]] = []
    notes: list[str] = []
    try:
        # What the upstream receives must be the same on both paths.
        received = {}
        for route, body in ((direct, big_chat), (through, big)):
            route.send(body, {"x-bench-chunks": str(SHORT_ANSWER)})
            record = last()
            received[route.name] = (int(record["body_bytes"]), int(record["body_crc32"]))
        same = received["direct"] == received["cligate"]
        notes.append(
            f"Claude Code request: {len(big):,} B of Anthropic JSON (stream=true); the Chat "
            f"body the upstream received: {received['direct'][0]:,} B direct, "
            f"{received['cligate'][0]:,} B from cligate, "
            + ("the same bytes (CRC-32)" if same else "NOT the same bytes")
        )
        # The long stream must arrive whole both ways.
        deltas = {}
        for route, body in ((direct, small_chat), (through, small)):
            timing = route.send(body, {"x-bench-chunks": str(LONG_STREAM)})
            deltas[route.name] = timing.body.count(route.marker)
        ended = timing.body.rstrip().endswith(b'{"type":"message_stop"}')
        notes.append(
            f"Long stream: {deltas['direct']} Chat content deltas read directly; "
            f"{deltas['cligate']} Anthropic text_delta events read through cligate, "
            + ("ending with message_stop" if ended else "NOT ending with message_stop")
        )

        # 1. The Claude Code request, a short answer.
        samples = interleaved(
            {"direct": (direct, big_chat), "cligate": (through, big)},
            {"x-bench-chunks": str(SHORT_ANSWER)},
            args.rounds,
            args.per_round,
            warmup=20,
            upstream_record=last,
        )
        label = f"Claude Code request ({len(big):,} B), {SHORT_ANSWER}-delta stream"
        total = series(samples, whole)
        met = added_p50(total) <= TARGET_ADDED_REQUEST_MS
        rows.append(
            row(f"{label}: request read by the upstream", *series(samples, at_upstream), "")
        )
        rows.append(row(f"{label}: first text delta", *series(samples, first_delta), ""))
        rows.append(
            row(
                f"{label}: whole response",
                *total,
                aim(f"added p50 ≤ {TARGET_ADDED_REQUEST_MS:g} ms", met),
            )
        )

        # 2. A 1000-delta stream as fast as the upstream writes it.
        samples = interleaved(
            {"direct": (direct, small_chat), "cligate": (through, small)},
            {"x-bench-chunks": str(LONG_STREAM)},
            args.rounds,
            args.stream_per_round,
            warmup=3,
            upstream_record=last,
        )
        label = f"{LONG_STREAM}-delta stream (small request)"
        total = series(samples, whole)
        met = added_p50(total) <= TARGET_ADDED_STREAM_MS
        rows.append(row(f"{label}: first text delta", *series(samples, first_delta), ""))
        rows.append(
            row(
                f"{label}: whole response",
                *total,
                aim(f"added p50 ≤ {TARGET_ADDED_STREAM_MS:g} ms", met),
            )
        )

        # 3. The same stream, paced: the first delta must not wait for the end.
        samples = interleaved(
            {"direct": (direct, small_chat), "cligate": (through, small)},
            {"x-bench-chunks": str(LONG_STREAM), "x-bench-delay-ms": f"{PACE_MS:g}"},
            args.paced_runs,
            1,
            warmup=1,
            upstream_record=last,
        )
        label = f"{LONG_STREAM}-delta stream paced {PACE_MS:g} ms"
        first = series(samples, first_delta)
        finished = series(samples, lambda sample: sample.since_sent("finished"))
        first_p50, finished_p50 = statistics.median(first[1]), statistics.median(finished[1])
        met = first_p50 < finished_p50 / 10
        rows.append(
            row(f"{label}: upstream wrote its first delta", *series(samples, _first_written), "")
        )
        rows.append(
            row(
                f"{label}: first text delta",
                *first,
                aim("first delta long before the upstream finishes", met),
            )
        )
        rows.append(row(f"{label}: upstream wrote its last chunk", *finished, ""))
        rows.append(row(f"{label}: whole response", *series(samples, whole), ""))
        notes.append(
            f"Paced, through cligate (medians): the client had the first text_delta at "
            f"{first_p50:.3f} ms; the upstream finished writing at {finished_p50:.3f} ms."
        )
    finally:
        for client in clients:
            client.close()
        for process in (proxy, upstream):
            process.terminate()
            process.wait(timeout=30)
    request_ms, stream_ms = in_process_costs(big, 100)
    notes.append(
        f"Pure translation in one process, no I/O (medians): the Claude Code request decoded and "
        f"encoded to Chat in {request_ms:.3f} ms; the {LONG_STREAM}-delta Chat stream translated "
        f"to Anthropic events, fed event by event, in {stream_ms:.3f} ms."
    )

    print(
        f"cligate translation benchmark: Anthropic client → cligate → Chat Completions upstream "
        f"({args.client} upstream client; {args.rounds}x{args.per_round} Claude Code requests, "
        f"{args.rounds}x{args.stream_per_round} {LONG_STREAM}-delta streams, {args.paced_runs} "
        f"paced streams per path{'; proxy under cProfile' if args.profile else ''})\n"
    )
    header = [
        "workload",
        "direct p50",
        "cligate p50",
        "added p50",
        "ratio",
        "direct p99",
        "cligate p99",
        "target",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for values in rows:
        print("| " + " | ".join(values) + " |")
    print("\nAll times in milliseconds from the moment the request is sent.")
    for note in notes:
        print(f"- {note}")
    print(f"- Run time: {time.perf_counter() - began:.1f} s.")
    if profile_dir is not None:
        print_profile(str(Path(profile_dir.name, "proxy.prof")), 30)
        profile_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
