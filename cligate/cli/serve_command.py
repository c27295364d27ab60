"""``cligate serve``: the proxy as a persistent local endpoint, and ``cligate env``: the shell
lines that point a tool at it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cligate.config.settings import ResolvedKey, Settings
from cligate.errors import CligateError, MissingKeyError, UsageError
from cligate.hosts import is_loopback_host

if TYPE_CHECKING:
    from cligate.observe.records import RecordLog
    from cligate.server.serve import TraceFactory

DEFAULT_PORT = 8081
SHUTDOWN_GRACE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ServePlan:
    host: str
    port: int
    key: str  # the default client key
    clients: dict[str, str]  # client name → its key
    client_bindings: dict[str, str]  # client name → binding
    keys: dict[str, tuple[ResolvedKey, ...]]  # provider → keys at hand
    remote: bool


def main(port: int | None, host: str, allow_remote: bool, show_key: bool, verbose: bool) -> int:
    from cligate.cli.common import fail

    try:
        settings = _settings()
        key = _default_key()
        if show_key:
            print(key)
            return 0
        plan = plan_serve(settings, os.environ, key, host, port, allow_remote)
    except CligateError as error:
        raise fail(error) from None
    from cligate.observe.log import configure_stderr_log

    configure_stderr_log(verbose)
    try:
        listener = _listen(plan.host, plan.port)
    except OSError as exc:
        print(f"cligate serve: cannot listen on {plan.host}:{plan.port}: {exc}", file=sys.stderr)
        return 1
    url = f"http://{plan.host}:{plan.port}"
    print(f"cligate serve: listening on {url} (its key: cligate serve --show-key)", flush=True)
    return asyncio.run(_serve(settings, plan, listener))


def plan_serve(
    settings: Settings,
    env: Mapping[str, str],
    key: str,
    host: str,
    port: int | None,
    allow_remote: bool,
) -> ServePlan:
    remote = not is_loopback_host(host)
    if remote and not allow_remote:
        raise UsageError(
            f"{host} is reachable from other machines; pass --allow-remote to serve there "
            "(every request then needs a key)"
        )
    clients: dict[str, str] = {}
    for name, client in settings.serve.clients.items():
        try:
            clients[name] = client.key.resolve(env, f"serve client {name}")
        except MissingKeyError as exc:
            raise UsageError(str(exc)) from None
    keys = {name: p.available_keys(env) for name, p in settings.providers.items()}
    return ServePlan(
        host=host,
        port=port or settings.serve.port or DEFAULT_PORT,
        key=key,
        clients=clients,
        client_bindings={name: c.binding for name, c in settings.serve.clients.items()},
        keys={name: found for name, found in keys.items() if found},
        # On this machine's address, --allow-remote is for a tunnel (Cursor calls from its own
        # servers): requests then carry the tunnel's Host, and the key is the guard.
        remote=remote or allow_remote,
    )


async def _serve(settings: Settings, plan: ServePlan, listener: socket.socket) -> int:
    from cligate.server.proxy import ProxyServer
    from cligate.server.serve import ServeDispatcher
    from cligate.upstream.selector import UpstreamSelector

    upstream = UpstreamSelector(force=os.environ.get("CLIGATE_UPSTREAM_CLIENT") or None)
    log, trace_for = _records(settings, plan)
    dispatcher = ServeDispatcher(
        settings, plan.keys, upstream, plan.client_bindings, trace_for=trace_for
    )
    server = ProxyServer(
        dispatcher,
        dispatcher.error_for_path,
        plan.key,
        clients=plan.clients,
        any_host=plan.remote,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    await server.start(listener)
    try:
        await stop.wait()
        print("cligate serve: stopping; answers in progress may finish", file=sys.stderr)
        await server.close(grace=SHUTDOWN_GRACE_SECONDS)
    finally:
        await server.close()
        await upstream.aclose()
        if log is not None:
            log.close()
    return 0


def _records(settings: Settings, plan: ServePlan) -> tuple[RecordLog | None, TraceFactory | None]:
    """One record log for the server; each (binding, protocol) handler gets its settings."""
    if os.environ.get("CLIGATE_RECORDS") == "0":
        return None, None
    from secrets import token_hex

    from cligate.config.paths import state_dir
    from cligate.observe.costs import cost_estimator
    from cligate.observe.records import RecordLog, records_path
    from cligate.observe.trace import TraceSettings
    from cligate.protocols.kinds import WireProtocol

    log = RecordLog(records_path(state_dir()))
    run = f"serve-{os.getpid()}-{token_hex(3)}"
    estimate = cost_estimator(settings)
    secrets_ = (
        *(k.value for found in plan.keys.values() for k in found if k.value),
        plan.key,
        *plan.clients.values(),
    )

    def trace_for(tool: str, protocol: WireProtocol) -> TraceSettings:
        return TraceSettings(
            log=log,
            run=run,
            tool=tool,
            client_protocol=protocol,
            estimate_cost=estimate,
            capture_bodies=os.environ.get("CLIGATE_RECORD_BODIES") == "1",
            secrets=secrets_,
        )

    return log, trace_for


def env_lines(tool: str, url: str, key: str, model: str | None = None) -> list[str]:
    """Shell lines that point ``tool`` at a running ``cligate serve`` at ``url``; ``model`` is
    the one a tool whose settings must name a model is told."""
    import shlex

    from cligate.launcher.child import LaunchValues, fill, placeholder_values
    from cligate.launcher.tools import TOOLS, known_tools

    spec = TOOLS.get(tool)
    if spec is None:
        raise UsageError(f"unknown tool '{tool}'; known tools: {known_tools()}")
    if spec.files:
        raise UsageError(
            f"{tool} takes its settings from a file, which cligate writes for each run: use "
            f"cligate run {tool}, or point its own settings at {url}{spec.base_url_suffix} "
            f"(docs/tools/{tool}.md)"
        )
    if spec.needs_model and not model:
        raise UsageError(
            f'{tool}\'s settings must name a model: set [tools.{tool}] model = "MODEL"'
        )
    values = placeholder_values(spec, LaunchValues(url, key, model))
    lines = [f"# {tool} through cligate serve at {url} (keep `cligate serve` running)"]
    lines += [f"unset {name}" for name in spec.unset_env]
    variables = {**spec.env, **(spec.model_env if model else {})}
    for name, value in variables.items():
        lines.append(f"export {name}={shlex.quote(fill(value, values))}")
    arguments = [*spec.args, *(spec.model_args if model else ())]
    if arguments:
        joined = " ".join(shlex.quote(fill(a, values)) for a in arguments)
        lines.append(f"alias {spec.binary}={shlex.quote(f'{spec.binary} {joined}')}")
    if spec.needs_gemini_settings:
        lines.append(
            '# Gemini CLI needs "security.auth.selectedType": "gemini-api-key" in '
            "~/.gemini/settings.json (or /auth → Use Gemini API Key) to use this base URL"
        )
    return lines


def env_main(tool: str, port: int | None, client: str | None) -> int:
    from cligate.cli.common import fail

    try:
        settings = _settings()
        if client is None:
            key = _default_key()
        else:
            entry = settings.serve.clients.get(client)
            if entry is None:
                known = ", ".join(settings.serve.clients) or "none"
                raise UsageError(f"no serve client named '{client}' (known: {known})")
            key = entry.key.resolve(os.environ, f"serve client {client}")
        url = f"http://127.0.0.1:{port or settings.serve.port or DEFAULT_PORT}"
        print("\n".join(env_lines(tool, url, key, _model_for(settings, tool))))
    except CligateError as error:
        raise fail(error) from None
    return 0


def _model_for(settings: Settings, tool: str) -> str | None:
    """For a tool whose settings must name a model: its binding's model, else its provider's
    default (the others ask for what they like; serve routes it by their binding)."""
    from cligate.launcher.run import default_model
    from cligate.launcher.tools import TOOLS

    binding = settings.tools.get(tool)
    if binding is None or tool not in TOOLS or not TOOLS[tool].needs_model:
        return None
    provider = settings.providers.get(binding.provider or "")
    return binding.model or (default_model(provider) if provider else None)


def _settings() -> Settings:
    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings

    return load_effective_settings(config_file())


def _default_key() -> str:
    from cligate.config.paths import config_dir
    from cligate.config.serve_key import serve_key

    return serve_key(config_dir())


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(512)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener
