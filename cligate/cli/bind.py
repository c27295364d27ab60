"""``cligate bind TOOL`` and ``cligate bindings``: which provider and models each tool uses."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from cligate.cli.common import fail
from cligate.cli.completers import complete_model, complete_provider, complete_tool
from cligate.errors import CligateError

# A TOML bare key, so the binding is written as [tools.NAME].
_BINDING_NAME = re.compile(r"[A-Za-z0-9_-]+")


def bind(
    tool: Annotated[
        str,
        typer.Argument(help="A tool: claude, codex, opencode, …", autocompletion=complete_tool),
    ],
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="The provider.", autocompletion=complete_provider),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="The default model.", autocompletion=complete_model),
    ] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option("--tier", help="KEYWORD=MODEL, e.g. opus=qwen3-max (repeatable)."),
    ] = None,
    fallback: Annotated[
        list[str] | None, typer.Option("--fallback", help="provider:model (repeatable).")
    ] = None,
) -> None:
    """Set the provider, default model, tiers and fallbacks a tool uses."""
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.provider_entries import parse_pairs, set_binding
    from cligate.config.store import load_effective_settings
    from cligate.errors import UsageError
    from cligate.launcher.tools import TOOLS, known_tools
    from cligate.protocols.kinds import can_translate

    try:
        spec = TOOLS.get(tool)
        if spec is None and not _BINDING_NAME.fullmatch(tool):
            raise UsageError(
                f"'{tool}' cannot name a binding (letters, digits, '-' and '_'); "
                f"known tools: {known_tools()}"
            )
        path = config_file()
        if provider:
            settings = load_effective_settings(path)
            if provider not in settings.providers:
                known = ", ".join(settings.providers)
                raise UsageError(f"no provider named '{provider}' (known: {known})")
            chosen = settings.providers[provider]
            if spec is None:
                # Not a tool cligate launches: a serve client's binding ([serve.clients.X]
                # binding = "cursor") or a command run with cligate run --protocol.
                print(
                    f"cligate: note: '{tool}' is not a tool cligate launches ({known_tools()}); "
                    f"its binding is used by a cligate serve client bound to '{tool}' and by "
                    f"cligate run --protocol P -- {tool}",
                    file=sys.stderr,
                )
            elif not can_translate(spec.protocol, chosen.protocol):
                print(
                    f"cligate: note: {tool} speaks {spec.protocol.display_name} and "
                    f"'{provider}' speaks {chosen.protocol.display_name}; this version of "
                    "cligate cannot translate between them yet",
                    file=sys.stderr,
                )
            elif chosen.protocol is not spec.protocol and not (model or chosen.models):
                print(
                    f"cligate: note: requests from {tool} will be translated to "
                    f"{chosen.protocol.display_name}; '{provider}' does not know {tool}'s own "
                    "model names, so give it a model with --model",
                    file=sys.stderr,
                )
        tiers = parse_pairs(tier or [], "--tier")
        if not (provider or model or tiers or fallback):
            if spec is None or not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise UsageError(
                    "nothing to change: pass --provider, --model, --tier or --fallback "
                    "(or run in a terminal to be asked)"
                )
            from cligate.cli.prompts import Prompter
            from cligate.cli.setup_flow import ask_binding

            answers = ask_binding(Prompter(), load_effective_settings(path), spec)
            provider, model, tiers = answers.provider, answers.model, answers.tiers
        with editing(path) as document:
            set_binding(document, tool, provider, model, tiers, fallback or [])
    except CligateError as error:
        raise fail(error) from None
    print(f"cligate: {tool} binding saved to {path}")


def bindings() -> None:
    """Show each tool's binding."""
    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings

    try:
        settings = load_effective_settings(config_file())
    except CligateError as error:
        raise fail(error) from None
    for tool, binding in settings.tools.items():
        print(f"{tool}: provider={binding.provider} model={binding.model or '(tool default)'}")
        for keyword, target in binding.tiers:
            print(f"  tier {keyword} -> {target}")
        for target in binding.fallbacks:
            print(f"  fallback {target}")
