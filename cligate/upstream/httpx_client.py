"""The httpx-backed upstream client, used where httpx does better than the connection pool:
requests that must go through the user's HTTP(S) proxy (``HTTPS_PROXY``, ``ALL_PROXY``)."""

from __future__ import annotations

import asyncio
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


def _httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    # httpx has one read limit for headers and body alike; the phases are timed here instead.
    return httpx.Timeout(connect=timeouts.connect, read=None, write=timeouts.write, pool=None)


class HttpxResponse:
    def __init__(
        self, response: httpx.Response, url: str, timeouts: Timeouts, deadline: float
    ) -> None:
        self.status = response.status_code
        self.headers = [(k.lower(), v) for k, v in response.headers.raw]
        self._response = response
        self._url = url
        self._timeouts = timeouts
        self._deadline = deadline  # loop time by which the whole attempt must be over

    async def chunks(self) -> AsyncIterator[bytes]:
        # Each wait for the next piece is timed, never the caller's work between pieces: a
        # timeout around the yields would cancel whatever the caller awaits.
        loop = asyncio.get_running_loop()
        idle, pieces = self._timeouts.idle, self._response.aiter_raw()
        try:
            while True:
                by_idle = loop.time() + idle
                try:
                    async with asyncio.timeout_at(min(by_idle, self._deadline)):
                        chunk = await anext(pieces)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if by_idle <= self._deadline:
                        raise UpstreamTimeoutError(
                            f"no data from {self._url} for {idle:g} s (idle limit)"
                        ) from None
                    raise UpstreamTimeoutError(
                        f"{self._url} did not finish its answer within "
                        f"{self._timeouts.total:g} s (total limit)"
                    ) from None
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
        self._timeouts = timeouts
        self._client = httpx.AsyncClient(
            timeout=_httpx_timeout(timeouts),
            trust_env=False,  # one source of truth: the selector's proxy settings
            verify=verify,
            follow_redirects=False,
            transport=transport,
            mounts=mounts,
        )

    async def send(self, request: UpstreamRequest) -> HttpxResponse:
        timeouts = request.timeouts or self._timeouts
        http_request = self._client.build_request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.body,
            timeout=_httpx_timeout(timeouts),
        )
        now = asyncio.get_running_loop().time()
        deadline = now + timeouts.total  # inf when there is no total limit
        headers_limit = min(timeouts.first_byte, timeouts.total)
        try:
            async with asyncio.timeout_at(now + headers_limit):
                response = await self._client.send(http_request, stream=True)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"{request.origin.url} sent no response headers within {headers_limit:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise _map_error(exc, request.origin.url) from exc
        return HttpxResponse(response, request.origin.url, timeouts, deadline)

    async def aclose(self) -> None:
        await self._client.aclose()
