"""The httpx-backed upstream client, used where httpx does better than the h11 pool:
requests that must go through the user's HTTP(S) proxy (``HTTPS_PROXY``, ``ALL_PROXY``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from cligate.errors import (
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from cligate.upstream.tls import default_ssl_context
from cligate.upstream.types import Timeouts, UpstreamRequest


def _map_error(exc: httpx.HTTPError, url: str) -> UpstreamError:
    if isinstance(exc, httpx.ConnectTimeout):
        return UpstreamUnreachableError(f"could not connect to {url} in time")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeoutError(f"{url} timed out: {exc}")
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        return UpstreamUnreachableError(f"could not connect to {url}: {exc}")
    return UpstreamProtocolError(f"{url} failed: {exc}")


class HttpxResponse:
    def __init__(self, response: httpx.Response, url: str) -> None:
        self.status = response.status_code
        self.headers = [(k.lower(), v) for k, v in response.headers.raw]
        self._response = response
        self._url = url

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise _map_error(exc, self._url) from exc
        finally:
            await self._response.aclose()

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxClient:
    def __init__(
        self,
        timeouts: Timeouts | None = None,
        proxies: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``proxies`` maps a scheme (``http``, ``https``, ``all``) to a proxy URL, as
        ``urllib.request.getproxies_environment`` gives it; the selector has already applied
        ``NO_PROXY``, so whatever reaches this client goes through the proxy."""
        timeouts = timeouts or Timeouts()
        verify = default_ssl_context()
        mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
        for scheme in ("http", "https"):
            proxy = (proxies or {}).get(scheme) or (proxies or {}).get("all")
            if proxy:
                mounts[f"{scheme}://"] = httpx.AsyncHTTPTransport(proxy=proxy, verify=verify)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=None
            ),
            trust_env=False,  # one source of truth: the selector's proxy settings
            verify=verify,
            follow_redirects=False,
            transport=transport,
            mounts=mounts,
        )

    async def send(self, request: UpstreamRequest) -> HttpxResponse:
        http_request = self._client.build_request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        try:
            response = await self._client.send(http_request, stream=True)
        except httpx.HTTPError as exc:
            raise _map_error(exc, request.origin.url) from exc
        return HttpxResponse(response, request.origin.url)

    async def aclose(self) -> None:
        await self._client.aclose()
