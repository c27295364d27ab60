"""Hard inputs at the proxy's front door, pass-through and translated: each gets a clear error
in the caller's own protocol, reaches no provider when it cannot succeed, and leaves nothing
behind (no connection to the provider, no task, no file descriptor).

Content types: cligate reads a model call's body as JSON whatever its Content-Type says (the
CLIs all send JSON; ``curl -d`` labels JSON as form data), so JSON under ``text/plain`` is
served; a body that is not JSON (form data, invalid UTF-8) is a 400.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from cligate.protocols.kinds import WireProtocol
from cligate.server.limits import ServerLimits
from tests.fake_upstream import FakeUpstream
from tests.proxy.conftest import SECRET, ProxyThread, start_proxy

A = WireProtocol.ANTHROPIC
CHAT = WireProtocol.OPENAI_CHAT
RESPONSES = WireProtocol.OPENAI_RESPONSES
GEMINI = WireProtocol.GEMINI

PATH = {
    A: "/v1/messages",
    CHAT: "/v1/chat/completions",
    RESPONSES: "/v1/responses",
    GEMINI: "/v1beta/models/g:generateContent",
}
BODY = {
    A: {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
    CHAT: {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    RESPONSES: {"model": "m", "input": "hi"},
    GEMINI: {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
}
AUTH = {
    A: {"x-api-key": SECRET},
    CHAT: {"authorization": f"Bearer {SECRET}"},
    RESPONSES: {"authorization": f"Bearer {SECRET}"},
    GEMINI: {"x-goog-api-key": SECRET},
}
# Each client protocol served pass-through, and translated to another provider protocol.
BINDINGS = [
    pytest.param(A, None, id="anthropic"),
    pytest.param(CHAT, None, id="chat"),
    pytest.param(RESPONSES, None, id="responses"),
    pytest.param(GEMINI, None, id="gemini"),
    pytest.param(A, CHAT, id="anthropic-on-chat"),
    pytest.param(CHAT, GEMINI, id="chat-on-gemini"),
    pytest.param(RESPONSES, A, id="responses-on-anthropic"),
    pytest.param(GEMINI, RESPONSES, id="gemini-on-responses"),
]


@dataclass
class Proxy:
    thread: ProxyThread
    url: str
    protocol: WireProtocol

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)

    def post(self, body: bytes, content_type: str = "application/json") -> httpx.Response:
        headers = {**AUTH[self.protocol], "content-type": content_type}
        return httpx.post(self.url + PATH[self.protocol], content=body, headers=headers)


@pytest.fixture
def proxy(request: pytest.FixtureRequest, upstream: FakeUpstream) -> Iterator[Proxy]:
    protocol, provider_protocol = request.param
    thread, url = start_proxy(upstream, protocol, provider_protocol=provider_protocol)
    yield Proxy(thread, url, protocol)
    thread.stop()


def assert_error(protocol: WireProtocol, response: httpx.Response, status: int) -> str:
    """``response`` is cligate's error ``status`` in the shape ``protocol``'s SDK reads; its
    message is returned."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    if protocol is A:
        assert response.json()["type"] == "error" and isinstance(error["type"], str)
    elif protocol is GEMINI:
        assert error["code"] == status and isinstance(error["status"], str)
    else:
        assert isinstance(error["type"], str) and "code" in error
    message = error["message"]
    assert isinstance(message, str) and message.startswith("cligate:"), message
    return message


def by_binding(argvalues: list[object]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("proxy", argvalues, indirect=True)


def bound(**failing: str) -> list[object]:
    """Every binding; those named (by id, "-" as "_") are known to fail for the reason given."""
    return [
        pytest.param(
            p.values,
            id=p.id,
            marks=[pytest.mark.xfail(strict=True, reason=failing[key])] if key in failing else [],
        )
        for p in BINDINGS
        for key in [str(p.id).replace("-", "_")]
    ]


BOUND = bound()


# --- content types and bodies ----------------------------------------------------------------


@by_binding(BOUND)
def test_json_labelled_as_plain_text_is_served(proxy: Proxy, upstream: FakeUpstream) -> None:
    response = proxy.post(json.dumps(BODY[proxy.protocol]).encode(), "text/plain")
    assert response.status_code == 200, response.text
    assert len(upstream.requests) == 1


@by_binding(BOUND)
def test_a_form_body_is_400(proxy: Proxy, upstream: FakeUpstream) -> None:
    response = proxy.post(b"model=m&max_tokens=5&prompt=hi", "application/x-www-form-urlencoded")
    assert_error(proxy.protocol, response, 400)
    assert upstream.requests == []


@by_binding(BOUND)
def test_a_body_of_invalid_utf8_is_400(proxy: Proxy, upstream: FakeUpstream) -> None:
    body = json.dumps(BODY[proxy.protocol]).encode().replace(b'"hi"', b'"h\xff\xfei"')
    assert "UTF-8" in assert_error(proxy.protocol, proxy.post(body), 400)
    assert upstream.requests == []


@by_binding(BOUND)
def test_json_nested_beyond_reason_is_400(proxy: Proxy, upstream: FakeUpstream) -> None:
    body = json.dumps(BODY[proxy.protocol]).encode()
    body = body[:-1] + b', "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert_error(proxy.protocol, proxy.post(body), 400)
    assert upstream.requests == []


@by_binding(BOUND)
def test_a_lone_surrogate_escape_is_400_or_served(proxy: Proxy, upstream: FakeUpstream) -> None:
    """Valid JSON text, but no Unicode string: a provider refuses it, cligate must not crash."""
    body = json.dumps(BODY[proxy.protocol]).encode().replace(b'"hi"', b'"h\\ud800i"')
    response = proxy.post(body)
    if response.status_code != 200:
        assert_error(proxy.protocol, response, 400)


@pytest.mark.parametrize(("protocol", "provider_protocol"), [BINDINGS[1], BINDINGS[7]])
def test_a_chunked_body_over_the_cap_is_413(
    upstream: FakeUpstream, protocol: WireProtocol, provider_protocol: WireProtocol | None
) -> None:
    thread, url = start_proxy(
        upstream, protocol, provider_protocol=provider_protocol, limits=ServerLimits(1024, 1000)
    )
    try:
        pieces = iter([b"{", b" " * 600, b" " * 600, b"}"])  # no content-length: chunked
        response = httpx.post(url + PATH[protocol], content=pieces, headers=AUTH[protocol])
    finally:
        thread.stop()
    assert "over 1000 bytes" in assert_error(protocol, response, 413)
    assert upstream.requests == []


def test_a_large_body_refused_by_its_content_length_still_gets_its_413(
    upstream: FakeUpstream,
) -> None:
    """The 413 is decided from the head while the client is still sending its body: the client
    must read the answer, not a connection reset."""
    thread, url = start_proxy(upstream, CHAT, limits=ServerLimits(max_body_bytes=1000))
    try:
        body = b'{"model": "m", "pad": "' + b"x" * 4_000_000 + b'"}'
        response = httpx.post(url + PATH[CHAT], content=body, headers=AUTH[CHAT], timeout=10)
    finally:
        thread.stop()
    assert_error(CHAT, response, 413)
    assert upstream.requests == []


# --- raw HTTP: slow heads, old versions, pipelining, chunked framing -------------------------


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def split_responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Whole responses of a byte stream, each with a content-length or chunked body."""
    responses = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line, _, data = data.partition(b"\r\n")
                size = int(size_line, 16)
                body, data = body + data[:size], data[size + 2 :]
                if size == 0:
                    break
        else:
            size = int(headers.get("content-length", "0"))
            body, data = data[:size], data[size:]
        responses.append((int(status_line.split()[1]), headers, body))
    return responses


def request_bytes(
    protocol: WireProtocol, host: str, version: str = "1.1", extra: str = ""
) -> bytes:
    body = json.dumps(BODY[protocol])
    auth = "".join(f"{k}: {v}\r\n" for k, v in AUTH[protocol].items())
    return (
        f"POST {PATH[protocol]} HTTP/{version}\r\nHost: {host}\r\n{auth}{extra}"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n{body}"
    ).encode()


def test_a_head_trickled_byte_by_byte_is_cut_off_by_the_header_deadline(
    upstream: FakeUpstream,
) -> None:
    """Slowloris: one byte every 0.05 s never lets a 5 s silence allowance expire; the 0.5 s
    allowance for the whole head does."""
    thread, url = start_proxy(
        upstream, A, limits=ServerLimits(header_timeout=0.5, idle_timeout=5, read_timeout=5)
    )
    host, port = url.removeprefix("http://").split(":")
    head = request_bytes(A, f"{host}:{port}")
    started = time.monotonic()
    try:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            cut = False
            for byte in head[:200]:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    cut = True
                    break
                if select.select([sock], [], [], 0.05)[0]:
                    cut = True
                    break
            assert cut, "the whole trickle was accepted"
            elapsed = time.monotonic() - started
            assert 0.4 < elapsed < 3
            with contextlib.suppress(ConnectionResetError):
                assert read_all(sock) == b""  # closed without an answer
    finally:
        thread.stop()
    assert upstream.requests == []


def test_the_header_deadline_starts_with_the_first_byte(upstream: FakeUpstream) -> None:
    """A keep-alive connection idle for longer than the head's allowance is still served."""
    thread, url = start_proxy(upstream, A, limits=ServerLimits(header_timeout=0.3, idle_timeout=5))
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            time.sleep(0.8)
            sock.sendall(request_bytes(A, f"{host}:{port}", extra="connection: close\r\n"))
            [(status, _, _)] = split_responses(read_all(sock))
    finally:
        thread.stop()
    assert status == 200


@by_binding(BOUND)
def test_http_1_0_gets_one_answer_and_a_closed_connection(proxy: Proxy) -> None:
    host, port = proxy.address
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request_bytes(proxy.protocol, f"{host}:{port}", version="1.0"))
        answer = read_all(sock)  # ends: HTTP/1.0 without keep-alive is one request
    assert answer.startswith(b"HTTP/1.1 200 ")
    [(status, headers, body)] = split_responses(answer)
    assert status == 200 and "chunked" not in headers.get("transfer-encoding", "")
    assert body  # a 1.0 client cannot read chunked framing: the body is delimited by the close


@by_binding(BOUND)
def test_pipelined_requests_are_answered_in_order(proxy: Proxy, upstream: FakeUpstream) -> None:
    host, port = proxy.address
    good = request_bytes(proxy.protocol, f"{host}:{port}")
    bad = good.replace(b"\r\n\r\n{", b"\r\n\r\n[", 1)  # same length, not a JSON object
    last = request_bytes(proxy.protocol, f"{host}:{port}", extra="connection: close\r\n")
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(good + bad + last)  # all three at once, before any answer
        answers = split_responses(read_all(sock))
    assert [status for status, _, _ in answers] == [200, 400, 200]
    assert len(upstream.requests) == 2


@by_binding(BOUND)
def test_a_bad_chunk_is_400_and_reaches_no_provider(proxy: Proxy, upstream: FakeUpstream) -> None:
    host, port = proxy.address
    auth = "".join(f"{k}: {v}\r\n" for k, v in AUTH[proxy.protocol].items())
    head = (
        f"POST {PATH[proxy.protocol]} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
        "transfer-encoding: chunked\r\n\r\n"
    ).encode()
    for bad in [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}}}}}\r\n0\r\n\r\n"]:
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(head + bad)
            [(status, headers, body)] = split_responses(read_all(sock))
        assert status == 400 and headers["connection"] == "close"
        assert json.loads(body)["error"]["message"].startswith("cligate: malformed HTTP")
    assert upstream.requests == []


# --- unknown paths and methods ---------------------------------------------------------------


@by_binding(BOUND)
@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_another_method_on_a_model_call_is_405(
    proxy: Proxy, upstream: FakeUpstream, method: str
) -> None:
    response = httpx.request(
        method,
        proxy.url + PATH[proxy.protocol],
        headers=AUTH[proxy.protocol],
        content=json.dumps(BODY[proxy.protocol]),
    )
    assert_error(proxy.protocol, response, 405)
    assert response.headers["allow"] == "POST"
    assert upstream.requests == []


@by_binding([p for p in BOUND if p.values[0][1] is not None])
def test_an_unknown_path_at_a_translated_provider_is_404(
    proxy: Proxy, upstream: FakeUpstream
) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = httpx.request(method, proxy.url + "/v1/nothing", headers=AUTH[proxy.protocol])
        assert "no equivalent" in assert_error(proxy.protocol, response, 404)
    assert upstream.requests == []


# --- a client gone in the middle of a stream -------------------------------------------------


@dataclass
class TrickleUpstream:
    """A provider that streams one event, then (unless ``silent``) one every 0.1 s until its
    connection is closed, noting when that happened."""

    protocol: WireProtocol
    silent: bool = False
    closed_at: float | None = None
    connections: int = 0
    _listener: socket.socket = field(default_factory=socket.socket)

    def __post_init__(self) -> None:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _event(self) -> bytes:
        if self.protocol is CHAT:
            chunk = {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "x"}}]}
            data = json.dumps(chunk)
        else:
            data = json.dumps({"type": "ping"})
        return f"data: {data}\n\n".encode()

    def _serve(self) -> None:
        sock, _ = self._listener.accept()
        self.connections += 1
        with sock:
            sock.recv(65536)
            sock.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            first = b'{"type":"message_start","message":{"id":"x","model":"m","usage":{}}}'
            if self.protocol is CHAT:
                first = self._event()[len("data: ") : -2]
            self._chunk(sock, b"event: message_start\ndata: " + first + b"\n\n")
            while True:
                try:
                    if select.select([sock], [], [], 0.1)[0] and not sock.recv(65536):
                        break  # the proxy closed its side
                except OSError:
                    break  # or reset it: closed all the same
                if not self.silent:
                    try:
                        self._chunk(sock, self._event())
                    except OSError:
                        break
            self.closed_at = time.monotonic()

    @staticmethod
    def _chunk(sock: socket.socket, data: bytes) -> None:
        sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")
@pytest.mark.parametrize(
    ("provider_protocol", "silent"),
    [
        pytest.param(None, False, id="pass-through"),
        pytest.param(CHAT, False, id="translated"),
        pytest.param(CHAT, True, id="translated-silent-provider"),
        pytest.param(None, True, id="pass-through-silent-provider"),
    ],
)
def test_a_client_gone_mid_stream_closes_the_providers_connection(
    provider_protocol: WireProtocol | None, silent: bool
) -> None:
    provider = TrickleUpstream(provider_protocol or A, silent=silent)
    fake = FakeUpstream(api_key="k")  # never started: only its type is needed
    thread, url = start_proxy(
        fake, A, base_url=provider.base_url, provider_protocol=provider_protocol,
        keepalive_seconds=0.2,
    )  # fmt: skip
    try:
        before = open_descriptors()
        host, port = url.removeprefix("http://").split(":")
        body = json.dumps({**BODY[A], "stream": True})
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {host}:{port}\r\nx-api-key: {SECRET}\r\n"
            f"content-length: {len(body)}\r\n\r\n{body}".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # the stream has begun
        time.sleep(0.2)
        left = time.monotonic()
        sock.close()
        deadline = left + 3
        while provider.closed_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert provider.closed_at is not None, "the provider's connection was kept open"
        assert provider.closed_at - left < 1.5
        while thread.server._connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not thread.server._connections  # the connection's task ended
        assert not thread.upstream_client._pool._idle.get(provider_origin(provider), [])
        assert open_descriptors() <= before  # the client's and the provider's sockets closed
    finally:
        thread.stop()
    assert provider.connections == 1


def provider_origin(provider: TrickleUpstream) -> object:
    from cligate.upstream.types import split_url

    return split_url(provider.base_url)[0]
