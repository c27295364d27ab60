"""``cligate usage``: requests, tokens, cost, error rate and median latency from the request
records, grouped by tool, provider, model or day."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from cligate.observe.query import GroupBy, RecordFilter, UsageSummary, parse_span, summarize


def main(by: str, since: str | None, as_json: bool) -> int:
    from cligate.config.paths import state_dir
    from cligate.observe.records import read_records, records_path

    try:
        group = GroupBy(by)
        start = datetime.now(UTC) - parse_span(since) if since else None
    except ValueError as exc:
        known = ", ".join(g.value for g in GroupBy)
        print(f"cligate: {exc}" if since else f"cligate: --by takes {known}", file=sys.stderr)
        return 2
    wanted = RecordFilter(since=start)
    rows = (row for row in read_records(records_path(state_dir())) if wanted.matches(row))
    groups, total = summarize(rows, group)
    if as_json:
        report = {
            "by": group.value,
            "since": since,
            "groups": [g.as_dict() for g in groups],
            "total": total.as_dict(),
        }
        print(json.dumps(report, indent=2))
        return 0
    if not total.requests:
        print("no requests recorded" + (f" in the last {since}" if since else ""))
        return 0
    _print_table(group, groups, total, since)
    return 0


def _print_table(
    group: GroupBy, groups: list[UsageSummary], total: UsageSummary, since: str | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    title = "cligate usage" + (f", last {since}" if since else "")
    table = Table(title=title, show_footer=len(groups) > 1)
    columns = ("requests", "errors", "input", "output", "cached", "cost", "median latency")
    footer = _cells(total)
    table.add_column(group.value, footer=footer[0])
    for number, name in enumerate(columns, 1):
        table.add_column(name, justify="right", footer=footer[number])
    for summary in groups:
        table.add_row(*_cells(summary))
    Console().print(table)


def _cells(summary: UsageSummary) -> list[str]:
    cost = "unknown" if summary.cost_usd is None else f"${summary.cost_usd:,.4f}"
    if summary.cost_usd is not None and summary.unpriced:
        cost += f" (+{summary.unpriced} unpriced)"
    latency = summary.median_latency_ms
    return [
        summary.key,
        f"{summary.requests:,}",
        f"{summary.errors:,} ({summary.error_rate:.0%})",
        f"{summary.input_tokens:,}",
        f"{summary.output_tokens:,}",
        f"{summary.cache_read_tokens:,}",
        cost,
        "-" if latency is None else f"{latency / 1000:.2f} s",
    ]
