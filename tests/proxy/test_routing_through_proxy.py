"""Routing inside the proxy: model rewrites, pools failing over before the first byte."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from cligate.config.settings import (
    AuthStyle,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import RunContext
from tests.fake_upstream import FakeUpstream, HttpError, TextReply
from tests.proxy.conftest import SECRET, ProxyThread

KEY = "k"


def anthropic_provider(name: str, url: str, **kwargs: object) -> ProviderSettings:
    return ProviderSettings(name, WireProtocol.ANTHROPIC, url, auth=AuthStyle.X_API_KEY, **kwargs)  # type: ignore[arg-type]


def proxy_for(settings: Settings, binding: ToolBinding, keys: dict[str, str]) -> ProxyThread:
    resolved = {name: (ResolvedKey(key, None, name),) for name, key in keys.items()}
    return ProxyThread(
        RunContext("claude", WireProtocol.ANTHROPIC, settings, binding, resolved, "haiku")
    )


@pytest.fixture
def two_upstreams() -> Iterator[tuple[FakeUpstream, FakeUpstream]]:
    with (
        FakeUpstream(api_key=KEY, script=TextReply("from first")) as first,
        FakeUpstream(api_key=KEY, script=TextReply("from second")) as second,
    ):
        yield first, second


def pool_of(first: FakeUpstream, second: FakeUpstream) -> Settings:
    """Providers "one" and "two" on the two fakes, and the alias "pool" for one:m1, two:m2."""
    return Settings(
        providers={
            "one": anthropic_provider("one", first.base_url),
            "two": anthropic_provider("two", second.base_url),
        },
        aliases={"pool": ("one:m1", "two:m2")},
    )


def ask(url: str, model: str) -> httpx.Response:
    body = {"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{url}/v1/messages", json=body, headers={"x-api-key": SECRET}, timeout=10)


def test_a_tier_keyword_rewrites_only_the_model(
    two_upstreams: tuple[FakeUpstream, FakeUpstream],
) -> None:
    first, _ = two_upstreams
    settings = Settings(providers={"one": anthropic_provider("one", first.base_url)})
    binding = ToolBinding(provider="one", tiers=(("haiku", "small-model"),))
    with proxy_for(settings, binding, {"one": KEY}) as url:
        assert ask(url, "claude-3-5-haiku-latest").status_code == 200
    [recorded] = first.requests
    assert recorded.json["model"] == "small-model"
    assert recorded.json["messages"] == [{"role": "user", "content": "hi"}]


def test_a_pool_fails_over_before_the_first_byte(
    two_upstreams: tuple[FakeUpstream, FakeUpstream],
) -> None:
    first, second = two_upstreams
    first.set_fault(HttpError(503, "first is overloaded"))
    settings = pool_of(first, second)
    with proxy_for(settings, ToolBinding(provider="one"), {"one": KEY, "two": KEY}) as url:
        response = ask(url, "pool")
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "from second"
    # A 5xx is tried once more on the same key (after a short jittered pause), then fails over.
    assert [r.json["model"] for r in first.requests] == ["m1", "m1"]
    assert [r.json["model"] for r in second.requests] == ["m2"]


def test_when_every_target_fails_the_last_answer_is_passed_on(
    two_upstreams: tuple[FakeUpstream, FakeUpstream],
) -> None:
    first, second = two_upstreams
    first.set_fault(HttpError(503, "first is overloaded"))
    second.set_fault(HttpError(503, "second is overloaded"))
    settings = pool_of(first, second)
    with proxy_for(settings, ToolBinding(provider="one"), {"one": KEY, "two": KEY}) as url:
        response = ask(url, "pool")
    # The last target's own answer is passed on unchanged, after the first failed over.
    assert response.status_code == 503
    assert "second is overloaded" in json.dumps(response.json())


def test_a_target_without_its_key_is_skipped(
    two_upstreams: tuple[FakeUpstream, FakeUpstream],
) -> None:
    from cligate.config.settings import KeyReference

    first, second = two_upstreams
    settings = Settings(
        providers={
            "one": anthropic_provider("one", first.base_url, api_key=KeyReference(env_var="NOPE")),
            "two": anthropic_provider("two", second.base_url),
        },
        aliases={"pool": ("one:m1", "two:m2")},
    )
    with proxy_for(settings, ToolBinding(provider="two"), {"two": KEY}) as url:
        response = ask(url, "pool")
    assert response.status_code == 200 and first.requests == []


def test_a_keyless_last_target_does_not_hide_the_first_ones_answer(
    two_upstreams: tuple[FakeUpstream, FakeUpstream],
) -> None:
    first, second = two_upstreams
    first.set_fault(HttpError(503, "first is overloaded"))
    settings = pool_of(first, second)
    with proxy_for(settings, ToolBinding(provider="one"), {"one": KEY}) as url:  # two: no key
        response = ask(url, "pool")
    assert response.status_code == 503  # the provider's own answer, not a made-up 502
    assert "first is overloaded" in json.dumps(response.json())
    assert second.requests == []


def test_calls_that_are_not_model_calls_keep_their_model(upstream_gemini: FakeUpstream) -> None:
    from cligate.config.settings import AuthStyle as Auth

    gemini = ProviderSettings(
        "g", WireProtocol.GEMINI, upstream_gemini.base_url, auth=Auth.X_GOOG_API_KEY
    )
    context = RunContext(
        "gemini",
        WireProtocol.GEMINI,
        Settings(providers={"g": gemini}),
        ToolBinding(provider="g", model="chat-model"),
        {"g": (ResolvedKey(KEY, None, "k"),)},
        None,
    )
    with ProxyThread(context) as url:
        httpx.post(
            f"{url}/v1beta/models/embed-model:embedContent",
            json={"content": {"parts": [{"text": "x"}]}},
            headers={"x-goog-api-key": SECRET},
        )
    assert [r.path for r in upstream_gemini.requests] == ["/v1beta/models/embed-model:embedContent"]


@pytest.fixture
def upstream_gemini() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY) as fake:
        yield fake
