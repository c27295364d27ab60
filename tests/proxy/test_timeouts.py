"""Per-provider timeouts through the real proxy, with both upstream clients: time to first byte
(retried, since nothing reached the client yet), idle gap between stream pieces and total
time (an error event after output began: never retried, never a hang)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import anthropic
import pytest

from cligate.config.settings import AuthStyle, ProviderSettings, ResolvedKey, Settings, ToolBinding
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import RunContext
from cligate.upstream.retry_policy import RetryPolicy
from cligate.upstream.types import Timeouts
from tests.fake_upstream import FakeUpstream, Hang, StallStream, TextReply
from tests.proxy.conftest import SECRET, ProxyThread

KEY = ResolvedKey("sk-timeouts-000000000000", None, "only")
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)
MESSAGE = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=None, script=TextReply("one two three four five")) as fake:
        yield fake


def proxy_with(upstream: FakeUpstream, timeouts: Timeouts, client: str) -> ProxyThread:
    provider = ProviderSettings(
        "slow",
        WireProtocol.ANTHROPIC,
        upstream.base_url,
        auth=AuthStyle.X_API_KEY,
        timeouts=timeouts,
    )
    context = RunContext(
        "claude",
        WireProtocol.ANTHROPIC,
        Settings(providers={"slow": provider}),
        ToolBinding(provider="slow"),
        {"slow": (KEY,)},
        retry=FAST,
    )
    # The client's own defaults are long: only the provider's timeouts can explain a timeout.
    return ProxyThread(context, client, Timeouts(first_byte=30, idle=30))


def sdk(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=SECRET, max_retries=0, timeout=20)


def test_a_provider_silent_before_its_first_byte_once_is_retried(
    upstream: FakeUpstream, upstream_client: str
) -> None:
    upstream.set_fault(Hang(5), times=1)
    with proxy_with(upstream, Timeouts(first_byte=0.3), upstream_client) as url:
        started = time.monotonic()
        message = sdk(url).messages.create(**MESSAGE)  # type: ignore[call-overload]
        took = time.monotonic() - started
    assert message.content[0].text == "one two three four five"
    assert [r.outcome for r in upstream.requests] == ["fault:hang", "text"]
    assert took < 4  # the 5 s hang was cut at 0.3 s


def test_a_provider_that_never_starts_answering_is_504_naming_the_limit(
    upstream: FakeUpstream, upstream_client: str
) -> None:
    upstream.set_fault(Hang(5))
    with (
        proxy_with(upstream, Timeouts(first_byte=0.3), upstream_client) as url,
        pytest.raises(anthropic.APIStatusError) as caught,
    ):
        sdk(url).messages.create(**MESSAGE)  # type: ignore[call-overload]
    assert caught.value.status_code == 504
    assert "within 0.3 s" in caught.value.message
    assert "provider 'slow'" in caught.value.message and "key only" in caught.value.message
    assert len(upstream.requests) == 2  # once more on the same key, then no key is left


def test_a_stream_silent_past_the_idle_limit_ends_with_an_error_event(
    upstream: FakeUpstream, upstream_client: str
) -> None:
    upstream.set_fault(StallStream(after_events=2, seconds=3))
    with proxy_with(upstream, Timeouts(idle=0.3), upstream_client) as url:
        received: list[str] = []
        started = time.monotonic()
        with (
            pytest.raises(anthropic.APIStatusError) as caught,
            sdk(url).messages.stream(**MESSAGE) as stream,  # type: ignore[arg-type]
        ):
            for event in stream:
                received.append(event.type)
        took = time.monotonic() - started
    assert received[:1] == ["message_start"]  # what came before the silence was delivered
    assert "message_stop" not in received
    assert "0.3 s" in str(caught.value)
    assert "idle limit" in str(caught.value)
    assert took < 2.5
    assert len(upstream.requests) == 1  # output had begun: never retried


def test_a_stream_longer_than_the_total_limit_ends_with_an_error_event(
    upstream: FakeUpstream, upstream_client: str
) -> None:
    upstream.stream_delay = 0.15  # never idle for long, but slow overall
    with proxy_with(upstream, Timeouts(total=0.5), upstream_client) as url:
        received: list[str] = []
        with (
            pytest.raises(anthropic.APIStatusError) as caught,
            sdk(url).messages.stream(**MESSAGE) as stream,  # type: ignore[arg-type]
        ):
            for event in stream:
                received.append(event.type)
    assert received[:1] == ["message_start"]
    assert "message_stop" not in received
    assert "within 0.5 s (total limit)" in str(caught.value)
    assert len(upstream.requests) == 1


def test_without_a_total_limit_a_slow_stream_completes(
    upstream: FakeUpstream, upstream_client: str
) -> None:
    upstream.stream_delay = 0.05
    with (
        proxy_with(upstream, Timeouts(total=math.inf, idle=2), upstream_client) as url,
        sdk(url).messages.stream(**MESSAGE) as stream,  # type: ignore[arg-type]
    ):
        text = stream.get_final_text()
    assert text == "one two three four five"


def test_a_connection_reused_after_a_total_limit_gets_a_fresh_limit(
    upstream: FakeUpstream,
) -> None:
    """The total limit belongs to one attempt: a pooled connection that served a quick
    answer must not carry an old deadline into the next request."""
    with proxy_with(upstream, Timeouts(total=0.6), "h11") as url:
        client = sdk(url)
        for _ in range(3):
            client.messages.create(**MESSAGE)  # type: ignore[call-overload]
            time.sleep(0.3)  # together past 0.6 s on the same pooled connection
        upstream.stream_delay = 0.05
        with client.messages.stream(**MESSAGE) as stream:  # type: ignore[arg-type]
            assert stream.get_final_text() == "one two three four five"
    assert len(upstream.requests) == 4
