"""Serve cligate's proxy alone (no tool) for the benchmark; prints its URL, then serves until
SIGTERM. The provider is the fake upstream at argv[1], speaking the Anthropic protocol; argv[5],
when given, is a directory for request records (records are off without it)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from cligate.config.settings import (
    AuthStyle,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.observe.records import RecordLog, records_path
from cligate.observe.trace import TraceSettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import GatewayHandler, RunContext
from cligate.server.proxy import ProxyServer
from cligate.upstream.selector import UpstreamSelector


async def serve(
    upstream_url: str, upstream_key: str, secret: str, client: str, records: str | None
) -> None:
    provider = ProviderSettings(
        "bench", WireProtocol.ANTHROPIC, upstream_url, None, AuthStyle.X_API_KEY
    )
    context = RunContext(
        tool="claude",
        tool_protocol=WireProtocol.ANTHROPIC,
        settings=Settings(providers={"bench": provider}),
        binding=ToolBinding(provider="bench"),
        keys={"bench": (ResolvedKey(upstream_key, None, "bench"),)},
        trace=_trace(Path(records)) if records else None,
    )
    upstream = UpstreamSelector(proxies={}, force=client)
    handler = GatewayHandler(context, upstream)
    proxy = ProxyServer(handler, handler.error_for_path, secret)
    await proxy.start()
    print(proxy.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await proxy.close()
    await upstream.aclose()
    if context.trace is not None:
        context.trace.log.close()


def _trace(directory: Path) -> TraceSettings:
    return TraceSettings(
        log=RecordLog(records_path(directory)),
        run="bench",
        tool="claude",
        client_protocol=WireProtocol.ANTHROPIC,
        estimate_cost=lambda provider, model, tokens: tokens.total * 3e-6,
    )


if __name__ == "__main__":
    records = sys.argv[5] if len(sys.argv) > 5 else None
    asyncio.run(serve(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], records))
