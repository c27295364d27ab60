"""Serve cligate's proxy alone (no tool) for the translation benchmark; prints its URL, then
serves until SIGTERM.

    python bench/translation_proxy.py UPSTREAM_URL UPSTREAM_KEY SECRET CLIENT MODEL [PROFILE]

The tool is claude (Anthropic Messages); its provider is the Chat Completions upstream at
UPSTREAM_URL (base URL UPSTREAM_URL/v1, bearer auth), bound to MODEL, so every request is
translated. CLIENT is cligate's upstream client (h11 or httpx). With PROFILE, the proxy runs
under cProfile and writes its statistics there when it stops.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from cligate.config.settings import (
    AuthStyle,
    ProviderSettings,
    ResolvedKey,
    Settings,
    ToolBinding,
)
from cligate.protocols.kinds import WireProtocol
from cligate.server.handler import GatewayHandler, RunContext
from cligate.server.proxy import ProxyServer
from cligate.upstream.selector import UpstreamSelector


def chat_provider(upstream_url: str) -> ProviderSettings:
    return ProviderSettings(
        name="bench",
        protocol=WireProtocol.OPENAI_CHAT,
        base_url=upstream_url + "/v1",
        auth=AuthStyle.BEARER,
    )


async def serve(upstream_url: str, upstream_key: str, secret: str, client: str, model: str) -> None:
    provider = chat_provider(upstream_url)
    context = RunContext(
        tool="claude",
        tool_protocol=WireProtocol.ANTHROPIC,
        settings=Settings(providers={provider.name: provider}),
        binding=ToolBinding(provider=provider.name, model=model),
        keys={provider.name: (ResolvedKey(upstream_key, None, "bench"),)},
        background_hint="haiku",
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


def main(argv: list[str]) -> None:
    upstream_url, upstream_key, secret, client, model = argv[:5]
    run = serve(upstream_url, upstream_key, secret, client, model)
    if len(argv) < 6:
        asyncio.run(run)
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(run)
    finally:
        profiler.disable()
        profiler.dump_stats(argv[5])


if __name__ == "__main__":
    main(sys.argv[1:])
