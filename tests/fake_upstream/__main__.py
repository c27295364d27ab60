"""Run the fake upstream as a process: prints its base URL on line 1, serves until SIGTERM.

python -m tests.fake_upstream --port 0 --api-key K --script text:"hi"
python -m tests.fake_upstream --script shell:"cat token.txt" --fault http:503
python -m tests.fake_upstream --script parallel:"printf A > a.txt ;; cat token.txt"
python -m tests.fake_upstream --script patch:"notes.txt:written by apply_patch"
python -m tests.fake_upstream --script counted:1000 --fault reset:5
"""

from __future__ import annotations

import argparse
import signal
import sys

from .model import (
    BadSseData,
    CutMidUtf8,
    CutStream,
    Fault,
    Hang,
    HttpError,
    MalformedJson,
    Reset,
    SlowFirstByte,
    UnterminatedEvent,
)
from .scripts import (
    CountedChunks,
    PatchFile,
    Script,
    ShellCommands,
    ShellRoundTrip,
    TextReply,
)
from .server import FakeUpstream

COMMAND_SEPARATOR = " ;; "


def parse_script(spec: str) -> Script:
    """`text:WORDS`, `shell:COMMAND`, `patch:PATH:TEXT` (apply_patch adds PATH holding TEXT),
    `counted:N` (N numbered chunks, one per SSE event; `counted-by-model:N` puts the model name
    before each), or `parallel:`/`steps:` with commands
    joined by " ;; " (all in one turn, or one per turn)."""
    kind, sep, value = spec.partition(":")
    if sep and kind == "text":
        return TextReply(value)
    if sep and kind in ("counted", "counted-by-model") and value.isdigit() and int(value) > 0:
        return CountedChunks(int(value), by_model=kind == "counted-by-model")
    if sep and kind == "shell":
        return ShellRoundTrip(value)
    path, has_text, text = value.partition(":")
    if sep and kind == "patch" and path and has_text:
        return PatchFile(path=path, text=text)
    commands = tuple(c.strip() for c in value.split(COMMAND_SEPARATOR) if c.strip())
    if sep and kind in ("parallel", "steps") and commands:
        return ShellCommands(commands, parallel=kind == "parallel")
    raise argparse.ArgumentTypeError(
        "script must be text:WORDS, shell:COMMAND, patch:PATH:TEXT, counted:N, parallel:CMDS "
        f"or steps:CMDS, not {spec!r}"
    )


def parse_fault(spec: str) -> Fault:
    """`http:STATUS[:MESSAGE]`, `cut:N`, `hang:SECONDS`, `slow:SECONDS`, `reset:N` (a TCP RST
    after N events; 0 = before the first byte), `bad-json`, `bad-sse:N` (a non-JSON data line
    after N events), `unterminated[:INDEX]` (an event without its blank line; default the last)
    or `cut-utf8` (close inside the first multi-byte character)."""
    kind, _, rest = spec.partition(":")
    simple: dict[str, Fault] = {"bad-json": MalformedJson(), "cut-utf8": CutMidUtf8()}
    if kind in simple and not rest:
        return simple[kind]
    try:
        if kind == "reset":
            return Reset(int(rest or 0))
        if kind == "bad-sse":
            return BadSseData(int(rest or 1))
        if kind == "unterminated":
            return UnterminatedEvent(int(rest or -1))
        if kind == "http":
            status, _, message = rest.partition(":")
            return HttpError(int(status), message or "injected error")
        if kind == "cut":
            return CutStream(int(rest))
        if kind == "hang":
            return Hang(float(rest))
        if kind == "slow":
            return SlowFirstByte(float(rest))
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"bad fault {spec!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_upstream")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None, help="required key (default: no auth)")
    parser.add_argument(
        "--script",
        type=parse_script,
        default=TextReply("hi"),
        help=(
            "text:WORDS, shell:COMMAND, patch:PATH:TEXT, counted:N, parallel:CMD ;; CMD or "
            "steps:CMD ;; CMD (default text:hi)"
        ),
    )
    parser.add_argument(
        "--fault",
        type=parse_fault,
        default=None,
        help=(
            "http:STATUS[:MESSAGE], cut:N, hang:SECONDS, slow:SECONDS, reset:N, bad-json, "
            "bad-sse:N, unterminated[:INDEX] or cut-utf8"
        ),
    )
    parser.add_argument(
        "--stream-delay", type=float, default=0.0, help="seconds between SSE events (default 0)"
    )
    args = parser.parse_args(argv)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    # Block before the server thread starts so only sigwait() below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    upstream = FakeUpstream(
        api_key=args.api_key,
        script=args.script,
        fault=args.fault,
        port=args.port,
        stream_delay=args.stream_delay,
    )
    with upstream:
        sys.stdout.write(upstream.base_url + "\n")
        sys.stdout.flush()
        signal.sigwait(stop_signals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
