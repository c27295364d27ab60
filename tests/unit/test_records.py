"""The request-record file: batched appends, mode 0600, size rotation shared by several runs,
and a broken disk that costs records, never requests."""

from __future__ import annotations

import asyncio
import logging
import stat
from pathlib import Path

import pytest

from cligate.observe.records import (
    FLUSH_SECONDS,
    KEEP_ROTATED,
    RecordLog,
    RequestRecord,
    read_records,
    rotated_paths,
)
from cligate.observe.usage import TokenCounts


def record(n: int) -> RequestRecord:
    return RequestRecord(
        time="2026-11-30T12:00:00.000+00:00",
        run="r",
        tool="claude",
        client_protocol="anthropic",
        method="POST",
        path="/v1/messages",
        requested_model=f"m{n}",
        tokens=TokenCounts(input=n, output=2 * n),
    )


def test_records_are_written_as_json_lines_readable_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "requests.jsonl"
    log = RecordLog(path)
    for n in range(3):
        log.add(record(n))  # no event loop: written at once
    log.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(read_records(path))
    assert [r["requested_model"] for r in rows] == ["m0", "m1", "m2"]
    assert rows[2]["tokens"] == {
        "input": 2,
        "output": 4,
        "cache_read": 0,
        "cache_write": 0,
        "reasoning": 0,
    }


def test_inside_a_loop_records_wait_for_one_batched_write(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"

    async def scenario() -> tuple[int, int]:
        log = RecordLog(path)
        for n in range(50):
            log.add(record(n))
        before = len(list(read_records(path)))
        await asyncio.sleep(FLUSH_SECONDS * 2)
        after = len(list(read_records(path)))
        log.close()
        return before, after

    assert asyncio.run(scenario()) == (0, 50)


def test_the_file_rotates_by_size_and_keeps_a_bounded_number(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    log = RecordLog(path, max_bytes=2000)
    for n in range(200):
        log.add(record(n))
    log.close()
    existing = [p for p in rotated_paths(path) if p.exists()]
    assert KEEP_ROTATED <= len(existing) <= KEEP_ROTATED + 1
    assert all(p.stat().st_size < 2000 + 400 for p in existing)
    models = [r["requested_model"] for r in read_records(path)]
    assert models == sorted(models, key=lambda m: int(m[1:]))  # oldest first, in order
    assert models[-1] == "m199"  # the newest survived; the oldest fell off
    assert "m0" not in models


def test_a_run_whose_file_was_rotated_by_another_run_follows_it(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    first, second = RecordLog(path, max_bytes=10**9), RecordLog(path, max_bytes=1)
    first.add(record(1))
    second.add(record(2))  # over its tiny limit: rotates the shared file
    first.add(record(3))  # must land in the new file, not the rotated one
    first.close()
    second.close()
    assert [r["requested_model"] for r in read_records(path)] == ["m1", "m2", "m3"]
    assert [r["requested_model"] for r in read_records(path) if path.exists()][-1] == "m3"
    assert path.read_text().count("\n") == 1


def test_a_broken_disk_costs_records_not_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    log = RecordLog(blocker / "requests.jsonl")
    with caplog.at_level(logging.WARNING, logger="cligate.records"):
        for n in range(5):
            log.add(record(n))
        log.close()
    assert len([r for r in caplog.records if "cannot be written" in r.message]) == 1


def test_half_written_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    log = RecordLog(path)
    log.add(record(1))
    log.close()
    with path.open("ab") as handle:
        handle.write(b'{"time": "2026-11-30T12:00:01", "run": "killed mid-wr')
    assert [r["requested_model"] for r in read_records(path)] == ["m1"]
