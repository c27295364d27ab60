"""Bad input and failing providers: every case gets a clear error in the caller's protocol."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from cligate.protocols.kinds import WireProtocol
from cligate.server.limits import ServerLimits
from cligate.upstream.types import Timeouts
from tests.fake_upstream import CutStream, FakeUpstream, Hang, HttpError
from tests.proxy.conftest import SECRET, start_proxy

MESSAGE = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def proxy_url(upstream: FakeUpstream, upstream_client: str) -> Iterator[str]:
    thread, url = start_proxy(upstream, WireProtocol.ANTHROPIC, upstream_client)
    yield url
    thread.stop()


def post(url: str, body: bytes | None = None, **headers: str) -> httpx.Response:
    content = json.dumps(MESSAGE).encode() if body is None else body
    return httpx.post(f"{url}/v1/messages", content=content, headers=headers, timeout=15)


# --- the secret and the Host header ----------------------------------------------------------


def test_anthropic_sdk_without_the_secret_gets_an_authentication_error(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    client = anthropic.Anthropic(base_url=proxy_url, api_key="not-the-secret", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(**MESSAGE)  # type: ignore[call-overload]
    assert "cligate" in caught.value.message
    assert upstream.requests == []  # nothing reached the provider


def test_openai_sdk_without_the_secret_gets_401(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(upstream, WireProtocol.OPENAI_RESPONSES)
    try:
        client = openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError, match="cligate"):
            client.responses.create(model="m", input="hi")
    finally:
        thread.stop()


def test_gemini_sdk_without_the_secret_gets_401(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(upstream, WireProtocol.GEMINI)
    try:
        client = genai.Client(api_key="wrong", http_options=genai_types.HttpOptions(base_url=url))
        with pytest.raises(genai_errors.ClientError) as caught:
            client.models.generate_content(model="gemini-2.5-pro", contents="hi")
        assert caught.value.code == 401 and "cligate" in str(caught.value.message)
    finally:
        thread.stop()


def test_a_foreign_host_header_is_403_even_with_the_secret(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    response = post(proxy_url, **{"x-api-key": SECRET, "host": "evil.example"})
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert upstream.requests == []


def test_no_cors_headers_even_for_a_preflight(proxy_url: str) -> None:
    response = httpx.options(
        f"{proxy_url}/v1/messages",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert response.status_code == 401
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_head_preconnect_without_secret_gets_a_bodyless_401(proxy_url: str) -> None:
    response = httpx.head(proxy_url + "/")
    assert response.status_code == 401 and response.content == b""


# --- malformed requests ----------------------------------------------------------------------


def test_malformed_json_is_400_in_anthropic_shape(proxy_url: str, upstream: FakeUpstream) -> None:
    response = post(proxy_url, b'{"model": "m", ', **{"x-api-key": SECRET})
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert "not valid JSON" in error["error"]["message"]
    assert response.headers["x-should-retry"] == "false"  # it can never succeed
    assert upstream.requests == []


def test_a_non_string_model_is_400(proxy_url: str) -> None:
    response = post(proxy_url, b'{"model": 42}', **{"x-api-key": SECRET})
    assert response.status_code == 400 and "model" in response.json()["error"]["message"]


def test_an_oversized_body_is_413(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(
        upstream, WireProtocol.ANTHROPIC, limits=ServerLimits(max_body_bytes=1000)
    )
    try:
        response = post(url, b"{" + b" " * 2000 + b"}", **{"x-api-key": SECRET})
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "request_too_large"
    finally:
        thread.stop()
    assert upstream.requests == []


def test_oversized_headers_are_431(proxy_url: str) -> None:
    response = post(proxy_url, **{"x-api-key": SECRET, "x-big": "a" * 100_000})
    assert response.status_code == 431


def test_garbage_instead_of_http_gets_400_and_a_closed_connection(proxy_url: str) -> None:
    host, port = proxy_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")


# --- failing providers -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 429, 500, 503, 529])
def test_provider_errors_keep_their_status_and_body(
    proxy_url: str, upstream: FakeUpstream, status: int
) -> None:
    upstream.set_fault(HttpError(status, f"provider says {status}"))
    response = post(proxy_url, **{"x-api-key": SECRET})
    assert response.status_code == status
    assert f"provider says {status}" in response.json()["error"]["message"]


def test_an_unreachable_provider_is_502_naming_cligate_and_the_provider() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    fake = FakeUpstream(api_key="k")  # never started: only its type is needed
    thread, url = start_proxy(fake, WireProtocol.ANTHROPIC, base_url=dead)
    try:
        client = anthropic.Anthropic(base_url=url, api_key=SECRET, max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(**MESSAGE)  # type: ignore[call-overload]
    finally:
        thread.stop()
    assert caught.value.status_code == 502
    assert "x-should-retry" not in caught.value.response.headers  # the network may recover
    assert "cligate" in caught.value.message and "'fake'" in caught.value.message
    assert dead in caught.value.message


def test_a_provider_that_hangs_is_504(upstream: FakeUpstream, upstream_client: str) -> None:
    upstream.set_fault(Hang(5))
    thread, url = start_proxy(
        upstream,
        WireProtocol.ANTHROPIC,
        upstream_client,
        timeouts=Timeouts(first_byte=0.5, idle=0.5),
    )
    try:
        response = post(url, **{"x-api-key": SECRET})
    finally:
        thread.stop()
    assert response.status_code == 504
    assert "cligate" in response.json()["error"]["message"]


def test_a_stream_cut_halfway_ends_with_an_anthropic_error_event(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(CutStream(after_events=3))
    client = anthropic.Anthropic(base_url=proxy_url, api_key=SECRET, max_retries=0)
    received: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(**MESSAGE) as stream,  # type: ignore[arg-type]
    ):
        for event in stream:
            received.append(event.type)
    assert received[:1] == ["message_start"]  # what arrived before the cut was delivered
    assert "broke" in str(caught.value) and "cligate" in str(caught.value)


def test_a_responses_stream_cut_halfway_ends_with_response_failed(upstream: FakeUpstream) -> None:
    upstream.set_fault(CutStream(after_events=3))
    thread, url = start_proxy(upstream, WireProtocol.OPENAI_RESPONSES)
    try:
        response = httpx.post(
            f"{url}/v1/responses",
            json={"model": "m", "input": "hi", "stream": True},
            headers={"authorization": f"Bearer {SECRET}"},
        )
    finally:
        thread.stop()
    events = [line for line in response.text.split("\n") if line.startswith("data: ")]
    last = json.loads(events[-1][len("data: ") :])
    assert last["type"] == "response.failed"
    assert "cligate" in last["response"]["error"]["message"]
    assert len(events) == 4  # the three whole events before the cut, then the failure


def test_a_gemini_stream_cut_halfway_ends_with_an_error_object(upstream: FakeUpstream) -> None:
    upstream.set_fault(CutStream(after_events=1))
    thread, url = start_proxy(upstream, WireProtocol.GEMINI)
    try:
        client = genai.Client(api_key=SECRET, http_options=genai_types.HttpOptions(base_url=url))
        with pytest.raises(genai_errors.APIError) as caught:
            for _ in client.models.generate_content_stream(model="g", contents="hi"):
                pass
    finally:
        thread.stop()
    assert "cligate" in str(caught.value)


def test_a_plain_answer_cut_halfway_becomes_a_clear_502(
    proxy_url: str, upstream: FakeUpstream
) -> None:
    upstream.set_fault(CutStream(after_events=1))  # on a non-streamed call: half the body
    client = anthropic.Anthropic(base_url=proxy_url, api_key=SECRET, max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(**MESSAGE)  # type: ignore[call-overload]
    assert caught.value.status_code == 502
    assert "cligate" in caught.value.message and "broke" in caught.value.message


def test_a_client_that_stalls_mid_request_is_dropped(upstream: FakeUpstream) -> None:
    thread, url = start_proxy(
        upstream, WireProtocol.ANTHROPIC, limits=ServerLimits(read_timeout=0.3, idle_timeout=5)
    )
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: " + url[7:].encode() + b"\r\n")
            sock.sendall(b"Content-Length: 100\r\n\r\n{")  # and then nothing more
            started = __import__("time").monotonic()
            assert sock.recv(4096) == b""  # closed by the proxy, not by our 10 s timeout
            assert __import__("time").monotonic() - started < 5
    finally:
        thread.stop()
    assert upstream.requests == []


def test_a_target_that_would_change_the_host_never_reaches_any_server(
    upstream: FakeUpstream,
) -> None:
    """The secret is in the tool's environment, so any command the agent runs has it: it must
    not be able to make cligate send the provider's key to a host of its choosing."""
    with FakeUpstream(api_key=None) as attacker:
        thread, url = start_proxy(upstream, WireProtocol.ANTHROPIC, base_url=upstream.base_url)
        host, port = url.removeprefix("http://").split(":")
        evil = attacker.base_url.removeprefix("http://")
        try:
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(
                    f"POST @{evil}/steal HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"x-api-key: {SECRET}\r\ncontent-length: 2\r\n\r\n{{}}".encode()
                )
                answer = sock.recv(65536)
        finally:
            thread.stop()
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert attacker.requests == [] and upstream.requests == []
