"""``auto`` through the real proxy: two configured providers with different prices; the cheaper
capable one serves, an image request goes to the one that takes images, and when the cheap one
starts failing the requests move to the other without the client seeing an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cligate.config.settings import (
    AuthStyle,
    PriceEntry,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.observe.records import RecordLog, read_records
from cligate.observe.trace import TraceSettings
from cligate.protocols.capabilities import CapabilitySettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import RunContext
from cligate.upstream.retry_policy import RetryPolicy
from tests.fake_upstream import FakeUpstream, HttpError, TextReply
from tests.proxy.conftest import SECRET, ProxyThread

KEY = "auto-upstream-key"
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture
def cheap() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, script=TextReply("from the cheap one")) as fake:
        yield fake


@pytest.fixture
def dear() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, script=TextReply("from the dear one")) as fake:
        yield fake


def proxy(cheap: FakeUpstream, dear: FakeUpstream, log: RecordLog, model: str) -> ProxyThread:
    def provider(name: str, fake: FakeUpstream, price: float, images: bool) -> ProviderSettings:
        return ProviderSettings(
            name,
            WireProtocol.ANTHROPIC,
            fake.base_url,
            auth=AuthStyle.X_API_KEY,
            models=(f"{name}-model",),
            pricing=(("*", PriceEntry(input=price, output=price * 4)),),
            capabilities=CapabilitySettings.parse({"images": images}),
        )

    providers = {
        "cheap": provider("cheap", cheap, 0.2, images=False),
        "dear": provider("dear", dear, 3.0, images=True),
    }
    key = (ResolvedKey(KEY, None, "k"),)
    context = RunContext(
        "claude",
        WireProtocol.ANTHROPIC,
        Settings(providers=providers),
        ToolBinding(provider="dear", model=model),
        {"cheap": key, "dear": key},
        retry=RetryPolicy(base_delay=0.01, max_delay=0.02),
        trace=TraceSettings(log, "r", "claude", WireProtocol.ANTHROPIC),
    )
    thread = ProxyThread(context)
    thread.start()
    return thread


def ask(thread: ProxyThread, model: str, image: bool = False) -> httpx.Response:
    content: object = "hi"
    if image:
        source = {"type": "base64", "media_type": "image/png", "data": PIXEL}
        content = [{"type": "image", "source": source}, {"type": "text", "text": "what is it?"}]
    body = {"model": model, "max_tokens": 20, "messages": [{"role": "user", "content": content}]}
    return httpx.post(
        thread.server.url + "/v1/messages", json=body, headers={"x-api-key": SECRET}, timeout=15
    )


def test_auto_picks_the_cheaper_capable_model(
    cheap: FakeUpstream, dear: FakeUpstream, tmp_path: Path
) -> None:
    thread = proxy(cheap, dear, RecordLog(tmp_path / "r.jsonl"), model="dear-model")
    try:
        plain = ask(thread, "auto:cheapest")
        with_image = ask(thread, "auto:cheapest", image=True)
    finally:
        thread.stop()
    assert "from the cheap one" in plain.text
    assert "from the dear one" in with_image.text  # the cheap one takes no images
    assert [r.turn.model for r in cheap.requests if r.turn] == ["cheap-model"]
    assert [r.turn.model for r in dear.requests if r.turn] == ["dear-model"]


def test_the_binding_can_say_auto_and_the_record_says_why(
    cheap: FakeUpstream, dear: FakeUpstream, tmp_path: Path
) -> None:
    records = tmp_path / "r.jsonl"
    log = RecordLog(records)
    thread = proxy(cheap, dear, log, model="auto:cheapest")
    try:
        assert "from the cheap one" in ask(thread, "claude-sonnet-4-6").text
    finally:
        thread.stop()
    log.close()
    [record] = list(read_records(records))
    assert record["provider"] == "cheap"
    route = "\n".join(record["route"])
    assert "auto (cheapest)" in route and "1. cheap:cheap-model" in route
    assert "2. dear:dear-model" in route


def test_a_failing_cheap_model_hands_over_to_the_next_without_an_error(
    cheap: FakeUpstream, dear: FakeUpstream, tmp_path: Path
) -> None:
    cheap.set_fault(HttpError(503, "overloaded"))
    thread = proxy(cheap, dear, RecordLog(tmp_path / "r.jsonl"), model="dear-model")
    try:
        answers = [ask(thread, "auto:cheapest") for _ in range(4)]
    finally:
        thread.stop()
    assert all(a.status_code == 200 and "from the dear one" in a.text for a in answers)
    # Twice (a retry) for each of the first two requests, then the cheap one counts as failing
    # (three failures in a row) and is not tried again.
    assert len(cheap.requests) == 4
    assert len(dear.requests) == 4
