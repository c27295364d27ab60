"""Translation through the real proxy, with the official SDKs as strict clients: Anthropic
clients on a Chat-only provider, and Chat clients on an Anthropic-only provider."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from cligate.config.settings import ProviderSettings, ToolBinding
from cligate.protocols.capabilities import CapabilitySettings
from cligate.protocols.kinds import WireProtocol
from cligate.upstream.types import Timeouts
from tests.fake_upstream import (
    BadSseData,
    CutStream,
    FakeUpstream,
    Hang,
    HttpError,
    ShellRoundTrip,
    TextReply,
)
from tests.proxy.conftest import SECRET, UPSTREAM_KEY, start_proxy

A, CHAT = WireProtocol.ANTHROPIC, WireProtocol.OPENAI_CHAT
BASH = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


@pytest.fixture
def claude_on_chat(upstream: FakeUpstream, upstream_client: str) -> Iterator[str]:
    thread, url = start_proxy(upstream, A, upstream_client, provider_protocol=CHAT)
    yield url
    thread.stop()


def claude_client(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=SECRET, max_retries=0)


def chat_bodies(upstream: FakeUpstream) -> list[dict[str, object]]:
    return [r.json for r in upstream.requests if r.path == "/v1/chat/completions"]


# --- Anthropic client, Chat provider ---------------------------------------------------------


def test_a_streamed_answer_reaches_the_anthropic_sdk_whole(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    with claude_client(claude_on_chat).messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=100,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "hi"}],
    ) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["text"]
    assert final.content[0].text == "hello through cligate"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.model == "claude-sonnet-4-6"
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0
    (body,) = chat_bodies(upstream)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
    ]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    (recorded,) = upstream.requests
    assert recorded.header("authorization") == f"Bearer {UPSTREAM_KEY}"
    assert recorded.header("x-api-key") is None and recorded.header("anthropic-version") is None


def test_a_whole_answer_reaches_the_anthropic_sdk(claude_on_chat: str) -> None:
    message = claude_client(claude_on_chat).messages.create(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].text == "hello through cligate"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.role == "assistant"
    assert message.model == "claude-haiku-4-5"  # the model asked for, as in a stream


def test_a_tool_round_trip_keeps_ids_and_inputs(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    upstream.set_script(ShellRoundTrip("cat token.txt"))
    client = claude_client(claude_on_chat)
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "show token"}]
    with client.messages.stream(
        model="m",
        max_tokens=100,
        tools=[BASH],
        messages=messages,  # type: ignore[list-item]
    ) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    call = next(block for block in first.content if block.type == "tool_use")
    assert call.name == "Bash" and call.input == {"command": "cat token.txt"}
    messages += [
        {"role": "assistant", "content": first.content},  # type: ignore[typeddict-item]
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "T0KEN"}],
        },
    ]
    with client.messages.stream(
        model="m",
        max_tokens=100,
        tools=[BASH],
        messages=messages,  # type: ignore[list-item]
    ) as stream:
        second = stream.get_final_message()
    assert second.content[0].text == "FINAL: T0KEN"  # type: ignore[union-attr]
    followup = chat_bodies(upstream)[-1]["messages"]
    assert isinstance(followup, list)
    assistant, tool = followup[-2], followup[-1]
    assert assistant["tool_calls"][0]["id"] == call.id
    assert tool == {"role": "tool", "tool_call_id": call.id, "content": "T0KEN"}


def test_count_tokens_and_models_are_answered_locally(
    upstream: FakeUpstream,
) -> None:
    binding = ToolBinding(model="qwen3-coder", tiers=(("haiku", "qwen-flash"),))
    thread, url = start_proxy(upstream, A, provider_protocol=CHAT, binding=binding)
    try:
        client = claude_client(url)
        small = client.messages.count_tokens(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
        big = client.messages.count_tokens(
            model="m",
            system="You are a careful engineer. " * 50,
            tools=[BASH],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "hi"}],
        )
        assert 0 < small.input_tokens < big.input_tokens
        models = client.models.list()
        assert [m.id for m in models.data] == ["qwen3-coder", "qwen-flash"]
    finally:
        thread.stop()
    assert upstream.requests == []  # the Chat provider has no such endpoints


def test_an_upstream_429_is_a_rate_limit_error_with_the_providers_words(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(429, "slow down, please", retry_after=7))
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude_client(claude_on_chat).messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert "cligate: provider 'fake' answered 429" in caught.value.message
    assert "slow down, please" in caught.value.message
    assert caught.value.response.headers["retry-after"] == "7"


def test_an_upstream_500_is_an_internal_server_error(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(500, "the model fell over"))
    with pytest.raises(anthropic.InternalServerError, match="the model fell over"):
        claude_client(claude_on_chat).messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )


def test_an_upstream_400_stays_a_400(claude_on_chat: str, upstream: FakeUpstream) -> None:
    upstream.set_fault(HttpError(400, "model 'm' does not exist"))
    with pytest.raises(anthropic.BadRequestError, match="model 'm' does not exist"):
        claude_client(claude_on_chat).messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )


def test_a_stream_cut_halfway_ends_in_an_error_event(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(CutStream(after_events=2))
    response = httpx.post(
        f"{claude_on_chat}/v1/messages",
        headers={"x-api-key": SECRET},
        json={
            "model": "m",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=15,
    )
    assert response.status_code == 200
    events = [line[len("event: ") :] for line in response.text.splitlines() if line[:6] == "event:"]
    assert events[0] == "message_start" and events[-1] == "error"
    assert "message_stop" not in events
    assert "cligate" in response.text.rsplit("event: error", 1)[1]


def test_an_invalid_request_is_a_400_in_anthropic_shape(claude_on_chat: str) -> None:
    response = httpx.post(
        f"{claude_on_chat}/v1/messages",
        headers={"x-api-key": SECRET},
        json={"model": "m", "max_tokens": 5, "messages": [{"role": "robot", "content": "hi"}]},
        timeout=15,
    )
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert "cligate" in error["error"]["message"] and "robot" in error["error"]["message"]


def test_malformed_json_is_a_400_in_anthropic_shape(claude_on_chat: str) -> None:
    response = httpx.post(
        f"{claude_on_chat}/v1/messages",
        headers={"x-api-key": SECRET},
        content=b'{"model": "m", "messages": [',
        timeout=15,
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_provider_that_never_answers_times_out_as_504(upstream: FakeUpstream) -> None:
    upstream.set_fault(Hang(10))
    timeouts = Timeouts(connect=2, first_byte=0.5, idle=0.5, write=2)
    thread, url = start_proxy(upstream, A, timeouts=timeouts, provider_protocol=CHAT)
    try:
        with pytest.raises(anthropic.APIStatusError) as caught:
            claude_client(url).messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )
        assert caught.value.status_code == 504
    finally:
        thread.stop()


def test_long_silences_in_a_stream_get_pings(upstream: FakeUpstream) -> None:
    slow = FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("a b c"), stream_delay=0.3)
    with slow:
        thread, url = start_proxy(slow, A, provider_protocol=CHAT, keepalive_seconds=0.1)
        try:
            text = httpx.post(
                f"{url}/v1/messages",
                headers={"x-api-key": SECRET},
                json={
                    "model": "m",
                    "max_tokens": 5,
                    "stream": True,
                    "messages": [{"role": "user", "content": "hi"}],
                },
                timeout=15,
            ).text
            # The SDK's accumulator takes the pings in its stride.
            with claude_client(url).messages.stream(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            ) as stream:
                assert stream.get_final_message().content[0].text == "a b c"  # type: ignore[union-attr]
        finally:
            thread.stop()
    assert "event: ping" in text
    assert text.index("event: message_start") < text.index("event: ping")
    assert text.rstrip().endswith('data: {"type":"message_stop"}')


def test_strict_mode_refuses_what_the_provider_cannot_honour(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(upstream, A, provider_protocol=CHAT, binding=ToolBinding(strict=True))
    try:
        with pytest.raises(anthropic.BadRequestError, match="top-k-dropped"):
            claude_client(url).messages.create(
                model="m",
                max_tokens=5,
                messages=[{"role": "user", "content": "hi"}],
                extra_body={"top_k": 5},
            )
        # A harmless degradation (a cache hint) is still fine in strict mode.
        message = claude_client(url).messages.create(
            model="m",
            max_tokens=5,
            system=[{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
            messages=[{"role": "user", "content": "hi"}],
        )
        assert message.content
    finally:
        thread.stop()
    assert len(upstream.requests) == 1


def test_the_profile_clamps_max_tokens_to_the_providers_limit(upstream: FakeUpstream) -> None:
    provider = ProviderSettings(
        name="fake",
        protocol=CHAT,
        base_url=upstream.base_url + "/v1",
        capabilities=CapabilitySettings.parse(
            {"max_output_tokens": 8192, "max_tokens_param": "max_completion_tokens"}
        ),
    )
    thread, url = start_proxy(upstream, A, provider=provider)
    try:
        with claude_client(url).messages.stream(
            model="m", max_tokens=64000, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            stream.get_final_message()
    finally:
        thread.stop()
    (body,) = chat_bodies(upstream)
    assert body["max_completion_tokens"] == 8192 and "max_tokens" not in body


# --- Chat client, Anthropic provider ---------------------------------------------------------


@pytest.fixture
def chat_on_anthropic(upstream: FakeUpstream, upstream_client: str) -> Iterator[str]:
    thread, url = start_proxy(upstream, CHAT, upstream_client, provider_protocol=A)
    yield url
    thread.stop()


def chat_client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=SECRET, max_retries=0)


def test_a_chat_client_streams_from_an_anthropic_provider(
    chat_on_anthropic: str, upstream: FakeUpstream
) -> None:
    stream = chat_client(chat_on_anthropic).chat.completions.create(
        model="claude-x",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "hello through cligate"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    (recorded,) = upstream.requests
    assert recorded.path == "/v1/messages"
    assert recorded.header("x-api-key") == UPSTREAM_KEY
    assert recorded.header("anthropic-version") == "2023-06-01"
    assert recorded.json["system"] == [{"type": "text", "text": "Be brief."}]
    assert recorded.json["max_tokens"] > 0


def test_a_chat_client_gets_tool_calls_from_an_anthropic_provider(
    chat_on_anthropic: str, upstream: FakeUpstream
) -> None:
    upstream.set_script(ShellRoundTrip("ls"))
    tool = {
        "type": "function",
        "function": {
            "name": "bash",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
    }
    client = chat_client(chat_on_anthropic)
    first = client.chat.completions.create(
        model="claude-x",
        messages=[{"role": "user", "content": "list files"}],
        tools=[tool],  # type: ignore[list-item]
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "bash"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"command": "ls"}  # type: ignore[union-attr]
    second = client.chat.completions.create(
        model="claude-x",
        messages=[
            {"role": "user", "content": "list files"},
            choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": call.id, "content": "a.txt"},
        ],
        tools=[tool],  # type: ignore[list-item]
    )
    assert second.choices[0].message.content == "FINAL: a.txt"
    sent = upstream.requests[-1].json["messages"]
    assert sent[-1]["content"][0]["tool_use_id"] == sent[-2]["content"][-1]["id"]


def test_a_chat_client_gets_an_anthropic_overload_as_an_openai_error(
    chat_on_anthropic: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(HttpError(529, "Overloaded"))
    with pytest.raises(openai.APIStatusError) as caught:
        chat_client(chat_on_anthropic).chat.completions.create(
            model="claude-x", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == 529
    assert "Overloaded" in str(caught.value.message)
    assert caught.value.body["type"] == "server_error"  # type: ignore[index]


def test_message_start_estimates_input_tokens_until_the_provider_counts_them(
    claude_on_chat: str, upstream: FakeUpstream
) -> None:
    body = {
        "model": "m",
        "max_tokens": 50,
        "stream": True,
        "system": "You are a careful engineer. " * 40,
        "messages": [{"role": "user", "content": "hi"}],
    }
    raw = httpx.post(
        f"{claude_on_chat}/v1/messages", headers={"x-api-key": SECRET}, json=body, timeout=15
    ).text
    datas = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    estimated = datas[0]["message"]["usage"]["input_tokens"]
    final = next(d for d in datas if d["type"] == "message_delta")["usage"]["input_tokens"]
    (recorded,) = upstream.requests
    assert final == len(recorded.body) // 4  # what the fake provider counted
    assert 0 < estimated != final and abs(estimated - final) < final  # near, not zero


@pytest.mark.parametrize(
    "provider_protocol",
    [CHAT, WireProtocol.OPENAI_RESPONSES, WireProtocol.GEMINI],
    ids=["chat", "responses", "gemini"],
)
def test_a_stream_cligate_cannot_read_is_said_to_be_broken_not_a_provider_status(
    upstream: FakeUpstream, provider_protocol: WireProtocol
) -> None:
    """Broken JSON inside a provider's stream is not an error the provider sent: the client
    must not read "provider answered 502", which would send the user looking for an outage."""
    upstream.set_fault(BadSseData(after_events=1))
    thread, url = start_proxy(upstream, A, provider_protocol=provider_protocol)
    try:
        with (
            pytest.raises(anthropic.APIStatusError) as caught,
            claude_client(url).messages.stream(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            ) as stream,
        ):
            for _ in stream:
                pass
    finally:
        thread.stop()
    message = str(caught.value)
    assert "the stream from provider 'fake' broke: malformed JSON in the stream" in message
    assert "answered 502" not in message
