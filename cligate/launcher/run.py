"""``cligate run TOOL``: resolve what to launch, start the proxy, supervise the tool, tear down."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cligate.config.settings import ProviderSettings, Settings, ToolBinding
from cligate.errors import ConfigError, MissingKeyError, ToolNotInstalledError, UsageError
from cligate.launcher.child import LaunchValues, build_child
from cligate.launcher.tools import TOOLS, ToolSpec, known_tools


@dataclass(frozen=True, slots=True)
class RunRequest:
    tool: str
    args: list[str]
    provider: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    tool: ToolSpec
    binary: str
    provider: ProviderSettings
    provider_key: str
    binding: ToolBinding


def binary_override_var(tool: str) -> str:
    return f"CLIGATE_{tool.upper()}_BIN"


def find_binary(tool: ToolSpec, env: Mapping[str, str]) -> str:
    override = env.get(binary_override_var(tool.name))
    if override:
        return override
    found = shutil.which(tool.binary, path=env.get("PATH", os.defpath))
    if found is None:
        raise ToolNotInstalledError(
            f"{tool.binary} is not installed (not found on PATH); install it with: "
            f"{tool.install_hint}"
        )
    return found


def resolve(request: RunRequest, settings: Settings, env: Mapping[str, str]) -> LaunchPlan:
    """Everything ``cligate run`` needs before it starts anything; every error is explained."""
    tool = TOOLS.get(request.tool)
    if tool is None:
        raise UsageError(f"unknown tool '{request.tool}'; known tools: {known_tools()}")
    binding = settings.tools.get(tool.name, ToolBinding())
    provider_name = request.provider or binding.provider
    where = settings.source or "the config file"
    if provider_name is None:
        raise ConfigError(
            f"no provider is set for {tool.name}: pass --provider NAME or set "
            f'[tools.{tool.name}] provider = "NAME" in {where}'
        )
    provider = settings.providers.get(provider_name)
    if provider is None:
        known = ", ".join(sorted(settings.providers)) or "none yet"
        raise ConfigError(f"no provider named '{provider_name}' in {where} (known: {known})")
    if provider.protocol is not tool.protocol:
        raise ConfigError(
            f"provider '{provider.name}' speaks {provider.protocol.display_name} but "
            f"{tool.name} speaks {tool.protocol.display_name}; this version of cligate only "
            "passes requests through to a provider of the tool's own protocol"
        )
    try:
        key = provider.api_key.resolve(env, provider.name) if provider.api_key else ""
    except MissingKeyError as error:
        raise MissingKeyError(
            f"{error.message}, or pick another provider with --provider NAME or "
            f'[tools.{tool.name}] provider = "NAME" in {where}'
        ) from None
    binary = find_binary(tool, env)
    model = request.model or binding.model
    return LaunchPlan(tool, binary, provider, key, ToolBinding(provider.name, model))


@contextlib.contextmanager
def _tool_environment(plan: LaunchPlan, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Extra per-run files some tools need (removed afterwards), merged into ``env``."""
    if not plan.tool.needs_gemini_settings:
        yield env
        return
    from cligate.launcher.gemini_settings import gemini_settings_overlay

    with gemini_settings_overlay(env) as extra:
        yield {**env, **extra}


async def _run(plan: LaunchPlan, user_args: list[str], env: dict[str, str]) -> int:
    from cligate.launcher.reaper import become_subreaper, end_descendants, end_process_group
    from cligate.launcher.supervisor import Supervisor
    from cligate.server.handler import GatewayHandler, RunContext
    from cligate.server.proxy import ProxyServer
    from cligate.upstream.selector import UpstreamSelector

    secret = secrets.token_urlsafe(32)
    upstream = UpstreamSelector(force=env.get("CLIGATE_UPSTREAM_CLIENT") or None)
    context = RunContext(
        tool=plan.tool.name,
        tool_protocol=plan.tool.protocol,
        provider=plan.provider,
        provider_key=plan.provider_key,
        binding=plan.binding,
    )
    handler = GatewayHandler(context, upstream)
    proxy = ProxyServer(handler, handler.error_for_path, secret)
    await proxy.start()
    supervisor: Supervisor | None = None
    try:
        values = LaunchValues(proxy.url, secret, plan.binding.model)
        child = build_child(plan.tool, plan.binary, user_args, values, env)
        become_subreaper()
        supervisor = Supervisor(child)
        return await supervisor.run()
    finally:
        if supervisor is not None and supervisor.pid:
            end_process_group(supervisor.pid)
        await proxy.close()
        await upstream.aclose()
        if supervisor is not None and supervisor.pid:
            end_descendants()


def run_tool(request: RunRequest, settings: Settings, env: dict[str, str]) -> int:
    plan = resolve(request, settings, env)
    with _tool_environment(plan, env) as child_env:
        return asyncio.run(_run(plan, request.args, child_env))
