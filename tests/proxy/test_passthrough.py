"""The proxy in front of a provider of the same protocol, driven by the official SDKs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from cligate.config.settings import ToolBinding
from cligate.protocols.kinds import WireProtocol
from tests.fake_upstream import FakeUpstream, ShellRoundTrip
from tests.proxy.conftest import SECRET, UPSTREAM_KEY, start_proxy

CAPTURES = __import__("pathlib").Path(__file__).parents[1] / "captures"


@pytest.fixture
def anthropic_proxy(upstream: FakeUpstream, upstream_client: str) -> Iterator[str]:
    thread, url = start_proxy(upstream, WireProtocol.ANTHROPIC, upstream_client)
    yield url
    thread.stop()


def test_anthropic_sdk_streams_through_the_proxy(
    anthropic_proxy: str, upstream: FakeUpstream
) -> None:
    client = anthropic.Anthropic(base_url=anthropic_proxy, api_key=SECRET, max_retries=0)
    with client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == "hello through cligate"
    [recorded] = upstream.requests
    assert recorded.header("x-api-key") == UPSTREAM_KEY
    assert recorded.header("authorization") is None
    assert recorded.json["model"] == "claude-sonnet-4-6"


def test_anthropic_sdk_non_streaming(anthropic_proxy: str) -> None:
    client = anthropic.Anthropic(base_url=anthropic_proxy, api_key=SECRET, max_retries=0)
    message = client.messages.create(
        model="m", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].text == "hello through cligate"  # type: ignore[union-attr]


def test_a_captured_claude_code_body_arrives_byte_for_byte(
    anthropic_proxy: str, upstream: FakeUpstream
) -> None:
    capture = json.loads((CAPTURES / "claude" / "tool__02_messages_stream.json").read_text())
    body = json.dumps(capture["request"]["body"], ensure_ascii=False, indent=1).encode()
    response = httpx.post(
        f"{anthropic_proxy}/v1/messages?beta=true",
        content=body,
        headers={"x-api-key": SECRET, "anthropic-version": "2023-06-01"},
        timeout=10,
    )
    assert response.status_code == 200
    [recorded] = upstream.requests
    assert recorded.body == body  # unchanged: same bytes, order, spacing
    assert recorded.query == "beta=true"
    assert recorded.header("anthropic-version") == "2023-06-01"


def test_a_chunked_request_body_is_reassembled(
    anthropic_proxy: str, upstream: FakeUpstream
) -> None:
    body = json.dumps(
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 200_000}]}
    ).encode()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 7000):
            yield body[start : start + 7000]

    response = httpx.post(
        f"{anthropic_proxy}/v1/messages", content=pieces(), headers={"x-api-key": SECRET}
    )
    assert response.status_code == 200
    assert upstream.requests[0].body == body


def test_keep_alive_serves_many_requests_on_one_connection(
    anthropic_proxy: str, upstream: FakeUpstream
) -> None:
    with httpx.Client(base_url=anthropic_proxy, headers={"x-api-key": SECRET}) as client:
        statuses = [
            client.post(
                "/v1/messages", json={"model": "m", "max_tokens": 5, "messages": []}
            ).status_code
            for _ in range(20)
        ]
    assert statuses == [200] * 20
    assert len(upstream.requests) == 20


def test_binding_model_fills_a_request_without_one(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(
        upstream, WireProtocol.ANTHROPIC, binding=ToolBinding(model="bound-model")
    )
    try:
        response = httpx.post(
            f"{url}/v1/messages",
            content=b'{"max_tokens": 5, "messages": []}',
            headers={"x-api-key": SECRET},
        )
    finally:
        thread.stop()
    assert response.status_code == 200
    assert upstream.requests[0].body == b'{"model":"bound-model","max_tokens": 5, "messages": []}'


def test_openai_responses_sdk_streams_a_tool_round_trip(upstream_client: str) -> None:
    with FakeUpstream(api_key=UPSTREAM_KEY, script=ShellRoundTrip("cat token.txt")) as fake:
        thread, url = start_proxy(fake, WireProtocol.OPENAI_RESPONSES, upstream_client)
        try:
            client = openai.OpenAI(base_url=url + "/v1", api_key=SECRET, max_retries=0)
            tools = [
                {
                    "type": "function",
                    "name": "exec_command",
                    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
                }
            ]
            events = list(
                client.responses.create(model="gpt-5", input="run it", tools=tools, stream=True)
            )  # type: ignore[arg-type]
            done = [e for e in events if e.type == "response.completed"]
            [call] = [i for i in done[0].response.output if i.type == "function_call"]
            assert call.name == "exec_command" and json.loads(call.arguments) == {
                "cmd": "cat token.txt"
            }
            final = client.responses.create(
                model="gpt-5",
                tools=tools,  # type: ignore[arg-type]
                input=[
                    {
                        "type": "function_call",
                        "call_id": call.call_id,
                        "name": call.name,
                        "arguments": call.arguments,
                    },
                    {"type": "function_call_output", "call_id": call.call_id, "output": "TOKEN-42"},
                ],
            )
            assert "TOKEN-42" in final.output_text
        finally:
            thread.stop()
    assert all(r.header("authorization") == f"Bearer {UPSTREAM_KEY}" for r in fake.requests)


def test_gemini_sdk_streams_through_the_proxy(upstream: FakeUpstream, upstream_client: str) -> None:
    thread, url = start_proxy(upstream, WireProtocol.GEMINI, upstream_client)
    try:
        client = genai.Client(api_key=SECRET, http_options=genai_types.HttpOptions(base_url=url))
        chunks = list(client.models.generate_content_stream(model="gemini-2.5-pro", contents="hi"))
        assert "".join(c.text or "" for c in chunks) == "hello through cligate"
    finally:
        thread.stop()
    [recorded] = upstream.requests
    assert recorded.path.endswith("/models/gemini-2.5-pro:streamGenerateContent")
    assert recorded.query == "alt=sse"
    assert recorded.header("x-goog-api-key") == UPSTREAM_KEY
