"""bench/suite.py --quick runs end to end and prints the whole table.

Structure only: every row is there with numbers and a verdict. No timing is asserted (the
numbers belong to docs/performance.md, not to a test that a busy machine could fail).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.suite import METRICS

REPO = Path(__file__).resolve().parents[1]
VERDICTS = {"met", "MISSED", "report"}


def _number(cell: str) -> float:
    return float(cell.replace(",", "").removesuffix("x"))


@pytest.mark.timeout(180)
def test_quick_suite_prints_every_row() -> None:
    # Its own session, so a run that hangs is ended with everything it started.
    suite = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "suite.py"), "--quick"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = suite.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(suite.pid, signal.SIGKILL)
        suite.communicate()
        raise
    assert suite.returncode == 0, stderr[-3000:]
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 8 and cells[0] != "metric":
            rows[cells[0]] = cells
    missing = [metric for metric in METRICS if metric not in rows]
    assert not missing, stdout
    for metric, (_, unit, direct, through, added, ratio, target, verdict) in rows.items():
        assert unit in {"ms", "s", "req/s", "chunks/s", "MiB", "µs"}, metric
        for cell in (direct, through, added):
            _number(cell)  # raises on anything but a number
        assert ratio == "n/a" or _number(ratio) >= 0, metric
        assert target and verdict in VERDICTS, metric
        assert (verdict == "report") == (target == "report"), metric
