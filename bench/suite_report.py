"""The rows of bench/suite.py's table: a value per path, the issue's target, met or missed."""

from __future__ import annotations

import os
import platform
import pstats
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.run import percentile

MiB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    metric: str
    unit: str
    direct: float  # the same measure without cligate (see the notes for what it is per row)
    cligate: float
    target: str = "report"
    met: bool | None = None  # None: no target, reported only

    @property
    def verdict(self) -> str:
        return {None: "report", True: "met", False: "MISSED"}[self.met]


def added_at_most(metric: str, unit: str, direct: float, cligate: float, limit: float) -> Row:
    return Row(
        metric, unit, direct, cligate, f"added ≤ {limit:g} {unit}", cligate - direct <= limit
    )


def at_least(metric: str, unit: str, direct: float, cligate: float, limit: float) -> Row:
    return Row(metric, unit, direct, cligate, f"≥ {limit:,g} {unit}", cligate >= limit)


def at_most(metric: str, unit: str, direct: float, cligate: float, limit: float) -> Row:
    return Row(metric, unit, direct, cligate, f"≤ {limit:g} {unit}", cligate <= limit)


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    return percentile(values, 0.99)


def _number(value: float, unit: str) -> str:
    if unit in ("ms", "s"):
        return f"{value:.3f}"
    if unit == "MiB":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _added(row: Row) -> str:
    difference = row.cligate - row.direct
    text = _number(difference, row.unit)
    return text if text.startswith("-") else "+" + text


def table(rows: list[Row]) -> str:
    header = ["metric", "unit", "DIRECT", "cligate", "added", "ratio", "target", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ratio = f"{row.cligate / row.direct:.2f}x" if row.direct else "n/a"
        cells = [
            row.metric,
            row.unit,
            _number(row.direct, row.unit),
            _number(row.cligate, row.unit),
            _added(row),
            ratio,
            row.target,
            row.verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_profile(path: Path, lines: int) -> None:
    stats = pstats.Stats(str(path))
    stats.strip_dirs()
    print("\ncligate under cProfile (the whole run), by own time:\n```")
    stats.sort_stats("tottime").print_stats(lines)
    print("```")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    names = [line for line in lines if line.startswith("model name")]
    if names:
        cpu = names[0].split(":", 1)[1].strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
