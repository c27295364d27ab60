"""``cligate serve`` in process, with the official SDKs as clients: every client protocol at
its usual path, streamed answers and tool calls, keys (default and per client), routing by key
and by user-agent, /v1/models, and a graceful stop that lets a stream finish."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from cligate.config.settings import (
    AuthStyle,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.protocols.kinds import WireProtocol
from cligate.server.proxy import ProxyServer
from cligate.server.serve import ServeDispatcher
from cligate.upstream.selector import UpstreamSelector
from tests.fake_upstream import FakeUpstream, ShellRoundTrip

KEY = "cg-default-key-for-serve-tests-0000"
CURSOR_KEY = "cg-cursor-key-for-serve-tests-11111"
UPSTREAM_KEY = "serve-upstream-key"
BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a shell command",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    },
}


class ServeThread:
    def __init__(
        self,
        settings: Settings,
        keys: dict[str, tuple[ResolvedKey, ...]],
        any_host: bool = False,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.upstream = UpstreamSelector(proxies={})
        dispatcher = ServeDispatcher(settings, keys, self.upstream, {"cursor": "cursor"})
        self.server = ProxyServer(
            dispatcher,
            dispatcher.error_for_path,
            KEY,
            clients={"cursor": CURSOR_KEY},
            any_host=any_host,
        )

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self.server.url

    def stop(self, grace: float = 0.0) -> None:
        async def shutdown() -> None:
            await self.server.close(grace)
            await self.upstream.aclose()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(grace + 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    script = ShellRoundTrip(command="echo served", final_prefix="FINAL:", side_text="hello")
    with FakeUpstream(api_key=UPSTREAM_KEY, script=script) as fake:
        yield fake


def settings_for(upstream: FakeUpstream) -> Settings:
    anthropic_provider = ProviderSettings(
        "anth", WireProtocol.ANTHROPIC, upstream.base_url, auth=AuthStyle.X_API_KEY
    )
    chat_provider = ProviderSettings("chat", WireProtocol.OPENAI_CHAT, upstream.base_url + "/v1")
    return Settings(
        providers={"anth": anthropic_provider, "chat": chat_provider},
        tools={
            "claude": ToolBinding(provider="anth", model="claude-model"),
            "codex": ToolBinding(provider="chat", model="codex-model"),
            "gemini": ToolBinding(provider="anth", model="gemini-model"),
            "serve": ToolBinding(provider="chat", model="serve-model"),
            "cursor": ToolBinding(provider="anth", model="cursor-model"),
        },
        aliases={"smart": ("anth:claude-model",)},
    )


@pytest.fixture
def served(upstream: FakeUpstream) -> Iterator[str]:
    key = (ResolvedKey(UPSTREAM_KEY, None, "upstream"),)
    thread = ServeThread(settings_for(upstream), {"anth": key, "chat": key})
    url = thread.start()
    yield url
    thread.stop()


def models_sent(upstream: FakeUpstream) -> list[str]:
    return [r.turn.model for r in upstream.requests if r.turn is not None]


def test_the_openai_sdk_streams_and_calls_a_tool(served: str, upstream: FakeUpstream) -> None:
    client = openai.OpenAI(base_url=served + "/v1", api_key=KEY, max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "run it"}]
    stream = client.chat.completions.create(
        model="anything",
        messages=messages,
        tools=[BASH],
        stream=True,  # type: ignore[list-item]
    )
    calls: dict[int, dict[str, str]] = {}
    for chunk in stream:
        for delta in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += delta.id or ""
            entry["name"] += (delta.function.name or "") if delta.function else ""
            entry["arguments"] += (delta.function.arguments or "") if delta.function else ""
    [call] = calls.values()
    assert call["name"] == "Bash" and json.loads(call["arguments"]) == {"command": "echo served"}
    messages += [
        {"role": "assistant", "tool_calls": [{"id": call["id"], "type": "function",
         "function": {"name": "Bash", "arguments": call["arguments"]}}]},
        {"role": "tool", "tool_call_id": call["id"], "content": "served"},
    ]  # fmt: skip
    answer = client.chat.completions.create(model="anything", messages=messages, tools=[BASH])  # type: ignore[list-item]
    assert answer.choices[0].message.content == "FINAL: served"
    assert models_sent(upstream) == ["serve-model", "serve-model"]  # the "serve" binding


def test_the_anthropic_sdk_streams_and_calls_a_tool(served: str, upstream: FakeUpstream) -> None:
    client = anthropic.Anthropic(base_url=served, api_key=KEY, max_retries=0)
    tool = {
        "name": "Bash",
        "description": "Run a shell command",
        "input_schema": BASH["function"]["parameters"],
    }  # type: ignore[index]
    messages: list[Any] = [{"role": "user", "content": "run it"}]
    with client.messages.stream(
        model="claude-sonnet",
        max_tokens=100,
        messages=messages,
        tools=[tool],  # type: ignore[list-item]
    ) as stream:
        message = stream.get_final_message()
    [use] = [b for b in message.content if b.type == "tool_use"]
    assert use.name == "Bash" and use.input == {"command": "echo served"}
    messages += [
        {"role": "assistant", "content": [b.model_dump() for b in message.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "served"}]},
    ]  # fmt: skip
    final = client.messages.create(
        model="claude-sonnet", max_tokens=100, messages=messages, tools=[tool]
    )  # type: ignore[list-item]
    assert final.content[0].text == "FINAL: served"  # type: ignore[union-attr]
    assert models_sent(upstream) == ["claude-model", "claude-model"]


def test_the_responses_api_streams_through_the_codex_binding(
    served: str, upstream: FakeUpstream
) -> None:
    client = openai.OpenAI(base_url=served + "/v1", api_key=KEY, max_retries=0)
    with client.responses.stream(model="gpt", input="hi") as stream:
        response = stream.get_final_response()
    assert response.output_text == "hello"
    assert models_sent(upstream) == ["codex-model"]


def test_google_genai_streams_and_calls_a_function(served: str, upstream: FakeUpstream) -> None:
    client = genai.Client(
        api_key=KEY, http_options=genai_types.HttpOptions(base_url=served, api_version="v1beta")
    )
    declaration = genai_types.FunctionDeclaration(
        name="run_shell_command",
        description="Run a shell command",
        parameters_json_schema=BASH["function"]["parameters"],  # type: ignore[index]
    )
    config = genai_types.GenerateContentConfig(
        tools=[genai_types.Tool(function_declarations=[declaration])]
    )
    chunks = list(
        client.models.generate_content_stream(model="gemini-pro", contents="run it", config=config)
    )
    calls = [
        p.function_call
        for c in chunks
        for p in (c.candidates[0].content.parts or [])
        if p.function_call
    ]  # type: ignore[index,union-attr]
    assert calls and calls[0].name == "run_shell_command"
    assert calls[0].args == {"command": "echo served"}
    assert models_sent(upstream) == ["gemini-model"]


def test_a_wrong_or_missing_key_is_401(served: str, upstream: FakeUpstream) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    wrong = httpx.post(f"{served}/v1/chat/completions", json=body,
                       headers={"authorization": "Bearer cg-not-the-key-000000000"})  # fmt: skip
    missing = httpx.post(f"{served}/v1/chat/completions", json=body)
    assert wrong.status_code == missing.status_code == 401
    assert wrong.json()["error"]["message"]  # in the caller's protocol (OpenAI's shape)
    assert upstream.requests == []


def test_a_per_client_key_routes_to_its_own_binding(served: str, upstream: FakeUpstream) -> None:
    client = openai.OpenAI(base_url=served + "/v1", api_key=CURSOR_KEY, max_retries=0)
    answer = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "hello"
    assert models_sent(upstream) == ["cursor-model"]  # cursor's binding, not "serve"


def test_the_caller_is_told_apart_by_its_user_agent(served: str, upstream: FakeUpstream) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {KEY}", "user-agent": "claude-cli/2.1.197 (external)"}
    response = httpx.post(f"{served}/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200
    assert models_sent(upstream) == ["claude-model"]  # claude's binding, though it spoke Chat


@pytest.mark.parametrize(
    ("agent", "binding"),
    [
        ("claude-cli/2.1.197 (external, cli)", "claude"),
        ("QwenCode/0.15.10 (linux; x64)", "qwen"),  # as Qwen Code sends it
        ("opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14", "opencode"),
        ("OpenAI/Python 2.20.0", "serve"),  # aider and Hermes: their SDK's, so by protocol
    ],
)
def test_real_user_agents_pick_their_tools_binding(agent: str, binding: str) -> None:
    from cligate.server.messages import IncomingRequest

    settings = Settings(
        providers={"p": ProviderSettings("p", WireProtocol.OPENAI_CHAT, "http://127.0.0.1:9")},
        tools={name: ToolBinding(provider="p") for name in ("claude", "qwen", "opencode", "serve")},
    )
    dispatcher = ServeDispatcher(settings, {}, UpstreamSelector(proxies={}), {})
    request = IncomingRequest(
        "POST", "/v1/chat/completions", [(b"user-agent", agent.encode())], b""
    )
    assert dispatcher.binding_name(request, WireProtocol.OPENAI_CHAT) == binding


def test_models_lists_what_the_callers_binding_offers(served: str) -> None:
    client = openai.OpenAI(base_url=served + "/v1", api_key=KEY, max_retries=0)
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "serve-model" and "smart" in ids
    claude = anthropic.Anthropic(base_url=served, api_key=KEY, max_retries=0)
    assert next(m.id for m in claude.models.list()) == "claude-model"


def test_a_stop_lets_a_stream_in_progress_finish(upstream: FakeUpstream) -> None:
    upstream.stream_delay = 0.1
    key = (ResolvedKey(UPSTREAM_KEY, None, "upstream"),)
    thread = ServeThread(settings_for(upstream), {"anth": key, "chat": key})
    url = thread.start()
    client = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    with client.messages.stream(
        model="m", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        events = iter(stream)
        next(events)  # the stream has begun
        stopper = threading.Thread(target=thread.stop, kwargs={"grace": 10})
        stopper.start()
        text = stream.get_final_text()
    stopper.join(15)
    assert text == "hello"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models", timeout=2)


def test_a_stop_past_its_grace_ends_a_stream_with_an_error_event(upstream: FakeUpstream) -> None:
    upstream.stream_delay = 1.0
    key = (ResolvedKey(UPSTREAM_KEY, None, "upstream"),)
    thread = ServeThread(settings_for(upstream), {"anth": key, "chat": key})
    url = thread.start()
    client = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(
            model="m", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        events = iter(stream)
        next(events)
        stopper = threading.Thread(target=thread.stop, kwargs={"grace": 0.2})
        stopper.start()
        for _ in events:
            pass
    stopper.join(15)
    assert "shutting down" in str(caught.value)


def test_allow_remote_on_loopback_takes_any_host_for_a_tunnel(upstream: FakeUpstream) -> None:
    """A tunnel (what Cursor needs: it calls from its own servers) forwards requests to
    127.0.0.1 with its public Host; --allow-remote accepts them, the key still required."""
    from cligate.cli.serve_command import plan_serve

    settings = settings_for(upstream)
    assert plan_serve(settings, {}, KEY, "127.0.0.1", None, allow_remote=True).remote is True
    assert plan_serve(settings, {}, KEY, "127.0.0.1", None, allow_remote=False).remote is False
    key = (ResolvedKey(UPSTREAM_KEY, None, "upstream"),)
    for any_host, expected in ((False, 4), (True, 2)):
        thread = ServeThread(settings, {"anth": key, "chat": key}, any_host=any_host)
        url = thread.start()
        try:
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            headers = {"host": "cligate-demo.trycloudflare.com", "authorization": f"Bearer {KEY}"}
            answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
            assert answer.status_code // 100 == expected, answer.text
            if any_host:
                no_key = httpx.post(f"{url}/v1/chat/completions", json=body,
                                    headers={"host": headers["host"]})  # fmt: skip
                assert no_key.status_code == 401
        finally:
            thread.stop()
