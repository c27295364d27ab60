"""``cligate doctor``: print the findings as a readable report or as JSON.

Everything heavy is imported inside ``main``: this module is loaded only when doctor runs, but
it must not slow down anything that imports the command line.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from cligate.control.doctor_finding import Finding

MARKERS = {"ok": "ok  ", "info": "info", "warn": "warn", "fail": "FAIL"}


class Spinner:
    """A one-character spinner on a terminal's stderr while the checks run; erased after."""

    FRAMES = "|/-\\"

    def __init__(self, stream: TextIO, text: str = "checking…") -> None:
        self._stream = stream
        self._text = text
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._spin, name="doctor-spinner", daemon=True)

    def _spin(self) -> None:
        frame = 0
        while not self._done.wait(0.1):
            self._stream.write(f"\r{self.FRAMES[frame % len(self.FRAMES)]} {self._text}")
            self._stream.flush()
            frame += 1

    def __enter__(self) -> Spinner:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()
        self._stream.write("\r\x1b[2K")  # erase the spinner's line
        self._stream.flush()


def render_text(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        lines.append(f"{MARKERS[finding.status]}  {finding.summary}")
        if finding.fix and finding.status != "ok":
            lines.append(f"      fix: {finding.fix}")
    counts = {status: 0 for status in MARKERS}
    for finding in findings:
        counts[finding.status] += 1
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return "\n".join(lines)


def render_json(findings: list[Finding]) -> str:
    import json

    from cligate.control.doctor import report_is_ok

    document = {"findings": [f.as_dict() for f in findings], "ok": report_is_ok(findings)}
    return json.dumps(document, indent=2, ensure_ascii=False)


def main(as_json: bool, offline: bool) -> int:
    """Run every check; print the report; 1 if any finding is a failure, else 0."""
    import contextlib
    import os

    from cligate.control.doctor import DoctorInputs, collect_findings, report_is_ok

    inputs = DoctorInputs.from_environment(os.environ)
    # Only for a person watching: never in JSON, in a pipe or in a log.
    spin = not as_json and sys.stdout.isatty() and sys.stderr.isatty()
    waiting = Spinner(sys.stderr) if spin else contextlib.nullcontext()
    with waiting:
        findings = collect_findings(inputs, offline=offline)
    print(render_json(findings) if as_json else render_text(findings))
    return 0 if report_is_ok(findings) else 1
