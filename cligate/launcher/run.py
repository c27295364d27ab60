"""``cligate run TOOL``: resolve what to launch, start the proxy, supervise the tool, tear down."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cligate.config.settings import ProviderSettings, ResolvedKey, Settings, ToolBinding
from cligate.errors import ConfigError, MissingKeyError, ToolNotInstalledError, UsageError
from cligate.launcher.child import LaunchValues, build_child
from cligate.launcher.tools import TOOLS, ToolSpec, generic_tool, known_tools
from cligate.launcher.which import find_real, is_shim

if TYPE_CHECKING:
    from cligate.launcher.spawn import SpawnedChild
    from cligate.observe.trace import TraceSettings
    from cligate.protocols.kinds import WireProtocol


@dataclass(frozen=True, slots=True)
class RunRequest:
    tool: str
    args: list[str]
    provider: str | None = None
    model: str | None = None
    verbose: bool = False
    protocol: WireProtocol | None = None  # set for any command (the generic adapter)


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    tool: ToolSpec
    binary: str
    settings: Settings
    binding: ToolBinding
    keys: dict[str, tuple[ResolvedKey, ...]]  # provider name → the keys at hand


def tier_models(plan: LaunchPlan) -> tuple[tuple[str, str], ...]:
    """The binding's tiers as model ids the tool can show and send back (routing maps a
    request for exactly that id to the tier's target)."""
    from cligate.routing.plan import resolve_target

    pairs = []
    for keyword, ref in plan.binding.tiers:
        model = resolve_target(plan.settings, plan.binding, ref).upstream_model
        if model:
            pairs.append((keyword, model))
    return tuple(pairs)


def model_for_tool(plan: LaunchPlan) -> str | None:
    """The model name the tool is told. A tool whose request shape depends on the name is
    told a name with the shape cligate translates best when its provider speaks another
    protocol; the binding's model is what the provider gets (routing's default)."""
    bound = plan.settings.providers[plan.binding.provider or ""]
    if plan.tool.translated_model and bound.protocol is not plan.tool.protocol:
        return plan.tool.translated_model
    if plan.binding.model is None and plan.tool.needs_model:
        return default_model(bound)
    return plan.binding.model


def default_model(provider: ProviderSettings) -> str | None:
    """The model a provider answers when nothing names one: the first of the models chosen
    for it, else its preset's standard tier, else the preset's first model."""
    if provider.models:
        return provider.models[0]
    if provider.preset is None:
        return None
    from cligate.config.presets import load_presets

    preset = load_presets().get(provider.preset)
    if preset is None:
        return None
    return preset.tiers.standard or next(iter(preset.models), None)


def new_secret() -> str:
    """32 random bytes, URL-safe: usable as a header value and as a path segment.

    (``secrets.token_urlsafe`` does the same but imports hmac and random on the launch path.)
    """
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def binary_override_var(tool: str) -> str:
    return f"CLIGATE_{tool.upper()}_BIN"


def find_binary(tool: ToolSpec, env: Mapping[str, str]) -> str:
    """The real binary: the override, or the first on PATH that is not a cligate shim (a shim
    would start cligate again). PATH itself is left as it is for the tool."""
    override_var = binary_override_var(tool.name)
    override = env.get(override_var)
    if override:
        if is_shim(override):
            raise ToolNotInstalledError(
                f"{override_var} points to {override}, a cligate shim, not the real "
                f"{tool.binary}; point it at the {tool.binary} binary"
            )
        return override
    if os.sep in tool.binary:  # a path given to the generic adapter
        if os.path.isfile(tool.binary) and os.access(tool.binary, os.X_OK):
            return tool.binary
        raise ToolNotInstalledError(f"{tool.binary} is not an executable file")
    found = find_real(tool.binary, env.get("PATH", os.defpath))
    if found.binary is None:
        shims = f", only the cligate shim {found.shims[0]}" if found.shims else ""
        raise ToolNotInstalledError(
            f"{tool.binary} is not installed (not found on PATH{shims}); install it with: "
            f"{tool.install_hint}"
        )
    return found.binary


def resolve(request: RunRequest, settings: Settings, env: Mapping[str, str]) -> LaunchPlan:
    """Everything ``cligate run`` needs before it starts anything; every error is explained."""
    if request.protocol is not None:
        tool: ToolSpec | None = generic_tool(request.tool, request.protocol)
    else:
        tool = TOOLS.get(request.tool)
    if tool is None:
        raise UsageError(
            f"unknown tool '{request.tool}'; known tools: {known_tools()} (any other command: "
            f"cligate run --protocol openai-chat -- {request.tool} …)"
        )
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
    from cligate.protocols.kinds import can_translate

    if not can_translate(tool.protocol, provider.protocol):
        raise ConfigError(
            f"provider '{provider.name}' speaks {provider.protocol.display_name} but "
            f"{tool.name} speaks {tool.protocol.display_name}, and cligate cannot translate "
            "between the two yet; pick a provider with another protocol (cligate providers "
            "presets lists what each one speaks)"
        )
    try:
        if provider.api_key is not None:  # the bound provider's key must be at hand
            provider.api_key.resolve(env, provider.name)
    except MissingKeyError as error:
        raise MissingKeyError(
            f"{error.message}, or pick another provider with --provider NAME or "
            f'[tools.{tool.name}] provider = "NAME" in {where}'
        ) from None
    binary = find_binary(tool, env)
    binding = replace(binding, provider=provider.name, model=request.model or binding.model)
    if tool.needs_model and binding.model is None and default_model(provider) is None:
        raise ConfigError(
            f"{tool.name}'s settings must name a model and provider '{provider.name}' has no "
            f'default one: pass --model MODEL or set [tools.{tool.name}] model = "MODEL" '
            f"in {where}"
        )
    return LaunchPlan(tool, binary, settings, binding, available_keys(settings, env))


def available_keys(
    settings: Settings, env: Mapping[str, str]
) -> dict[str, tuple[ResolvedKey, ...]]:
    """The keys of every provider that has one at hand; the others are skipped when routed to."""
    keys = {}
    for provider in settings.providers.values():
        found = provider.available_keys(env)
        if found:
            keys[provider.name] = found
    return keys


@contextlib.contextmanager
def _tool_environment(plan: LaunchPlan, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Gemini CLI's per-run home (removed afterwards), merged into ``env``."""
    if not plan.tool.needs_gemini_settings:
        yield env
        return
    from cligate.launcher.gemini_home import gemini_home_overlay

    with gemini_home_overlay(env) as extra:
        yield {**env, **extra}


@contextlib.contextmanager
def _run_directory(tool: ToolSpec) -> Iterator[str]:
    """The run's private directory (0700) for tools with per-run files, removed afterwards;
    "" for the others."""
    if not tool.files:
        yield ""
        return
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix=f"cligate-{tool.name}-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_run_files(run_dir: str, files: Mapping[str, str]) -> None:
    """Each file readable by the user alone, created fresh (never through a planted link)."""
    for name, text in files.items():
        descriptor = os.open(
            os.path.join(run_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)


async def _serve(
    plan: LaunchPlan,
    listener: socket.socket,
    secret: str,
    child: SpawnedChild,
    env: dict[str, str],
    verbose: bool,
) -> int:
    from cligate.launcher.supervisor import Supervisor
    from cligate.observe.log import configure_run_log
    from cligate.server.handler import GatewayHandler, RunContext
    from cligate.server.proxy import ProxyServer
    from cligate.upstream.selector import UpstreamSelector

    configure_run_log(verbose)
    supervisor = Supervisor(child)
    upstream = UpstreamSelector(force=env.get("CLIGATE_UPSTREAM_CLIENT") or None)
    context = RunContext(
        tool=plan.tool.name,
        tool_protocol=plan.tool.protocol,
        settings=plan.settings,
        binding=plan.binding,
        keys=plan.keys,
        background_hint=plan.tool.background_hint,
    )
    trace = _trace_settings(plan, secret, env)
    if trace is not None:
        context = replace(context, trace=trace)
    handler = GatewayHandler(context, upstream)
    proxy = ProxyServer(handler, handler.error_for_path, secret)
    try:
        await proxy.start(listener)
        _load_codecs(plan)
        return await supervisor.wait()
    finally:
        await proxy.close()
        await upstream.aclose()
        if trace is not None:
            trace.log.close()


def _trace_settings(plan: LaunchPlan, secret: str, env: dict[str, str]) -> TraceSettings | None:
    """Request records for this run (``CLIGATE_RECORDS=0`` turns them off;
    ``CLIGATE_RECORD_BODIES=1`` adds the bodies, keys redacted)."""
    if env.get("CLIGATE_RECORDS") == "0":
        return None
    from secrets import token_hex

    from cligate.config.paths import state_dir
    from cligate.observe.costs import cost_estimator
    from cligate.observe.records import RecordLog, records_path
    from cligate.observe.trace import TraceSettings

    keys = tuple(key.value for keys in plan.keys.values() for key in keys if key.value)
    return TraceSettings(
        log=RecordLog(records_path(state_dir(env))),
        run=f"{os.getpid()}-{token_hex(3)}",
        tool=plan.tool.name,
        client_protocol=plan.tool.protocol,
        estimate_cost=cost_estimator(plan.settings),
        capture_bodies=env.get("CLIGATE_RECORD_BODIES") == "1",
        secrets=(*keys, secret),
    )


def _load_codecs(plan: LaunchPlan) -> None:
    """When the bound provider speaks another protocol, load the codecs and its capability
    profile while the tool is still booting, so its first request does not wait for them (a
    fallback that needs them loads them when it is first used)."""
    bound = plan.settings.providers[plan.binding.provider or ""]
    if bound.protocol is not plan.tool.protocol:
        import cligate.server.translated  # noqa: F401  (with it, protocols/translate)
        from cligate.protocols.codecs import codec_for
        from cligate.routing.profiles import profile_for

        codec_for(plan.tool.protocol)
        codec_for(bound.protocol)
        profile_for(bound, plan.binding.model)  # reads the presets file once


def run_tool(request: RunRequest, settings: Settings, env: dict[str, str]) -> int:
    """Launch the tool with the proxy in front of it; return the tool's exit code.

    The listening socket is bound and the tool started first; the event loop and the server
    are imported and started while the tool boots, so cligate adds little to start-up.
    """
    from cligate.launcher.reaper import become_subreaper, end_descendants, end_process_group
    from cligate.launcher.spawn import hold_signals, release_signals, spawn
    from cligate.server.listener import LOOPBACK, bind_loopback

    plan = resolve(request, settings, env)
    secret = new_secret()
    with (
        _tool_environment(plan, env) as child_env,
        _run_directory(plan.tool) as run_dir,
        bind_loopback() as listener,
    ):
        proxy_url = f"http://{LOOPBACK}:{listener.getsockname()[1]}"
        values = LaunchValues(
            proxy_url, secret, model_for_tool(plan), tier_models(plan), run_dir=run_dir
        )
        spec = build_child(plan.tool, plan.binary, request.args, values, child_env)
        write_run_files(run_dir, spec.files)
        become_subreaper()
        hold_signals()
        child: SpawnedChild | None = None
        try:
            child = spawn(spec)
            import asyncio  # the slowest import of a launch, overlapped with the tool's start

            return asyncio.run(_serve(plan, listener, secret, child, env, request.verbose))
        finally:
            release_signals()
            if child is not None:
                end_process_group(child.pid)
                end_descendants()
