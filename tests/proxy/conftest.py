from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from cligate.config.settings import (
    AuthStyle,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.observe.trace import TraceSettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import GatewayHandler, RunContext
from cligate.server.limits import ServerLimits
from cligate.server.proxy import ProxyServer
from cligate.upstream.selector import UpstreamSelector
from cligate.upstream.types import Timeouts
from tests.fake_upstream import FakeUpstream, TextReply

UPSTREAM_KEY = "upstream-key"
SECRET = "per-run-secret-for-proxy-tests-0123456789"
TOOL_FOR = {
    WireProtocol.ANTHROPIC: "claude",
    WireProtocol.OPENAI_RESPONSES: "codex",
    WireProtocol.GEMINI: "gemini",
    WireProtocol.OPENAI_CHAT: "chat-client",
}


@dataclass
class RunningProxy:
    url: str
    secret: str
    upstream: FakeUpstream


class ProxyThread:
    """The real proxy on 127.0.0.1:0, its event loop in a background thread."""

    def __init__(
        self,
        context: RunContext,
        client: str = "h11",
        timeouts: Timeouts | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        timeouts = timeouts or Timeouts()
        self.upstream_client = UpstreamSelector(timeouts=timeouts, proxies={}, force=client)
        handler = GatewayHandler(context, self.upstream_client)
        self.server = ProxyServer(handler, handler.error_for_path, SECRET, limits)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(5)
        return self.server.url

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.server.close()
            await self.upstream_client.aclose()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@pytest.fixture(params=["h11", "httpx"])
def upstream_client(request: pytest.FixtureRequest) -> str:
    """Both upstream clients must behave the same; the h11 pool is the default."""
    return str(request.param)


def start_proxy(
    upstream: FakeUpstream,
    protocol: WireProtocol,
    client: str = "h11",
    timeouts: Timeouts | None = None,
    limits: ServerLimits | None = None,
    base_url: str | None = None,
    binding: ToolBinding | None = None,
    provider_protocol: WireProtocol | None = None,
    keepalive_seconds: float = 10.0,
    provider: ProviderSettings | None = None,
    trace: TraceSettings | None = None,
) -> tuple[ProxyThread, str]:
    """The proxy for a tool of ``protocol`` bound to provider "fake" (of ``provider_protocol``,
    the tool's own by default; translated otherwise)."""
    speaks = provider_protocol or protocol
    suffix = "/v1" if speaks in (WireProtocol.OPENAI_CHAT, WireProtocol.OPENAI_RESPONSES) else ""
    provider = provider or ProviderSettings(
        name="fake",
        protocol=speaks,
        base_url=base_url or upstream.base_url + suffix,
        auth=AuthStyle.default_for(speaks),
    )
    context = RunContext(
        tool=TOOL_FOR[protocol],
        tool_protocol=protocol,
        settings=Settings(providers={provider.name: provider}),
        binding=replace(binding or ToolBinding(), provider=provider.name),
        keys={provider.name: (ResolvedKey(UPSTREAM_KEY, None, "test key"),)},
        keepalive_seconds=keepalive_seconds,
        trace=trace,
    )
    thread = ProxyThread(context, client, timeouts, limits)
    return thread, thread.start()


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=UPSTREAM_KEY, script=TextReply("hello through cligate")) as fake:
        yield fake
