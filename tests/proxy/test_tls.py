"""Providers are reached over TLS: the h11 pool verifies the certificate and the host name."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
import trustme

from cligate.errors import UpstreamUnreachableError
from cligate.upstream.pool import ConnectionPool
from cligate.upstream.types import Origin, UpstreamRequest

ANSWER = b'{"ok": true}'


async def tls_server(context: ssl.SSLContext) -> tuple[asyncio.Server, int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    return server, server.sockets[0].getsockname()[1]


def request_to(host: str, port: int) -> UpstreamRequest:
    return UpstreamRequest("POST", Origin("https", host, port), "/v1/messages", [], b"{}")


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # as a corporate CA would be configured
    return authority


def serve_and_send(ca: trustme.CA, cert_host: str, request_host: str) -> bytes:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(cert_host).configure_cert(context)

    async def scenario() -> bytes:
        server, port = await tls_server(context)
        pool = ConnectionPool()
        try:
            response = await pool.send(request_to(request_host, port))
            return b"".join([chunk async for chunk in response.chunks()])
        finally:
            await pool.aclose()
            server.close()

    return asyncio.run(scenario())


def test_a_trusted_certificate_for_the_host_is_accepted(ca: trustme.CA) -> None:
    assert serve_and_send(ca, "localhost", "localhost") == ANSWER


def test_a_certificate_for_another_host_is_refused(ca: trustme.CA) -> None:
    with pytest.raises(UpstreamUnreachableError, match="TLS"):
        serve_and_send(ca, "provider.example", "localhost")


def test_an_untrusted_certificate_is_refused(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")  # the system roots do not know our test CA
    with pytest.raises(UpstreamUnreachableError, match="TLS"):
        serve_and_send(ca, "localhost", "localhost")
