"""Pick the upstream client per origin: the connection pool (``upstream/pool.py``) for direct
connections, httpx when the user's proxy settings say the origin must be reached through an
HTTP(S) proxy."""

from __future__ import annotations

import os

from cligate.hosts import is_loopback_host
from cligate.upstream.pool import ConnectionPool
from cligate.upstream.types import (
    Origin,
    Timeouts,
    UpstreamClient,
    UpstreamRequest,
    UpstreamResponse,
)


def proxy_environment() -> dict[str, str]:
    """The user's proxy settings (``HTTPS_PROXY``, ``NO_PROXY``, …) as urllib reads them."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}  # the common case, without importing urllib.request (slow to import)
    import urllib.request

    return urllib.request.getproxies_environment()


def needs_http_proxy(origin: Origin, proxies: dict[str, str]) -> bool:
    """Whether the user's proxy environment routes ``origin`` through a proxy. A provider on
    this machine (Ollama, LM Studio) never is: a corporate proxy cannot reach it, and a
    NO_PROXY without localhost is the usual oversight, not an intent."""
    if origin.scheme not in proxies and "all" not in proxies:
        return False
    if is_loopback_host(origin.host):
        return False
    import urllib.request

    return not urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        f"{origin.host}:{origin.port}", proxies
    )


class UpstreamSelector:
    def __init__(
        self,
        timeouts: Timeouts | None = None,
        proxies: dict[str, str] | None = None,
        force: str | None = None,
    ) -> None:
        self._timeouts = timeouts or Timeouts()
        self._proxies = proxy_environment() if proxies is None else proxies
        self._force = force  # "h11" (the pool, named for its first version) or "httpx"
        self._pool = ConnectionPool(self._timeouts)
        self._httpx: UpstreamClient | None = None
        self._via_proxy: dict[str, UpstreamClient] = {}  # one client per configured proxy
        self._decisions: dict[Origin, bool] = {}

    def _uses_httpx(self, origin: Origin) -> bool:
        if self._force:
            return self._force == "httpx"
        decision = self._decisions.get(origin)
        if decision is None:
            decision = self._decisions[origin] = needs_http_proxy(origin, self._proxies)
        return decision

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        if request.proxy is not None:
            return await self._through(request.proxy).send(request)
        if not self._uses_httpx(request.origin):
            return await self._pool.send(request)
        if self._httpx is None:
            from cligate.upstream.httpx_client import HttpxClient  # heavy import: only if needed

            self._httpx = HttpxClient(self._timeouts, self._proxies)
        return await self._httpx.send(request)

    def _through(self, proxy: str) -> UpstreamClient:
        client = self._via_proxy.get(proxy)
        if client is None:
            from cligate.upstream.httpx_client import HttpxClient

            client = self._via_proxy[proxy] = HttpxClient(self._timeouts, {"all": proxy})
        return client

    async def aclose(self) -> None:
        for client in self._via_proxy.values():
            await client.aclose()
        await self._pool.aclose()
        if self._httpx is not None:
            await self._httpx.aclose()
