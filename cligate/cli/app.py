"""The ``cligate`` command line. Heavy modules are imported inside commands, not here, so
``cligate run`` starts fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cligate import __version__
from cligate.cli.bind import bind, bindings
from cligate.cli.common import fail
from cligate.cli.completers import (
    RunCommand,
    complete_model,
    complete_provider,
    complete_tool,
    complete_usage_by,
)
from cligate.cli.completion_command import COMPLETE_VAR, completion_app
from cligate.cli.providers import providers_app
from cligate.cli.shims_command import shims_app
from cligate.errors import CligateError, ConfigError

if TYPE_CHECKING:
    from cligate.config.settings import Settings
    from cligate.routing.plan import RequestFacts, RoutePlan

app = typer.Typer(
    name="cligate",
    help="Run Claude Code, Codex CLI and Gemini CLI against the model provider you choose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Where the config file is and what it holds.", no_args_is_help=True)
app.add_typer(config_app, name="config")
route_app = typer.Typer(help="How requests are routed.", no_args_is_help=True)
app.add_typer(route_app, name="route")
app.add_typer(providers_app, name="providers")
app.command("bind")(bind)
app.command("bindings")(bindings)
app.add_typer(shims_app, name="shims")
app.add_typer(completion_app, name="completion")


def _version_callback(value: bool) -> None:
    if value:
        print(f"cligate {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Run Claude Code, Codex CLI and Gemini CLI against the model provider you choose."""


@app.command(
    cls=RunCommand,
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
    add_help_option=False,
)
def run(ctx: typer.Context) -> None:
    """Launch TOOL (claude, codex, gemini, opencode, qwen, aider, crush, openclaw) with a
    private proxy in front of it (see: cligate run --help)."""
    from cligate.cli.run_command import main

    raise typer.Exit(main(list(ctx.args)))


@config_app.command("path")
def config_path() -> None:
    """Print the path of the config file."""
    from cligate.config.paths import config_file

    print(config_file())


@config_app.command("show")
def config_show() -> None:
    """Print the providers and bindings, keys masked."""
    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings

    try:
        settings = load_effective_settings(config_file())
    except CligateError as error:
        raise fail(error) from None
    print(f"# {settings.source} (on top of the built-in providers)")
    for provider in settings.providers.values():
        key = provider.api_key.describe() if provider.api_key else "(none)"
        print(
            f"provider {provider.name}: {provider.protocol.value} {provider.base_url} "
            f"auth={provider.auth.value} key={key}"
        )
    for tool, binding in settings.tools.items():
        print(f"tool {tool}: provider={binding.provider} model={binding.model or '(tool default)'}")


def run_app(argv: list[str]) -> int:
    """Run the command line on ``argv`` and return the exit status."""
    import os

    if os.environ.get(COMPLETE_VAR):  # a shell asks for completions (completion_command.py)
        from cligate.cli.completion_command import enable_completion

        enable_completion()
    try:
        app(args=argv, prog_name="cligate")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


@route_app.command("explain")
def route_explain(
    tool: Annotated[
        str,
        typer.Option(
            "--tool", help="A tool: claude, codex, gemini, …", autocompletion=complete_tool
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", help="The model the tool asks for.", autocompletion=complete_model),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider", help="As cligate run --provider.", autocompletion=complete_provider
        ),
    ] = None,
    tokens: Annotated[int, typer.Option("--tokens", help="Estimated input tokens.")] = 0,
    thinking: Annotated[
        bool, typer.Option("--thinking", help="The request asks to think.")
    ] = False,
    images: Annotated[bool, typer.Option("--images", help="The request carries images.")] = False,
    background: Annotated[
        bool, typer.Option("--background", help="A background (small/fast) call.")
    ] = False,
    request_file: Annotated[
        Path | None,
        typer.Option(
            "--request",
            help="A request body (JSON) in the tool's protocol: show what translation would "
            "change in it for each target.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the chain of routing decisions for one request, the targets it would try and, for
    targets of another protocol, their capability profile and what translation degrades."""
    import json
    from dataclasses import replace

    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings
    from cligate.errors import UsageError
    from cligate.launcher.tools import TOOLS, known_tools
    from cligate.routing.explain import describe_profile, explain_targets
    from cligate.routing.plan import RequestFacts, RoutingError, route

    try:
        spec = TOOLS.get(tool)
        if spec is None:
            raise UsageError(f"unknown tool '{tool}'; known tools: {known_tools()}")
        settings = load_effective_settings(config_file())
        binding = settings.tools.get(tool)
        if binding is None:
            raise UsageError(f"{tool} has no binding")
        if provider:
            binding = replace(binding, provider=provider)
        body = _request_body(request_file) if request_file else None
        if model is None and body is not None and isinstance(body.get("model"), str):
            model = body["model"]
        facts = RequestFacts(model, tokens, thinking, images, background)
        plan = route(settings, binding, spec.protocol, facts)
        plan = _with_auto(plan, settings, model, facts, body)
        explained = explain_targets(plan, spec.protocol, body, binding.strict)
    except RoutingError as error:
        print(f"cligate: no route: {error}", file=sys.stderr)
        raise typer.Exit(1) from None
    except ValueError as error:  # the request file is not a valid request
        raise fail(UsageError(f"{request_file}: {error}")) from None
    except CligateError as error:
        raise fail(error) from None
    if as_json:
        targets = [
            {
                "provider": t.provider.name,
                "model": t.upstream_model,
                "translated_to": e.translated_to.value if e.translated_to else None,
                "degradations": list(e.degradations),
                "refused": e.refused,
            }
            for t, e in zip(plan.targets, explained, strict=True)
        ]
        print(json.dumps({"targets": targets, "reasons": list(plan.reasons)}, indent=2))
        return
    for number, reason in enumerate(plan.reasons, 1):
        print(f"{number}. {reason}")
    for item in explained:
        if item.translated_to is None or item.profile is None:
            continue
        print(f"\n{item.target} (translated to {item.translated_to.display_name}):")
        print(f"  profile: {describe_profile(item.profile)}")
        if item.refused:
            print(f"  refused: {item.refused}")
        elif request_file is not None:
            lines = item.degradations or ("nothing is degraded",)
            print("\n".join(f"  - {line}" for line in lines))


def _with_auto(
    plan: RoutePlan,
    settings: Settings,
    model: str | None,
    facts: RequestFacts,
    body: dict[str, Any] | None,
) -> RoutePlan:
    """``auto``, as a run would rank it now: the providers whose keys are set, no health yet."""
    import os

    from cligate.routing.auto import Needs, tier_from_model_name
    from cligate.routing.auto_plan import AutoRouter, apply_auto, uses_auto

    if not uses_auto(plan, model):
        return plan
    from cligate.launcher.run import available_keys

    keys = available_keys(settings, os.environ)
    needs = Needs(
        tools=bool(body and body.get("tools")),
        images=facts.images,
        thinking=facts.thinking,
        input_tokens=facts.estimated_input_tokens,
        tier=tier_from_model_name(model),
    )
    return apply_auto(plan, model, AutoRouter(settings, keys), needs)


def _request_body(path: Path) -> dict[str, Any]:
    """A saved request: the body itself, or a capture whose "request" holds it."""
    import json

    from cligate.errors import UsageError

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot be read as JSON ({exc})") from None
    if isinstance(value, dict) and isinstance(value.get("request"), dict):
        value = value["request"].get("body")
    if not isinstance(value, dict):
        raise UsageError(f"{path}: not a JSON object")
    return value


@config_app.command("edit")
def config_edit() -> None:
    """Open the config file in $VISUAL / $EDITOR; it is saved only if it is still valid."""
    import os
    import shlex
    import subprocess
    from pathlib import Path

    from cligate.config.editor import file_lock, validate_text
    from cligate.config.paths import config_file
    from cligate.config.store import write_private_file

    path = Path(os.path.realpath(config_file()))  # edit the file a symlink points to
    editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
    draft = path.with_name(f".{path.name}.edit.toml")
    try:
        with file_lock(path):
            original = path.read_text(encoding="utf-8") if path.exists() else ""
            write_private_file(draft, original)
            try:
                status = subprocess.run([*editor, str(draft)], check=False).returncode
            except OSError as exc:
                draft.unlink()
                raise ConfigError(
                    f"cannot start the editor {editor[0]!r}: {exc.strerror}"
                ) from None
            if status != 0:
                raise ConfigError(f"the editor failed; your draft is kept at {draft}")
            edited = draft.read_text(encoding="utf-8")
            if edited == original:
                draft.unlink()
                print("cligate: no change")
                return
            try:
                validate_text(path, edited)
            except ConfigError as error:
                raise ConfigError(
                    f"{error.message}\nnothing was saved; your draft is kept at {draft}"
                ) from None
            write_private_file(path, edited)
            draft.unlink()
            print(f"cligate: saved {path}")
    except CligateError as error:
        raise fail(error) from None


# --- observability: each command's module is imported only when it runs -----------------------


@app.command("doctor")
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip the checks that contact providers.")
    ] = False,
) -> None:
    """Check installed tools, the config, keys, providers and environment traps; suggest a fix
    for each finding."""
    from cligate.cli.doctor_command import main

    raise typer.Exit(main(as_json=as_json, offline=offline))


@app.command("selftest")
def selftest(
    tools: Annotated[
        list[str] | None,
        typer.Option(
            "--tool",
            metavar="TOOL",
            help="Test only this tool (repeatable); default: all.",
            autocompletion=complete_tool,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run each installed tool through cligate against a built-in scripted provider, offline:
    a text answer and one tool round trip. No key is needed."""
    from cligate.cli.selftest_command import main

    raise typer.Exit(main(tools=tools or [], as_json=as_json))


@app.command("logs")
def logs(
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new records.")
    ] = False,
    tool: Annotated[
        str | None,
        typer.Option("--tool", help="Only this tool's requests.", autocompletion=complete_tool),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="Only requests served by this provider.",
            autocompletion=complete_provider,
        ),
    ] = None,
    errors: Annotated[bool, typer.Option("--errors", help="Only failed requests.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    count: Annotated[int, typer.Option("-n", "--lines", help="How many to show.")] = 20,
) -> None:
    """Show the latest request records: route, status, time, tokens, cost (never keys)."""
    from cligate.cli.logs_command import main

    raise typer.Exit(main(follow, tool, provider, errors, as_json, count))


@app.command("usage")
def usage(
    by: Annotated[
        str,
        typer.Option(
            "--by", help="tool, provider, model or day.", autocompletion=complete_usage_by
        ),
    ] = "provider",
    since: Annotated[
        str | None, typer.Option("--since", help="Only the last 30m, 24h, 7d, 2w…")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Requests, tokens, cost, error rate and median latency from the request records."""
    from cligate.cli.usage_command import main

    raise typer.Exit(main(by, since, as_json))


@app.command("serve")
def serve(
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default 8081).")
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")
    ] = "127.0.0.1",
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow an address other machines can reach."),
    ] = False,
    show_key: Annotated[
        bool, typer.Option("--show-key", help="Print the default client key and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log each request.")] = False,
) -> None:
    """Serve every client protocol on a fixed local port (Cursor, Cline, SDK scripts…),
    guarded by a key; SIGTERM lets answers in progress finish."""
    from cligate.cli.serve_command import main

    raise typer.Exit(main(port, host, allow_remote, show_key, verbose))


@app.command("env")
def env(
    tool: Annotated[
        str, typer.Argument(help="claude, codex, gemini or opencode.", autocompletion=complete_tool)
    ],
    port: Annotated[int | None, typer.Option("--port", help="cligate serve's port.")] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="Use this serve client's key.")
    ] = None,
) -> None:
    """Print the shell lines that point TOOL at a running cligate serve."""
    from cligate.cli.serve_command import env_main

    raise typer.Exit(env_main(tool, port, client))
