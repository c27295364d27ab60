"""A record per request through the real proxy: the route taken, every attempt, the outcome,
times, and token counts equal to what the provider reported, streamed or whole, through every
bridge. Keys never appear in records, even with body capture on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cligate.config.settings import AuthStyle, ProviderSettings, ResolvedKey, Settings, ToolBinding
from cligate.observe.records import RecordLog, read_records
from cligate.observe.trace import OVERHEAD_HEADER, TraceSettings
from cligate.observe.usage import TokenCounts
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import RunContext
from cligate.upstream.retry_policy import RetryPolicy
from tests.fake_upstream import CutStream, FakeUpstream, HttpError, TextReply
from tests.fake_upstream.model import estimate_usage
from tests.proxy.conftest import SECRET, UPSTREAM_KEY, ProxyThread, start_proxy

A, CHAT, RESP, GEM = (
    WireProtocol.ANTHROPIC,
    WireProtocol.OPENAI_CHAT,
    WireProtocol.OPENAI_RESPONSES,
    WireProtocol.GEMINI,
)
AUTH = {
    A: {"x-api-key": SECRET},
    CHAT: {"authorization": f"Bearer {SECRET}"},
    RESP: {"authorization": f"Bearer {SECRET}"},
    GEM: {"x-goog-api-key": SECRET},
}
PRICE_PER_TOKEN = 0.000002


def request_for(protocol: WireProtocol, stream: bool) -> tuple[str, dict[str, Any]]:
    hi = "hi there"
    if protocol is A:
        body = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": hi}]}
        return "/v1/messages", {**body, "stream": stream}
    if protocol is CHAT:
        body = {"model": "m", "messages": [{"role": "user", "content": hi}], "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        return "/v1/chat/completions", body
    if protocol is RESP:
        return "/v1/responses", {"model": "m", "input": hi, "stream": stream}
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/m:{method}", {"contents": [{"role": "user", "parts": [{"text": hi}]}]}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("recorded answer")) as fake:
        yield fake


def trace_settings(path: Path, protocol: WireProtocol, capture: bool = False) -> TraceSettings:
    log = LOGS[path] = RecordLog(path)
    return TraceSettings(
        log=log,
        run="test-run",
        tool="tool",
        client_protocol=protocol,
        estimate_cost=lambda provider, model, tokens: tokens.total * PRICE_PER_TOKEN,
        capture_bodies=capture,
        secrets=(UPSTREAM_KEY, SECRET),
    )


LOGS: dict[Path, RecordLog] = {}


def records_after(thread: ProxyThread, path: Path) -> list[dict[str, Any]]:
    """Stop the proxy and close its record log, as a run's end does."""
    thread.stop()
    LOGS.pop(path).close()
    return list(read_records(path))


BRIDGES = [
    pytest.param(client, provider, id=f"{client.value}-on-{provider.value}")
    for client in (A, CHAT, RESP, GEM)
    for provider in (A, CHAT, RESP, GEM)
    if client is provider or (client, provider) in {(A, CHAT), (A, GEM), (CHAT, A), (RESP, A),
                                                       (RESP, CHAT), (GEM, CHAT), (GEM, RESP)}
]  # fmt: skip


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize(("client", "provider"), BRIDGES)
def test_each_bridge_records_the_tokens_the_provider_reported(
    upstream: FakeUpstream,
    tmp_path: Path,
    client: WireProtocol,
    provider: WireProtocol,
    stream: bool,
) -> None:
    path = tmp_path / "requests.jsonl"
    trace = trace_settings(path, client)
    thread, url = start_proxy(upstream, client, provider_protocol=provider, trace=trace)
    target, body = request_for(client, stream)
    response = httpx.post(url + target, json=body, headers=AUTH[client], timeout=15)
    assert response.status_code == 200, response.text
    assert "recorded answer" in response.text.replace('", "', "").replace('","', "") or stream
    overhead = float(response.headers[OVERHEAD_HEADER.decode()])
    [row] = records_after(thread, path)
    [sent] = upstream.requests
    assert sent.turn is not None and sent.reply is not None
    reported = estimate_usage(sent.turn, sent.reply)
    assert row["tokens"]["input"] == reported.input_tokens > 0
    assert row["tokens"]["output"] == reported.output_tokens > 0
    assert row["cost_usd"] == pytest.approx(reported.total * PRICE_PER_TOKEN)
    assert row["status"] == 200 and row["outcome"] == "ok" and row["error"] is None
    assert row["provider"] == "fake" and row["key"] == "test key"
    assert row["client_protocol"] == client.value and row["stream"] is stream
    assert row["requested_model"] == "m"
    assert [a["outcome"] for a in row["attempts"]] == ["answered 200"]
    assert 0 <= row["overhead_ms"] <= row["latency_ms"]
    assert row["overhead_ms"] == pytest.approx(overhead, abs=0.01)
    assert row["ttfb_ms"] is not None and row["ttfb_ms"] <= row["latency_ms"]


def two_key_proxy(upstream: FakeUpstream, path: Path) -> ProxyThread:
    provider = ProviderSettings("fake", A, upstream.base_url, auth=AuthStyle.X_API_KEY)
    context = RunContext(
        "claude",
        A,
        Settings(providers={"fake": provider}),
        ToolBinding(provider="fake"),
        {
            "fake": (
                ResolvedKey(UPSTREAM_KEY, None, "first"),
                ResolvedKey(UPSTREAM_KEY, None, "second"),
            )
        },
        retry=RetryPolicy(base_delay=0.01, max_delay=0.02),
        trace=trace_settings(path, A, capture=True),
    )
    thread = ProxyThread(context)
    thread.start()
    return thread


def post_anthropic(thread: ProxyThread, stream: bool = False) -> httpx.Response:
    target, body = request_for(A, stream)
    return httpx.post(thread.server.url + target, json=body, headers=AUTH[A], timeout=15)


def test_failover_is_recorded_attempt_by_attempt(upstream: FakeUpstream, tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    thread = two_key_proxy(upstream, path)
    upstream.set_fault(HttpError(429, "slow down", retry_after=60), times=1)
    assert post_anthropic(thread).status_code == 200
    [row] = records_after(thread, path)
    assert [(a["key"], a["outcome"]) for a in row["attempts"]] == [
        ("first", "answered 429"),
        ("second", "answered 200"),
    ]
    assert row["key"] == "second" and row["outcome"] == "ok"


def test_an_upstream_failure_is_recorded_as_an_error_with_its_words(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    thread = two_key_proxy(upstream, path)
    upstream.set_fault(HttpError(400, "prompt is too long"))
    assert post_anthropic(thread).status_code == 400
    [row] = records_after(thread, path)
    assert row["status"] == 400 and row["outcome"] == "error"
    assert "prompt is too long" in row["error"]
    assert len(row["attempts"]) == 1  # a client error is never retried
    assert row["tokens"] is None and row["cost_usd"] is None


def test_a_stream_cut_halfway_is_recorded_as_broken(upstream: FakeUpstream, tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    thread = two_key_proxy(upstream, path)
    upstream.set_fault(CutStream(after_events=2))
    response = post_anthropic(thread, stream=True)
    assert response.status_code == 200 and "event: error" in response.text
    [row] = records_after(thread, path)
    assert row["status"] == 200 and row["outcome"] == "broken"
    assert "closed the response early" in row["error"]


def test_a_translated_stream_ending_in_an_error_event_is_recorded_as_broken(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    thread, url = start_proxy(upstream, A, provider_protocol=CHAT, trace=trace_settings(path, A))
    upstream.set_fault(CutStream(after_events=2))
    target, body = request_for(A, True)
    response = httpx.post(url + target, json=body, headers=AUTH[A], timeout=15)
    assert "event: error" in response.text
    [row] = records_after(thread, path)
    assert row["outcome"] == "broken" and row["error"]


def test_a_request_cligate_refuses_is_recorded_without_attempts(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    thread, url = start_proxy(upstream, A, trace=trace_settings(path, A))
    response = httpx.post(url + "/v1/messages", content=b"{nope", headers=AUTH[A], timeout=15)
    assert response.status_code == 400
    [row] = records_after(thread, path)
    assert row["status"] == 400 and row["outcome"] == "error" and row["attempts"] == []
    assert "not valid JSON" in row["error"]
    assert upstream.requests == []


def test_keys_never_reach_the_records_even_with_bodies_captured(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    thread = two_key_proxy(upstream, path)
    target, body = request_for(A, False)
    # A user pasting a key into a prompt: captured bodies redact it too.
    body["messages"][0]["content"] = f"my key is {UPSTREAM_KEY} and {SECRET}"
    assert httpx.post(thread.server.url + target, json=body, headers=AUTH[A]).status_code == 200
    records_after(thread, path)
    text = path.read_text()
    assert "[redacted]" in text and '"bodies"' in text
    assert UPSTREAM_KEY not in text and SECRET not in text


def test_records_count_the_tokens_of_a_stream_the_client_left(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    """A client gone mid-stream is its own outcome, not an error of the provider."""
    slow = FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("a b c d e f"), stream_delay=0.3)
    path = tmp_path / "requests.jsonl"
    with slow:
        thread, url = start_proxy(slow, A, trace=trace_settings(path, A))
        target, body = request_for(A, True)
        with httpx.stream("POST", url + target, json=body, headers=AUTH[A], timeout=15) as response:
            next(response.iter_bytes())
        time.sleep(0.5)
        [row] = records_after(thread, path)
    assert row["outcome"] == "client-gone" and row["status"] == 200


def test_no_trace_settings_means_no_records_and_no_header(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    thread, url = start_proxy(upstream, A)
    target, body = request_for(A, False)
    response = httpx.post(url + target, json=body, headers=AUTH[A], timeout=15)
    thread.stop()
    assert response.status_code == 200
    assert OVERHEAD_HEADER.decode() not in response.headers


def test_token_counts_type_round_trips() -> None:
    assert TokenCounts(1, 2, 3, 4).total == 10
