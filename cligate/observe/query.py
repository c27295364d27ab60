"""Reading request records back: filters for ``cligate logs`` and sums for ``cligate usage``.

Records are dicts as read from the file (written by ``observe/records.py``); every field is
read defensively, since files written by older versions may lack some.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

Row = Mapping[str, Any]

_SPAN = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_span(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w`` → a timedelta; ``ValueError`` otherwise."""
    match = _SPAN.fullmatch(text)
    if match is None:
        raise ValueError(f"'{text}' is not a time span such as 30m, 24h, 7d or 2w")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def record_time(row: Row) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(row.get("time")))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def model_of(row: Row) -> str:
    return str(row.get("upstream_model") or row.get("requested_model") or "?")


def is_error(row: Row) -> bool:
    return row.get("outcome", "ok") in ("error", "broken")


@dataclass(frozen=True, slots=True)
class RecordFilter:
    tool: str | None = None
    provider: str | None = None
    errors_only: bool = False
    since: datetime | None = None

    def matches(self, row: Row) -> bool:
        if self.tool is not None and row.get("tool") != self.tool:
            return False
        if self.provider is not None and row.get("provider") != self.provider:
            return False
        if self.errors_only and not is_error(row):
            return False
        if self.since is not None:
            moment = record_time(row)
            if moment is None or moment < self.since:
                return False
        return True


class GroupBy(StrEnum):
    TOOL = "tool"
    PROVIDER = "provider"
    MODEL = "model"
    DAY = "day"


_KEYS: dict[GroupBy, Callable[[Row], str]] = {
    GroupBy.TOOL: lambda row: str(row.get("tool") or "?"),
    GroupBy.PROVIDER: lambda row: str(row.get("provider") or "(none)"),
    GroupBy.MODEL: model_of,
    GroupBy.DAY: lambda row: str(row.get("time") or "?")[:10],
}


@dataclass(slots=True)
class UsageSummary:
    key: str
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None  # the sum of the known costs; None: none was known
    unpriced: int = 0  # requests with tokens but no known price
    latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def median_latency_ms(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    def add(self, row: Row) -> None:
        self.requests += 1
        self.errors += is_error(row)
        tokens = row.get("tokens")
        if isinstance(tokens, Mapping):
            self.input_tokens += _int(tokens.get("input"))
            self.output_tokens += _int(tokens.get("output"))
            self.cache_read_tokens += _int(tokens.get("cache_read"))
            self.cache_write_tokens += _int(tokens.get("cache_write"))
            self.reasoning_tokens += _int(tokens.get("reasoning"))
            cost = row.get("cost_usd")
            if isinstance(cost, int | float):
                self.cost_usd = (self.cost_usd or 0.0) + cost
            else:
                self.unpriced += 1
        latency = row.get("latency_ms")
        if isinstance(latency, int | float):
            self.latencies.append(float(latency))

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "unpriced_requests": self.unpriced,
            "median_latency_ms": self.median_latency_ms,
        }


def summarize(rows: Iterable[Row], by: GroupBy) -> tuple[list[UsageSummary], UsageSummary]:
    """One summary per group (busiest first; days in order) and the total."""
    key_of = _KEYS[by]
    groups: dict[str, UsageSummary] = {}
    total = UsageSummary("total")
    for row in rows:
        key = key_of(row)
        group = groups.get(key)
        if group is None:
            group = groups[key] = UsageSummary(key)
        group.add(row)
        total.add(row)
    ordered = sorted(groups.values(), key=lambda g: (-g.requests, g.key))
    if by is GroupBy.DAY:
        ordered = sorted(groups.values(), key=lambda g: g.key)
    return ordered, total


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
