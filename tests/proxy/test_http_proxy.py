"""Upstream calls honour the user's HTTP proxy settings; loopback tool traffic never does."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

import pytest

from cligate.upstream.selector import UpstreamSelector, needs_http_proxy
from cligate.upstream.types import Origin, UpstreamRequest


def one_shot_proxy() -> tuple[str, list[bytes], Callable[[], None]]:
    """An HTTP proxy for one request: it records the request line and answers 200 "ok".
    Returns its URL, the lines seen, and how to stop it."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve_once() -> None:
        connection, _ = listener.accept()
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(65536)
            seen.append(head.split(b"\r\n")[0])
            connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()

    def stop() -> None:
        thread.join(5)
        listener.close()

    return f"http://127.0.0.1:{listener.getsockname()[1]}", seen, stop


@pytest.mark.parametrize(
    ("origin", "proxies", "expected"),
    [
        (Origin("https", "api.example.com", 443), {}, False),
        (Origin("https", "api.example.com", 443), {"https": "http://proxy:3128"}, True),
        (Origin("http", "api.example.com", 80), {"https": "http://proxy:3128"}, False),
        (Origin("https", "api.example.com", 443), {"all": "http://proxy:3128"}, True),
        (
            Origin("https", "api.example.com", 443),
            {"https": "http://proxy:3128", "no": "example.com"},
            False,
        ),
        (
            Origin("https", "api.other.com", 443),
            {"https": "http://proxy:3128", "no": "example.com"},
            True,
        ),
        # A provider on this machine (Ollama, LM Studio) is never sent to a proxy, even when
        # NO_PROXY forgot localhost.
        (Origin("http", "127.0.0.1", 11434), {"all": "http://proxy:3128"}, False),
        (Origin("http", "localhost", 1234), {"http": "http://proxy:3128"}, False),
        (Origin("http", "::1", 11434), {"http": "http://proxy:3128", "no": "x.com"}, False),
        (Origin("http", "127.0.0.2", 80), {"http": "http://proxy:3128"}, False),
    ],
)
def test_which_origins_go_through_the_proxy(
    origin: Origin, proxies: dict[str, str], expected: bool
) -> None:
    assert needs_http_proxy(origin, proxies) is expected


def test_a_request_for_a_proxied_origin_reaches_the_proxy() -> None:
    """A one-shot HTTP proxy records the request line it gets and answers 200."""
    proxy_url, seen, stop = one_shot_proxy()

    async def scenario() -> tuple[int, bytes]:
        selector = UpstreamSelector(proxies={"http": proxy_url})
        request = UpstreamRequest(
            "POST", Origin("http", "provider.invalid", 80), "/v1/messages", [], b"{}"
        )
        try:
            response = await selector.send(request)
            body = b"".join([chunk async for chunk in response.chunks()])
            return response.status, body
        finally:
            await selector.aclose()

    status, body = asyncio.run(scenario())
    stop()
    assert (status, body) == (200, b"ok")
    assert seen == [b"POST http://provider.invalid/v1/messages HTTP/1.1"]


def test_a_providers_own_proxy_is_used_without_any_environment() -> None:
    """``proxy = …`` on a provider (or a key) sends its traffic through that proxy."""
    proxy_url, seen, stop = one_shot_proxy()

    async def scenario() -> int:
        selector = UpstreamSelector(proxies={})  # nothing in the environment
        request = UpstreamRequest(
            "POST", Origin("http", "provider.invalid", 80), "/v1/x", [], b"{}", proxy=proxy_url
        )
        try:
            response = await selector.send(request)
            await response.aclose()
            return response.status
        finally:
            await selector.aclose()

    assert asyncio.run(scenario()) == 200
    stop()
    assert seen == [b"POST http://provider.invalid/v1/x HTTP/1.1"]
