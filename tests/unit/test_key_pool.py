import pytest

from cligate.config.settings import ResolvedKey
from cligate.upstream.key_pool import KeyPool, cooldown_seconds

SECRETS = (
    "sk-ant-api03-SECRETVALUEAAAA1111",
    "sk-proj-SECRETVALUEBBBB2222",
    "AIzaSECRETVALUECCCC3333",
)
A = ResolvedKey(SECRETS[0], None, "primary")
B = ResolvedKey(SECRETS[1], "http://proxy.invalid:3128", "backup")
C = ResolvedKey(SECRETS[2], None, "…3333")
OTHER = ResolvedKey("sk-other-SECRETVALUEDDDD4444", None, "other")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pool(clock: FakeClock) -> KeyPool:
    return KeyPool({"p": (A, B, C), "solo": (OTHER,), "empty": ()}, clock=clock)


def test_round_robin_advances_one_key_per_call(pool: KeyPool) -> None:
    assert pool.keys_for("p", "m") == [A, B, C]
    assert pool.keys_for("p", "m") == [B, C, A]
    assert pool.keys_for("p", None) == [C, A, B]
    assert pool.keys_for("p", "m") == [A, B, C]


def test_rotation_is_per_provider(pool: KeyPool) -> None:
    assert pool.keys_for("p", "m") == [A, B, C]
    assert pool.keys_for("solo", "m") == [OTHER]
    assert pool.keys_for("solo", "m") == [OTHER]
    assert pool.keys_for("p", "m") == [B, C, A]


def test_unknown_and_empty_providers(pool: KeyPool) -> None:
    assert pool.keys_for("nope", "m") == []
    assert pool.keys_for("empty", "m") == []
    assert pool.unavailable("nope") == []
    assert pool.unavailable("empty") == []
    assert pool.ready_in("nope") is None
    assert pool.ready_in("empty") is None


def test_a_429_rests_that_key_only(pool: KeyPool, clock: FakeClock) -> None:
    assert pool.rate_limited("p", B, "m", None) == 30
    assert pool.keys_for("p", "m") == [A, C]
    assert pool.keys_for("p", "other-model") == [C, A]
    assert pool.keys_for("solo", "m") == [OTHER]
    assert pool.unavailable("p") == ["backup: cooling down for 30 s (429)"]
    clock.advance(17.5)
    assert pool.unavailable("p", "m") == ["backup: cooling down for 13 s (429)"]
    assert pool.ready_in("p") == 0.0
    clock.advance(12.5)  # exactly 30 s: over
    assert pool.keys_for("p", "m") == [C, A, B]
    assert pool.unavailable("p") == []


def test_a_per_model_429_rests_the_key_for_that_model_only(pool: KeyPool, clock: FakeClock) -> None:
    pool.rate_limited("p", A, "big", 20, per_model=True)
    assert pool.keys_for("p", "big") == [B, C]
    assert pool.keys_for("p", "small") == [B, C, A]
    assert pool.unavailable("p", "big") == ["primary: cooling down for 20 s (429)"]
    assert pool.unavailable("p", "small") == []
    assert pool.unavailable("p") == []
    clock.advance(20)
    assert A in pool.keys_for("p", "big")


def test_per_model_without_a_model_rests_the_whole_key(pool: KeyPool) -> None:
    pool.rate_limited("p", A, None, 20, per_model=True)
    assert A not in pool.keys_for("p", "anything")


def test_retry_after_is_bounded(pool: KeyPool, clock: FakeClock) -> None:
    assert pool.rate_limited("p", A, "m", 0.01) == 1
    assert pool.rate_limited("p", B, "m", 86400) == 300
    assert pool.rate_limited("p", C, "m", 7.2) == 7.2
    assert pool.unavailable("p") == [
        "primary: cooling down for 1 s (429)",
        "backup: cooling down for 300 s (429)",
        "…3333: cooling down for 8 s (429)",
    ]
    assert pool.keys_for("p", "m") == []
    assert pool.ready_in("p", "m") == 1
    clock.advance(1)
    assert pool.keys_for("p", "m") == [A]


def test_repeated_429s_double_the_default_until_a_success(pool: KeyPool, clock: FakeClock) -> None:
    waits = []
    for _ in range(6):
        waits.append(pool.rate_limited("p", A, "m", None))
        clock.advance(waits[-1])
    assert waits == [30, 60, 120, 240, 300, 300]
    pool.succeeded("p", A, "m")
    assert pool.rate_limited("p", A, "m", None) == 30


def test_a_retry_after_counts_in_the_streak(pool: KeyPool, clock: FakeClock) -> None:
    pool.rate_limited("p", A, "m", 5)
    clock.advance(5)
    assert pool.rate_limited("p", A, "m", None) == 60


def test_streaks_are_per_key_and_per_model_scope(pool: KeyPool, clock: FakeClock) -> None:
    pool.rate_limited("p", A, "m", None)
    assert pool.rate_limited("p", B, "m", None) == 30  # B's first
    assert pool.rate_limited("p", A, "big", None, per_model=True) == 30  # another scope
    clock.advance(30)
    pool.succeeded("p", A, "small")  # ends A's all-models streak, not its "big" one
    assert pool.rate_limited("p", A, "m", None) == 30
    assert pool.rate_limited("p", A, "big", None, per_model=True) == 60


def test_a_shorter_cooldown_does_not_cut_a_longer_one(pool: KeyPool) -> None:
    pool.rate_limited("p", A, "m", 100)
    pool.rate_limited("p", A, "m", 2)
    assert pool.unavailable("p") == ["primary: cooling down for 100 s (429)"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_out_for_the_run(pool: KeyPool, clock: FakeClock, status: int) -> None:
    pool.unauthorized("p", C, status)
    assert pool.keys_for("p", "m") == [A, B]
    clock.advance(10_000)
    pool.succeeded("p", C, "m")
    assert C not in pool.keys_for("p", "m")
    assert pool.unavailable("p") == [f"…3333: refused by the provider ({status})"]


def test_other_statuses_do_not_mark_a_key_bad(pool: KeyPool) -> None:
    for status in (400, 404, 429, 500):
        pool.unauthorized("p", A, status)
    assert A in pool.keys_for("p", "m")


def test_when_every_key_is_out(pool: KeyPool, clock: FakeClock) -> None:
    pool.unauthorized("p", A, 401)
    pool.rate_limited("p", B, "m", 12)
    pool.unauthorized("p", C, 403)
    assert pool.keys_for("p", "m") == []
    assert pool.unavailable("p", "m") == [
        "primary: refused by the provider (401)",
        "backup: cooling down for 12 s (429)",
        "…3333: refused by the provider (403)",
    ]
    assert pool.ready_in("p", "m") == 12
    pool.unauthorized("p", B, 401)
    assert pool.ready_in("p", "m") is None


def test_messages_never_hold_key_values(pool: KeyPool) -> None:
    pool.rate_limited("p", A, "m", None)
    pool.rate_limited("p", B, "m", 3, per_model=True)
    pool.unauthorized("p", C, 401)
    pool.unauthorized("solo", OTHER, 403)
    text = " ".join(
        [*pool.unavailable("p"), *pool.unavailable("p", "m"), *pool.unavailable("solo")]
    )
    text += repr(pool)
    assert "primary" in text and "backup" in text and "other" in text
    for secret in (*SECRETS, OTHER.value):
        assert secret not in text
        assert secret[-12:] not in text


def test_keys_are_known_by_label_and_value(pool: KeyPool) -> None:
    same = ResolvedKey(A.value, "http://elsewhere.invalid:8080", A.label)
    pool.rate_limited("p", same, "m", None)  # an equal key is the same key
    assert A not in pool.keys_for("p", "m")
    stranger = ResolvedKey("sk-not-in-the-pool", None, "primary")
    pool.rate_limited("p", stranger, "m", None)  # not in the pool: ignored
    pool.unauthorized("p", stranger, 401)
    pool.succeeded("p", stranger, "m")
    pool.rate_limited("nope", A, "m", None)
    assert pool.keys_for("p", "m") == [B, C]
    assert pool.unavailable("p") == ["primary: cooling down for 30 s (429)"]


def test_duplicate_labels_are_numbered(clock: FakeClock) -> None:
    first = ResolvedKey("short-secret-1", None, "****")
    second = ResolvedKey("short-secret-2", None, "****")
    pool = KeyPool({"p": (first, second)}, clock=clock)
    pool.unauthorized("p", second, 401)
    assert pool.keys_for("p", "m") == [first]
    assert pool.unavailable("p") == ["**** #2: refused by the provider (401)"]


def test_a_no_key_provider(clock: FakeClock) -> None:
    none = ResolvedKey("", None, "no key")
    pool = KeyPool({"local": (none,)}, clock=clock)
    assert pool.keys_for("local", "m") == [none]
    pool.rate_limited("local", none, "m", 5)
    assert pool.unavailable("local") == ["no key: cooling down for 5 s (429)"]


def test_cooldown_seconds() -> None:
    assert cooldown_seconds(None, 1) == 30
    assert cooldown_seconds(None, 0) == 30
    assert cooldown_seconds(None, 2) == 60
    assert cooldown_seconds(None, 10_000) == 300
    assert cooldown_seconds(0, 1) == 1
    assert cooldown_seconds(45, 9) == 45  # the provider's word over the streak
    assert cooldown_seconds(float("inf"), 1) == 30  # not a usable Retry-After
    assert cooldown_seconds(float("nan"), 1) == 30


def test_the_default_clock_works() -> None:
    pool = KeyPool({"p": (A,)})
    pool.rate_limited("p", A, None, 60)
    assert pool.keys_for("p", None) == []
