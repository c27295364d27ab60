"""``cligate providers …``: add, list, show and remove providers (by flags, for scripts)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cligate.cli.common import fail
from cligate.cli.completers import (
    complete_config_provider,
    complete_model,
    complete_preset,
    complete_protocol,
    complete_provider,
)
from cligate.config.settings import Settings, mask_key

if TYPE_CHECKING:
    from cligate.cli.setup_flow import Asks
from cligate.errors import CligateError

providers_app = typer.Typer(help="Add, list, show and remove providers.", no_args_is_help=True)


@providers_app.command("add")
def add(
    preset: Annotated[
        str | None,
        typer.Argument(
            help="A preset id (cligate providers presets); omit to be asked.",
            autocompletion=complete_preset,
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Defaults to the preset id.")] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Which of the preset's endpoints to use.",
            autocompletion=complete_protocol,
        ),
    ] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Override the URL.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A URL part, e.g. resource=myco.")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option("--api-key-env", help="Read the key from this env var.")
    ] = None,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the key from stdin (stored 0600).")
    ] = False,
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="NAME=UPSTREAM_MODEL (repeatable).")
    ] = None,
    header: Annotated[list[str] | None, typer.Option("--header", help="K=V (repeatable).")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Address aliases as P/x.")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Model wildcard never to use.")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a same-named one.")] = False,
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="An HTTP(S) proxy for this provider.")
    ] = None,
    extra_key_env: Annotated[
        list[str] | None,
        typer.Option("--extra-key-env", help="Another key's env var (repeatable; rotation)."),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="A model you use here (repeatable).")
    ] = None,
) -> None:
    """Add a provider from a preset: by flags, or by questions in a terminal."""
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.presets import get_preset
    from cligate.config.provider_entries import (
        ProviderRequest,
        add_provider,
        parse_pairs,
        provider_table,
    )
    from cligate.errors import UsageError
    from cligate.protocols.kinds import WireProtocol

    try:
        try:
            wire = WireProtocol(protocol) if protocol else None
        except ValueError:
            known = ", ".join(p.value for p in WireProtocol)
            raise UsageError(f"--protocol '{protocol}' is not one of {known}") from None
        if preset is None:
            flags = (
                protocol,
                base_url,
                param,
                api_key_env,
                api_key_stdin,
                alias,
                header,
                prefix,
                exclude,
                proxy,
                extra_key_env,
                model,
            )
            if any(flags):
                raise UsageError("these options need a PRESET: cligate providers add PRESET …")
            if not interactive():
                raise UsageError("which preset? e.g. cligate providers add qwen (see: presets)")
            provider_name, table = _ask_and_add(name, replace)
            print(f"cligate: added provider '{provider_name}' ({table['protocol']})")
            return
        key_literal = None
        if api_key_stdin:
            key_literal = sys.stdin.readline().strip()
            if not key_literal:
                raise UsageError("--api-key-stdin: nothing was read from stdin")
        request = ProviderRequest(
            preset=get_preset(preset),
            name=name,
            protocol=wire,
            base_url=base_url,
            url_params=parse_pairs(param or [], "--param"),
            key_env=api_key_env,
            key_literal=key_literal,
            aliases=parse_pairs(alias or [], "--alias"),
            headers=parse_pairs(header or [], "--header"),
            prefix=prefix,
            exclude=exclude or [],
            proxy=proxy,
            extra_key_envs=extra_key_env or [],
            models=model or [],
        )
        provider_name, table = provider_table(request)
        path = config_file()
        with editing(path) as document:
            add_provider(document, provider_name, table, replace)
    except CligateError as error:
        raise fail(error) from None
    print(f"cligate: added provider '{provider_name}' ({table['protocol']}) to {path}")


@providers_app.command("list")
def list_providers(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The configured providers (and the built-in ones), keys masked."""
    import json

    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings

    try:
        settings = load_effective_settings(config_file())
    except CligateError as error:
        raise fail(error) from None
    rows = [
        {
            "name": p.name,
            "protocol": p.protocol.value,
            "base_url": p.base_url,
            "key": p.api_key.describe() if p.api_key else None,
        }
        for p in settings.providers.values()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(f"{row['name']:<20} {row['protocol']:<17} {row['base_url']}  key={row['key']}")


@providers_app.command("show")
def show(
    name: Annotated[
        str, typer.Argument(help="The provider's name.", autocompletion=complete_provider)
    ],
) -> None:
    """One provider in full, key masked."""
    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings
    from cligate.errors import UsageError

    try:
        settings = load_effective_settings(config_file())
        provider = settings.providers.get(name)
        if provider is None:
            raise UsageError(f"no provider named '{name}' (known: {', '.join(settings.providers)})")
    except CligateError as error:
        raise fail(error) from None
    print(f"name:      {provider.name}")
    print(f"protocol:  {provider.protocol.value} ({provider.protocol.display_name})")
    print(f"base_url:  {provider.base_url}")
    print(f"auth:      {provider.auth.value}")
    print(f"key:       {provider.api_key.describe() if provider.api_key else '(none)'}")
    for key, value in provider.aliases:
        print(f"alias:     {key} = {value}")
    for key, value in provider.headers:
        # Headers often carry credentials of their own: never shown in full.
        print(f"header:    {key} = {mask_key(value)}")
    for pattern in provider.exclude:
        print(f"exclude:   {pattern}")
    if provider.slug_passthrough:
        print("slugs:     model ids with '/' pass through to this provider")


@providers_app.command("remove")
def remove(
    name: Annotated[
        str, typer.Argument(help="The provider's name.", autocompletion=complete_config_provider)
    ],
) -> None:
    """Remove a provider from the config file (bindings that used it are unbound)."""
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.provider_entries import references_to, remove_provider

    try:
        with editing(config_file()) as document:
            unbound = remove_provider(document, name)
            dangling = references_to(document, name)
    except CligateError as error:
        raise fail(error) from None
    print(f"cligate: removed provider '{name}'")
    for place in dangling:
        print(f"cligate: {place} still names '{name}:…'; change it (cligate config edit)")
    for tool in unbound:
        print(f"cligate: {tool} is no longer bound to it (cligate bind {tool} --provider …)")


@providers_app.command("presets")
def presets() -> None:
    """The presets cligate ships."""
    from cligate.config.presets import load_presets

    for preset in load_presets().values():
        protocols = ", ".join(p.value for p in preset.protocols)
        status = "" if preset.supported else "  (not supported yet)"
        print(f"{preset.id:<18} {preset.display_name:<28} {protocols}{status}")


@providers_app.command("test")
def test(
    name: Annotated[
        str, typer.Argument(help="The provider's name.", autocompletion=complete_provider)
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", help="The model to ask.", autocompletion=complete_model),
    ] = None,
) -> None:
    """Send one tiny real request; tell network, key and model problems apart."""
    import os

    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings
    from cligate.errors import UsageError

    try:
        settings = load_effective_settings(config_file())
        provider = settings.providers.get(name)
        if provider is None:
            raise UsageError(f"no provider named '{name}' (known: {', '.join(settings.providers)})")
        chosen = model or _a_model_of(settings, name)
        if chosen is None:
            raise UsageError(f"which model? pass --model (provider '{name}' names none)")
        if provider.api_key is not None:  # an unset variable is named before any request
            provider.api_key.resolve(os.environ, name)
    except CligateError as error:
        raise fail(error) from None
    if not _report_check(name, chosen):
        raise typer.Exit(1)


def _a_model_of(settings: Settings, name: str) -> str | None:
    """A model the user named for this provider: its own list, a binding's, an alias's."""
    provider = settings.providers[name]
    if provider.models:
        return provider.models[0]
    for binding in settings.tools.values():
        if binding.provider == name and binding.model:
            return binding.model
    return provider.aliases[0][1] if provider.aliases else None


class Spinner:
    """A spinner on stderr while a request is out (only when stderr is a terminal)."""

    def __init__(self, label: str) -> None:
        import threading

        self._label = label
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self) -> None:
        frames = "|/-\\"
        index = 0
        while not self._stop.wait(0.1):
            sys.stderr.write(f"\r{frames[index % 4]} {self._label}")
            sys.stderr.flush()
            index += 1
        sys.stderr.write("\r" + " " * (len(self._label) + 2) + "\r")

    def __enter__(self) -> None:
        if sys.stderr.isatty():
            self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@providers_app.command("models")
def models(
    name: Annotated[
        str, typer.Argument(help="The provider's name.", autocompletion=complete_provider)
    ],
    save_alias: Annotated[
        list[str] | None,
        typer.Option("--save-alias", help="NAME=MODEL: save an alias for a listed model."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the models the provider offers (from its API); optionally save aliases for them."""
    import json
    import os

    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.provider_entries import parse_pairs
    from cligate.config.store import load_effective_settings
    from cligate.control.model_discovery import discover_models
    from cligate.errors import UsageError

    try:
        path = config_file()
        settings = load_effective_settings(path)
        provider = settings.providers.get(name)
        if provider is None:
            raise UsageError(f"no provider named '{name}' (known: {', '.join(settings.providers)})")
        key = provider.api_key.resolve(os.environ, name) if provider.api_key else ""
        with Spinner(f"asking {name} for its models"):
            found = discover_models(provider, key)
        aliases = parse_pairs(save_alias or [], "--save-alias")
        unknown = [model for model in aliases.values() if model not in found]
        if unknown:
            raise UsageError(f"'{unknown[0]}' is not among the {len(found)} models {name} lists")
        if aliases:
            with editing(path) as document:
                table = document.setdefault("providers", {}).get(name)
                if table is None:
                    raise UsageError(f"'{name}' is built in; add it to the config file first")
                table.setdefault("aliases", {}).update(aliases)
    except CligateError as error:
        raise fail(error) from None
    if as_json:
        print(json.dumps(found))
    else:
        print("\n".join(found))
    for alias, model in aliases.items():
        print(f"cligate: saved alias {alias} -> {model}", file=sys.stderr)


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask_and_add(
    name: str | None, replace: bool, asks: Asks | None = None
) -> tuple[str, dict[str, object]]:
    """The interactive add: questions, then the same entry the flags would write."""
    from dataclasses import replace as with_changes

    from cligate.cli.prompts import Prompter
    from cligate.cli.setup_flow import ask_provider
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.presets import load_presets
    from cligate.config.provider_entries import add_provider, provider_table

    asks = asks or Prompter()
    request = ask_provider(asks, load_presets())
    if name:
        request = with_changes(request, name=name)
    provider_name, table = provider_table(request)
    path = config_file()
    with editing(path) as document:
        add_provider(document, provider_name, table, replace)
    if request.models and asks.confirm("Send it one tiny request now to test it?"):
        _report_check(provider_name, request.models[0])
    return provider_name, table


def _report_check(name: str, model: str) -> bool:
    """Run ``providers test`` for a provider in the config file; print the outcome."""
    import os

    from cligate.config.paths import config_file
    from cligate.config.store import load_effective_settings
    from cligate.control.provider_check import CheckResult, check_provider

    provider = load_effective_settings(config_file()).providers[name]
    try:
        key = provider.api_key.resolve(os.environ, name) if provider.api_key else ""
    except CligateError as error:
        print(f"cligate: cannot test it yet: {error.message}", file=sys.stderr)
        return False
    with Spinner(f"asking {name} ({model})"):
        outcome = check_provider(provider, key, model)
    if outcome.result is CheckResult.OK:
        print(f"ok: {name} answered with {model} in {outcome.milliseconds:.0f} ms")
        return True
    print(f"{outcome.result.value} problem: {outcome.message}", file=sys.stderr)
    return False


@providers_app.command("edit")
def edit(
    name: Annotated[
        str, typer.Argument(help="The provider's name.", autocompletion=complete_config_provider)
    ],
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    api_key_env: Annotated[str | None, typer.Option("--api-key-env")] = None,
    proxy: Annotated[str | None, typer.Option("--proxy")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="NAME=MODEL")] = None,
    header: Annotated[list[str] | None, typer.Option("--header", help="K=V")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude")] = None,
) -> None:
    """Change a provider's fields (the rest of its entry, and your comments, stay)."""
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.provider_entries import ProviderEdit, edit_provider, parse_pairs
    from cligate.errors import UsageError

    try:
        change = ProviderEdit(
            base_url=base_url,
            key_env=api_key_env,
            proxy=proxy,
            prefix=prefix,
            aliases=parse_pairs(alias or [], "--alias"),
            headers=parse_pairs(header or [], "--header"),
            exclude=tuple(exclude or ()),
        )
        if change == ProviderEdit():
            raise UsageError("nothing to change (see: cligate providers edit --help)")
        with editing(config_file()) as document:
            edit_provider(document, name, change)
    except CligateError as error:
        raise fail(error) from None
    print(f"cligate: provider '{name}' updated")
