import pytest

from cligate.errors import (
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from cligate.upstream.retry_policy import (
    RetryPolicy,
    Verdict,
    decide,
    delay,
    is_context_length_error,
    move_on,
    retry_after_seconds,
    within_budget,
)

POLICY = RetryPolicy()
R, K, T, A = Verdict.RETRY, Verdict.NEXT_KEY, Verdict.NEXT_TARGET, Verdict.ANSWER

# status, attempt, keys_left → verdict, before any output (attempts_per_key = 2)
STATUS_TABLE = [
    # success and other non-errors pass through
    (200, 1, 0, A),
    (200, 1, 3, A),
    (204, 2, 0, A),
    (304, 1, 1, A),
    # client errors: never retried, never another key
    (400, 1, 2, A),
    (404, 1, 2, A),
    (405, 1, 0, A),
    (409, 1, 2, A),
    (413, 1, 2, A),
    (422, 2, 2, A),
    # not in either list: passed on as it is
    (408, 1, 2, A),
    (418, 1, 0, A),
    (501, 1, 2, A),
    # a refused key: another key if there is one, else the refusal as it is
    (401, 1, 1, K),
    (401, 1, 0, A),
    (403, 1, 2, K),
    (403, 2, 0, A),
    # 429: another key at once; alone, one retry then the next target
    (429, 1, 1, K),
    (429, 2, 1, K),
    (429, 1, 0, R),
    (429, 2, 0, T),
    (429, 3, 0, T),
    # retriable server errors: retry the key, then the next key, then the next target
    *[(status, 1, 0, R) for status in (500, 502, 503, 504, 529)],
    *[(status, 1, 2, R) for status in (500, 502, 503, 504, 529)],
    *[(status, 2, 1, K) for status in (500, 502, 503, 504, 529)],
    *[(status, 2, 0, T) for status in (500, 502, 503, 504, 529)],
]


@pytest.mark.parametrize(("status", "attempt", "keys_left", "expected"), STATUS_TABLE)
def test_status_before_output(status: int, attempt: int, keys_left: int, expected: Verdict) -> None:
    verdict = decide(
        POLICY,
        status=status,
        error=None,
        attempt=attempt,
        keys_left=keys_left,
        output_started=False,
    )
    assert verdict is expected


@pytest.mark.parametrize(("status", "attempt", "keys_left", "expected"), STATUS_TABLE)
def test_nothing_is_retried_once_output_started(
    status: int, attempt: int, keys_left: int, expected: Verdict
) -> None:
    verdict = decide(
        POLICY,
        status=status,
        error=None,
        attempt=attempt,
        keys_left=keys_left,
        output_started=True,
    )
    assert verdict is A


TRANSPORT_ERRORS = [
    UpstreamUnreachableError("connection refused"),
    UpstreamTimeoutError("no answer in 10 s"),
    UpstreamProtocolError("connection closed before the head"),
    UpstreamError("something else at the edge"),
]


@pytest.mark.parametrize("error", TRANSPORT_ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    ("attempt", "keys_left", "output_started", "expected"),
    [
        (1, 0, False, R),
        (1, 2, False, R),
        (2, 2, False, K),
        (2, 0, False, T),
        (5, 0, False, T),
        (1, 0, True, A),
        (1, 2, True, A),
        (2, 0, True, A),
    ],
)
def test_transport_failures(
    error: UpstreamError, attempt: int, keys_left: int, output_started: bool, expected: Verdict
) -> None:
    verdict = decide(
        POLICY,
        status=None,
        error=error,
        attempt=attempt,
        keys_left=keys_left,
        output_started=output_started,
    )
    assert verdict is expected


@pytest.mark.parametrize("status", [400, 413, 429, 500, 503])
@pytest.mark.parametrize("keys_left", [0, 2])
def test_a_context_length_error_is_answered_whatever_its_status(
    status: int, keys_left: int
) -> None:
    verdict = decide(
        POLICY,
        status=status,
        error=None,
        attempt=1,
        keys_left=keys_left,
        output_started=False,
        context_length=True,
    )
    assert verdict is A


def test_more_attempts_per_key() -> None:
    policy = RetryPolicy(attempts_per_key=3)
    verdicts = [
        decide(policy, status=503, error=None, attempt=n, keys_left=1, output_started=False)
        for n in (1, 2, 3)
    ]
    assert verdicts == [R, R, K]
    single = RetryPolicy(attempts_per_key=1)
    assert decide(single, status=503, error=None, attempt=1, keys_left=0, output_started=False) is T


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(None, R), (0.0, R), (8.0, R), (8.5, T), (60.0, T)]
)
def test_a_retry_after_longer_than_max_delay_moves_on(
    retry_after: float | None, expected: Verdict
) -> None:
    for status in (429, 503):
        verdict = decide(
            POLICY,
            status=status,
            error=None,
            attempt=1,
            keys_left=0,
            output_started=False,
            retry_after=retry_after,
        )
        assert verdict is expected


def test_decide_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        decide(POLICY, status=None, error=None, attempt=1, keys_left=0, output_started=False)
    with pytest.raises(ValueError):
        decide(POLICY, status=500, error=None, attempt=0, keys_left=0, output_started=False)


def test_move_on() -> None:
    assert move_on(1) is K
    assert move_on(0) is T


def test_policy_defaults_and_validation() -> None:
    assert POLICY.attempts_per_key == 2
    assert POLICY.max_total_wait == 30
    assert (POLICY.base_delay, POLICY.max_delay) == (0.5, 8)
    assert POLICY.retriable_statuses == {429, 500, 502, 503, 504, 529}
    assert POLICY.never_retry == {400, 401, 403, 404, 405, 409, 413, 422}
    with pytest.raises(ValueError):
        RetryPolicy(attempts_per_key=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=10, max_delay=8)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_wait=-1)
    with pytest.raises(ValueError):
        RetryPolicy(never_retry=frozenset({429}))


# --- delays ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (1000, 8.0)],
)
def test_full_jitter_stays_within_the_exponential_ceiling(attempt: int, ceiling: float) -> None:
    assert delay(POLICY, attempt, None, lambda: 0.0) == 0.0
    assert delay(POLICY, attempt, None, lambda: 0.5) == pytest.approx(ceiling / 2)
    top = delay(POLICY, attempt, None, lambda: 0.999999)
    assert ceiling * 0.999 < top < ceiling
    # a misbehaving random source cannot push it out of bounds
    assert delay(POLICY, attempt, None, lambda: 7.0) == ceiling
    assert delay(POLICY, attempt, None, lambda: -1.0) == 0.0


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (0.0, 0.0),
        (1.5, 1.5),
        (8.0, 8.0),
        (9.0, 8.0),
        (3600.0, 8.0),
        (-5.0, 0.0),
        (float("inf"), 8.0),
    ],
)
def test_retry_after_is_honoured_within_max_delay(retry_after: float, expected: float) -> None:
    def no_rng() -> float:
        raise AssertionError("Retry-After needs no jitter")

    assert delay(POLICY, 1, retry_after, no_rng) == expected


def test_nan_retry_after_falls_back_to_backoff() -> None:
    assert delay(POLICY, 1, float("nan"), lambda: 0.5) == 0.25


def test_budget() -> None:
    assert within_budget(POLICY, 0.0, 8.0)
    assert within_budget(POLICY, 22.0, 8.0)  # exactly 30 s
    assert not within_budget(POLICY, 22.5, 8.0)
    assert not within_budget(RetryPolicy(max_total_wait=0), 0.0, 0.1)
    assert within_budget(RetryPolicy(max_total_wait=0), 0.0, 0.0)


def test_a_sequence_of_retries_keeps_within_the_budget() -> None:
    policy = RetryPolicy(attempts_per_key=100, max_total_wait=30)
    waited, attempt = 0.0, 1
    while (
        decide(policy, status=503, error=None, attempt=attempt, keys_left=0, output_started=False)
        is R
    ):
        pause = delay(policy, attempt, None, lambda: 0.999)
        if not within_budget(policy, waited, pause):
            break
        waited += pause
        attempt += 1
    assert waited <= 30
    assert attempt < 100  # the budget, not the attempts, ended it


# --- Retry-After headers --------------------------------------------------------------------

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], None),
        ([(b"retry-after", b"12")], 12.0),
        ([(b"retry-after", b" 1.5 ")], 1.5),
        ([(b"retry-after", b"-3")], 0.0),
        ([(b"retry-after", b"soon")], None),
        ([(b"retry-after", b"nan")], None),
        ([(b"retry-after-ms", b"250")], 0.25),
        ([(b"retry-after", b"20"), (b"retry-after-ms", b"1500")], 1.5),
        ([(b"retry-after-ms", b"x"), (b"retry-after", b"20")], 20.0),
        ([(b"retry-after", b"Tue, 14 Nov 2023 22:13:50 GMT")], 30.0),
        ([(b"retry-after", b"Tue, 14 Nov 2023 22:00:00 GMT")], 0.0),  # in the past
        ([(b"x-ratelimit-reset", b"40")], None),
    ],
)
def test_retry_after_seconds(headers: list[tuple[bytes, bytes]], expected: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == expected


# --- context length -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            400,
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
        ),
        (400, '{"error": {"code": "context_length_exceeded", "message": "..."}}'),
        (
            400,
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
        ),
        (400, "prompt is too long: 215000 tokens > 200000 maximum"),
        (400, "input length and `max_tokens` exceed context limit: 195000 + 8192 > 200000"),
        (
            400,
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
        (
            400,
            "This model's maximum context length is 65536 tokens. However, you requested 70000 tokens (70000 in the messages, 0 in the completion).",
        ),  # DeepSeek
        (
            400,
            "<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 30720]",
        ),  # Qwen
        (400, "The input length exceeds the maximum length allowed by the model"),
        (
            400,
            "This model's maximum prompt length is 131072 but the request contains 140000 tokens.",
        ),  # xAI
        (400, "Invalid request: Your request exceeded model token limit: 131072"),  # Moonshot
        (
            400,
            "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
        ),  # Mistral
        (500, "the request exceeds the available context size, try increasing it"),  # llama.cpp
        (413, "Input is too long for requested model."),
    ],
)
def test_context_length_phrasings(status: int, message: str) -> None:
    assert is_context_length_error(status, message)
    assert is_context_length_error(status, message.upper())


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (200, "prompt is too long"),  # not an error
        (
            429,
            "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.",
        ),
        (
            429,
            "This request would exceed the rate limit for your organization of 40,000 input tokens per minute.",
        ),
        (400, "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens"),
        (400, "Request payload size exceeds the limit: 20971520 bytes."),
        (401, "invalid x-api-key"),
        (400, ""),
    ],
)
def test_other_errors_are_not_context_length(status: int, message: str) -> None:
    assert not is_context_length_error(status, message)
