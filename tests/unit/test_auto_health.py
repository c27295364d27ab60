"""What auto knows of each model's health: this run's attempts and the last hour of records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cligate.config.settings import AuthStyle, PriceEntry, ProviderSettings, ResolvedKey, Settings
from cligate.observe.records import RecordLog, RequestRecord
from cligate.observe.usage import TokenCounts
from cligate.protocols.kinds import WireProtocol
from cligate.routing.auto import Needs, Policy
from cligate.routing.auto_plan import AutoRouter, learn_from_records
from cligate.routing.health import HealthBook

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(provider: str, model: str, minutes_ago: float, ok: bool = True,
           ttfb: float = 300.0, output: int = 100, latency: float = 2300.0,
           run: str = "earlier") -> RequestRecord:  # fmt: skip
    return RequestRecord(
        time=(NOW - timedelta(minutes=minutes_ago)).isoformat(),
        run=run,
        tool="claude",
        client_protocol="anthropic",
        method="POST",
        path="/v1/messages",
        provider=provider,
        upstream_model=model,
        status=200 if ok else 503,
        outcome="ok" if ok else "error",
        ttfb_ms=ttfb,
        latency_ms=latency,
        tokens=TokenCounts(input=10, output=output),
    )


def write(path: Path, *records: RequestRecord) -> None:
    log = RecordLog(path)
    for item in records:
        log.add(item)
    log.close()


def test_this_runs_attempts_give_first_byte_and_failing() -> None:
    clock = Clock()
    book = HealthBook(clock)
    for ttfb in (100.0, 300.0, 200.0):
        book.note("p", "m", ok=True, ttfb_ms=ttfb)
    assert book.health("p", "m").ttfb_ms == 200.0 and not book.health("p", "m").failing
    for _ in range(3):
        book.note("p", "m", ok=False, ttfb_ms=None)
    assert book.health("p", "m").failing
    book.note("p", "m", ok=True, ttfb_ms=150.0)
    assert not book.health("p", "m").failing  # one success ends the run of failures
    clock.now += 3601
    assert book.health("p", "m").ttfb_ms is None  # an hour later nothing counts


def test_the_book_keeps_the_most_recently_used_models_only() -> None:
    """A client naming a new model on every request (the soak does) must not grow the book
    for the life of the run; a model in use is never the one dropped."""
    from cligate.routing.health import _MODELS_KEPT

    book = HealthBook(Clock())
    book.note("p", "in-use", ok=True, ttfb_ms=50.0)
    for number in range(_MODELS_KEPT * 3):
        book.note("p", f"model-{number}", ok=True, ttfb_ms=100.0)
        book.note("p", "in-use", ok=True, ttfb_ms=50.0)
    assert len(book._seen) == _MODELS_KEPT
    assert book.health("p", "in-use").ttfb_ms == 50.0
    assert book.health("p", "model-0").ttfb_ms is None  # dropped long ago
    assert book.health("p", f"model-{_MODELS_KEPT * 3 - 1}").ttfb_ms == 100.0


def test_the_last_hour_of_records_is_learned_and_older_ones_are_not(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    write(
        path,
        record("fast", "f", 5, ttfb=100, output=300, latency=1100),  # 300 tokens in 1 s
        record("fast", "f", 4, ttfb=140, output=300, latency=1140),
        record("slow", "s", 3, ttfb=900, output=100, latency=2900),  # 50 tokens/s
        record("flaky", "x", 3, ok=False),
        record("flaky", "x", 2, ok=False),
        record("flaky", "x", 1, ok=False),
        record("old", "o", 90, ttfb=10),  # more than an hour ago
        record("mine", "m", 1, ttfb=10, run="this-run"),  # this run's own
    )
    book = HealthBook()
    used = learn_from_records(book, path, skip_run="this-run", now=NOW.timestamp())
    assert used == 6
    fast = book.health("fast", "f")
    assert fast.ttfb_ms == 140.0 and fast.tokens_per_second == 300.0
    assert book.health("slow", "s").tokens_per_second == 50.0
    assert book.health("flaky", "x").failing
    assert book.health("old", "o").ttfb_ms is None
    assert book.health("mine", "m").ttfb_ms is None


def test_a_missing_records_file_teaches_nothing(tmp_path: Path) -> None:
    assert learn_from_records(HealthBook(), tmp_path / "none.jsonl") == 0


def test_fastest_follows_what_the_records_measured(tmp_path: Path) -> None:
    def provider(name: str) -> ProviderSettings:
        return ProviderSettings(
            name, WireProtocol.ANTHROPIC, "https://x", auth=AuthStyle.X_API_KEY,
            models=(f"{name}-model",), pricing=(("*", PriceEntry(1.0, 2.0)),),
        )  # fmt: skip

    settings = Settings(providers={"a": provider("a"), "b": provider("b")})
    key = (ResolvedKey("k", None, "k"),)
    path = tmp_path / "requests.jsonl"
    write(path, record("b", "b-model", 2, ttfb=80), record("a", "a-model", 2, ttfb=700))
    book = HealthBook()
    learn_from_records(book, path, now=NOW.timestamp())
    router = AutoRouter(settings, {"a": key, "b": key}, book)
    assert [c.model for c in router.rank(Policy.FASTEST, Needs()).ranked] == [
        "b-model",
        "a-model",
    ]
