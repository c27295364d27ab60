"""``cligate logs``: the latest request records, filtered, as lines or JSON; ``-f`` follows."""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Mapping
from typing import Any

from cligate.observe.query import RecordFilter, model_of


def main(
    follow: bool,
    tool: str | None,
    provider: str | None,
    errors: bool,
    as_json: bool,
    count: int,
) -> int:
    from cligate.config.paths import state_dir
    from cligate.observe.records import follow_records, read_records, records_path

    path = records_path(state_dir())
    wanted = RecordFilter(tool=tool, provider=provider, errors_only=errors)
    latest = deque((row for row in read_records(path) if wanted.matches(row)), maxlen=count)
    if not latest and not follow:
        print(f"no request records yet ({path})", file=sys.stderr)
        return 0
    show = _as_json if as_json else _as_line
    for row in latest:
        print(show(row), flush=True)
    if follow:
        try:
            for row in follow_records(path, stop=lambda: False):
                if wanted.matches(row):
                    print(show(row), flush=True)
        except KeyboardInterrupt:
            pass
    return 0


def _as_json(row: Mapping[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _as_line(row: Mapping[str, Any]) -> str:
    """``2026-11-30 12:00:01  claude  deepseek/deepseek-chat (key team)  200 ok  1.42 s …``"""
    when = str(row.get("time", "?"))[:19].replace("T", " ")
    route = f"{row.get('provider') or '-'}/{model_of(row)}"
    if row.get("key"):
        route += f" (key {row['key']})"
    parts = [
        when,
        str(row.get("tool", "?")),
        route,
        f"{row.get('status', '?')} {row.get('outcome', '?')}",
        _seconds(row.get("latency_ms")),
    ]
    tokens = row.get("tokens")
    if isinstance(tokens, Mapping):
        counts = f"in {tokens.get('input', 0)} out {tokens.get('output', 0)}"
        cached = tokens.get("cache_read", 0)
        if cached:
            counts += f" cached {cached}"
        parts.append(counts)
    cost = row.get("cost_usd")
    if isinstance(cost, int | float):
        parts.append(f"${cost:.4f}")
    attempts = row.get("attempts")
    if isinstance(attempts, list) and len(attempts) > 1:
        parts.append(f"{len(attempts)} attempts")
    line = "  ".join(parts)
    if row.get("error"):
        line += f"\n    {row['error']}"
    return line


def _seconds(ms: object) -> str:
    return f"{ms / 1000:.2f} s" if isinstance(ms, int | float) else "-"
