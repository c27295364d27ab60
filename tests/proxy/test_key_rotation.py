"""Several keys per provider through the real proxy: a rate-limited key rests (only it), a
refused key is dropped for the run, a 5xx is retried once on the same key, a client error is
never retried, and when every key fails the error names each key and why."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from cligate.config.settings import AuthStyle, ProviderSettings, ResolvedKey, Settings, ToolBinding
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import RunContext
from cligate.upstream.retry_policy import RetryPolicy
from tests.fake_upstream import FakeUpstream, HttpError, TextReply
from tests.proxy.conftest import SECRET, ProxyThread

KEYS = (
    ResolvedKey("sk-first-0000000000000000", None, "first"),
    ResolvedKey("sk-second-000000000000000", None, "second"),
)
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=None, script=TextReply("ok")) as fake:  # takes either key
        yield fake


@pytest.fixture
def proxy_url(upstream: FakeUpstream) -> Iterator[str]:
    provider = ProviderSettings(
        "fake", WireProtocol.ANTHROPIC, upstream.base_url, auth=AuthStyle.X_API_KEY
    )
    context = RunContext(
        "claude",
        WireProtocol.ANTHROPIC,
        Settings(providers={"fake": provider}),
        ToolBinding(provider="fake"),
        {"fake": KEYS},
        retry=FAST,
    )
    with ProxyThread(context) as url:
        yield url


def ask(url: str) -> httpx.Response:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{url}/v1/messages", json=body, headers={"x-api-key": SECRET}, timeout=15)


def keys_seen(upstream: FakeUpstream) -> list[str]:
    labels = {key.value: key.label for key in KEYS}
    return [labels[r.header("x-api-key") or ""] for r in upstream.requests]


def test_a_rate_limited_key_rests_and_the_next_key_answers(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(429, "slow down", retry_after=60), times=1)
    first = ask(proxy_url)
    assert first.status_code == 200  # the user sees no error
    second = ask(proxy_url)
    assert second.status_code == 200
    # "first" was limited, so it rests: only "second" is used, now and next time.
    assert keys_seen(upstream) == ["first", "second", "second"]


def test_a_refused_key_is_dropped_for_the_run(proxy_url: str, upstream: FakeUpstream) -> None:
    upstream.set_fault(HttpError(401, "invalid key"), times=1)
    assert ask(proxy_url).status_code == 200
    for _ in range(3):
        assert ask(proxy_url).status_code == 200
    assert keys_seen(upstream) == ["first", "second", "second", "second", "second"]


def test_a_5xx_is_retried_once_on_the_same_key(proxy_url: str, upstream: FakeUpstream) -> None:
    upstream.set_fault(HttpError(503, "busy"), times=1)
    assert ask(proxy_url).status_code == 200
    assert keys_seen(upstream) == ["first", "first"]


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_a_client_error_is_never_retried_and_keeps_its_status(
    proxy_url: str, upstream: FakeUpstream, status: int
) -> None:
    upstream.set_fault(HttpError(status, "bad request body"), times=1)
    response = ask(proxy_url)
    assert response.status_code == status
    assert "bad request body" in response.text
    assert keys_seen(upstream) == ["first"]


def test_when_every_key_fails_the_answer_names_each_key_and_why(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(429, "quota", retry_after=60))
    response = ask(proxy_url)
    # The last key's own answer reaches the client, unchanged in status and words (a
    # Retry-After of a minute is longer than cligate waits, so no retry on the same key).
    assert response.status_code == 429 and "quota" in response.text
    assert keys_seen(upstream) == ["first", "second"]
    # Both keys now rest: the next request says so, naming the keys and never their values.
    # It is a 429 of cligate's own with the time until the first key is back, so the client
    # waits (Claude Code and the SDKs honour Retry-After) instead of failing.
    again = ask(proxy_url)
    assert again.status_code == 429 and 55 <= int(again.headers["retry-after"]) <= 60
    assert "x-should-retry" not in again.headers
    message = json.loads(again.text)["error"]["message"]
    assert "first: cooling down" in message and "second: cooling down" in message
    assert all(key.value not in again.text for key in KEYS)


def test_the_only_key_is_retried_too(upstream: FakeUpstream) -> None:
    provider = ProviderSettings(
        "fake", WireProtocol.ANTHROPIC, upstream.base_url, auth=AuthStyle.X_API_KEY
    )
    context = RunContext(
        "claude",
        WireProtocol.ANTHROPIC,
        Settings(providers={"fake": provider}),
        ToolBinding(provider="fake"),
        {"fake": KEYS[:1]},
        retry=FAST,
    )
    upstream.set_fault(HttpError(502, "bad gateway"), times=1)
    with ProxyThread(context) as url:
        assert ask(url).status_code == 200
    assert keys_seen(upstream) == ["first", "first"]


def ask_for(url: str, model: str) -> httpx.Response:
    body = {"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{url}/v1/messages", json=body, headers={"x-api-key": SECRET}, timeout=15)


@pytest.mark.parametrize(
    ("scope", "preset", "other_model_answered"),
    [
        (True, None, True),  # rate_limits = "model" in the provider's entry
        (False, None, False),  # rate_limits = "key"
        (None, "anthropic", True),  # unset: the preset limits per model
        (None, "deepseek", False),  # unset: the preset limits per key
        (None, None, False),  # unset, no preset: the whole key rests
    ],
)
def test_a_429_rests_the_key_for_one_model_only_where_the_provider_limits_per_model(
    upstream: FakeUpstream, scope: bool | None, preset: str | None, other_model_answered: bool
) -> None:
    provider = ProviderSettings(
        "fake",
        WireProtocol.ANTHROPIC,
        upstream.base_url,
        auth=AuthStyle.X_API_KEY,
        per_model_rate_limits=scope,
        preset=preset,
    )
    context = RunContext(
        "claude",
        WireProtocol.ANTHROPIC,
        Settings(providers={"fake": provider}),
        ToolBinding(provider="fake"),
        {"fake": KEYS[:1]},
        retry=FAST,
    )
    upstream.set_fault(HttpError(429, "slow down", retry_after=60), times=1)
    with ProxyThread(context) as url:
        assert ask_for(url, "model-a").status_code == 429  # the only key, answered as is
        again = ask_for(url, "model-a")
        other = ask_for(url, "model-b")
    # Not sent at all: a 429 of cligate's own, saying when the key is back.
    assert again.status_code == 429 and "cooling down" in again.text
    assert 55 <= int(again.headers["retry-after"]) <= 60
    assert (other.status_code == 200) is other_model_answered
    sent = [r.json["model"] for r in upstream.requests]
    assert sent == (["model-a", "model-b"] if other_model_answered else ["model-a"])
