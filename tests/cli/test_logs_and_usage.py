"""``cligate logs`` and ``cligate usage`` over a records file written by the real writer."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cligate.cli.app import run_app
from cligate.observe.query import GroupBy, parse_span, summarize
from cligate.observe.records import RecordLog, RequestRecord, follow_records, read_records
from cligate.observe.usage import TokenCounts

NOW = datetime.now(UTC)


def make(
    n: int,
    *,
    tool: str = "claude",
    provider: str = "deepseek",
    model: str = "deepseek-chat",
    age: timedelta = timedelta(minutes=5),
    outcome: str = "ok",
    status: int = 200,
    cost: float | None = 0.001,
    latency: float = 1000.0,
) -> RequestRecord:
    return RequestRecord(
        time=(NOW - age).isoformat(timespec="milliseconds"),
        run="r1",
        tool=tool,
        client_protocol="anthropic",
        method="POST",
        path="/v1/messages",
        requested_model="claude-sonnet",
        provider=provider,
        upstream_model=model,
        key="team",
        status=status,
        outcome=outcome,
        error="provider 'deepseek' answered 500" if outcome != "ok" else None,
        latency_ms=latency,
        tokens=TokenCounts(input=100 * n, output=10 * n, cache_read=n) if outcome == "ok" else None,
        cost_usd=cost if outcome == "ok" else None,
    )


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLIGATE_STATE_DIR", str(tmp_path / "state"))
    log = RecordLog(tmp_path / "state" / "requests.jsonl")
    log.add(make(1, latency=500))
    log.add(make(2, latency=1500))
    log.add(make(3, tool="codex", provider="qwen", model="qwen3-coder", cost=None))
    log.add(make(4, outcome="error", status=500))
    log.add(make(5, age=timedelta(days=10)))  # outside --since 7d
    log.close()
    return tmp_path / "state" / "requests.jsonl"


def test_usage_by_provider_sums_what_the_records_say(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["usage", "--by", "provider", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    groups = {g["key"]: g for g in report["groups"]}
    deepseek = groups["deepseek"]
    assert deepseek["requests"] == 4 and deepseek["errors"] == 1
    assert deepseek["input_tokens"] == 100 * (1 + 2 + 5)
    assert deepseek["output_tokens"] == 10 * (1 + 2 + 5)
    assert deepseek["cost_usd"] == pytest.approx(0.003)
    assert deepseek["error_rate"] == 0.25
    qwen = groups["qwen"]
    assert qwen["cost_usd"] is None and qwen["unpriced_requests"] == 1  # unknown, not $0
    total = report["total"]
    records = list(read_records(state))
    assert total["requests"] == len(records) == 5
    assert total["input_tokens"] == sum(r["tokens"]["input"] for r in records if r["tokens"])


def test_usage_since_leaves_older_records_out(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["usage", "--by", "day", "--since", "7d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"]["requests"] == 4
    assert [g["key"] for g in report["groups"]] == [(NOW - timedelta(minutes=5)).date().isoformat()]


def test_usage_table_shows_each_group_and_the_total(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["usage", "--by", "tool"]) == 0
    out = capsys.readouterr().out
    assert "claude" in out and "codex" in out
    assert "800" in out  # claude's input tokens: 100 + 200 + 500
    assert "unknown" in out  # codex's only request has no known price


def test_usage_rejects_a_bad_span_or_grouping(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["usage", "--since", "a week"]) == 2
    assert "30m, 24h, 7d or 2w" in capsys.readouterr().err
    assert run_app(["usage", "--by", "colour"]) == 2


def test_logs_filters_and_prints_one_line_per_request(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["logs", "--errors"]) == 0
    out = capsys.readouterr().out
    assert out.count("deepseek/deepseek-chat") == 1 and "500 error" in out
    assert "answered 500" in out  # the error's words, on the next line
    assert run_app(["logs", "--tool", "codex", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["provider"] == "qwen"
    assert run_app(["logs", "-n", "2"]) == 0
    assert len([ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith(" ")]) == 2


def test_logs_with_no_records_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLIGATE_STATE_DIR", str(tmp_path / "empty"))
    assert run_app(["logs"]) == 0
    assert "no request records yet" in capsys.readouterr().err


def test_follow_sees_new_records_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    writer = RecordLog(path, max_bytes=1500)
    writer.add(make(0))  # before following: not shown
    seen: list[str] = []
    done = threading.Event()

    def follow() -> None:
        for row in follow_records(path, stop=done.is_set, poll_seconds=0.02):
            seen.append(row["upstream_model"])
            if len(seen) == 6:
                done.set()

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.2)
    for n in range(1, 7):
        writer.add(make(n, model=f"m{n}"))  # rotates along the way
        time.sleep(0.1)
    follower.join(5)
    done.set()
    writer.close()
    assert seen == [f"m{n}" for n in range(1, 7)]


def test_spans_and_grouping_by_model() -> None:
    assert parse_span("7d") == timedelta(days=7) and parse_span("30m") == timedelta(minutes=30)
    rows = [json.loads(make(1).to_json()) for _ in range(2)]
    groups, total = summarize(rows, GroupBy.MODEL)
    assert [(g.key, g.requests) for g in groups] == [("deepseek-chat", 2)]
    assert total.median_latency_ms == 1000.0
