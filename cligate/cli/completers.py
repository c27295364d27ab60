"""What the shell offers on Tab (see ``completion_command.py`` for the scripts).

The shell starts ``cligate`` with ``_CLIGATE_COMPLETE`` set on every Tab, and these callbacks
name the values: tools, presets, providers, models. They run in that short-lived process, so
each one is fast, reads the config only when asked, and never fails loudly: any problem (no
config, a broken one) means nothing is offered, and the shell falls back to file names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from typer._click import Context as ClickContext
    from typer._click.shell_completion import CompletionItem

    from cligate.config.settings import Settings

# A value and what it is (zsh and fish show the second).
Offer = tuple[str, str]


def _quietly(produce: Callable[[], Iterable[Offer]], incomplete: str) -> list[Offer]:
    try:
        return [offer for offer in produce() if offer[0].startswith(incomplete)]
    except Exception:  # a completion must never print a traceback into the command line
        return []


def _settings(user_only: bool = False) -> Settings:
    from cligate.config.paths import config_file, state_dir
    from cligate.config.store import builtin_settings, load_settings

    cache = state_dir()
    user = load_settings(config_file(), cache_dir=cache)
    return user if user_only else user.over(builtin_settings(cache))


def _tools() -> Iterable[Offer]:
    from cligate.launcher.tools import TOOLS

    return ((name, f"speaks {spec.protocol.display_name}") for name, spec in TOOLS.items())


def _providers(user_only: bool = False) -> Iterable[Offer]:
    providers = _settings(user_only).providers.values()
    return ((p.name, f"{p.protocol.value} {p.base_url}") for p in providers)


def _models(provider: str | None) -> Iterable[Offer]:
    """Aliases and model names the config holds (all providers', or one's)."""
    settings = _settings()
    offers: dict[str, str] = {}
    if provider is None or provider not in settings.providers:
        for alias, targets in settings.aliases.items():
            offers.setdefault(alias, f"alias: {', '.join(targets)}")
        chosen = list(settings.providers.values())
    else:
        chosen = [settings.providers[provider]]
    for entry in chosen:
        for alias, model in entry.aliases:
            name = f"{entry.prefix}/{alias}" if entry.prefix else alias
            offers.setdefault(name, f"{entry.name}: {model}")
        for model in entry.models:
            offers.setdefault(model, entry.name)
    return offers.items()


def complete_tool(incomplete: str) -> list[Offer]:
    return _quietly(_tools, incomplete)


def complete_preset(incomplete: str) -> list[Offer]:
    def presets() -> Iterable[Offer]:
        from cligate.config.presets import load_presets

        return ((p.id, p.display_name) for p in load_presets().values() if p.supported)

    return _quietly(presets, incomplete)


def complete_provider(incomplete: str) -> list[Offer]:
    """Every provider a command may name: the config file's and the built-in ones."""
    return _quietly(_providers, incomplete)


def complete_config_provider(incomplete: str) -> list[Offer]:
    """Only the config file's providers (the ones that can be edited or removed)."""
    return _quietly(lambda: _providers(user_only=True), incomplete)


def complete_model(ctx: typer.Context, incomplete: str) -> list[Offer]:
    """Model names and aliases; only one provider's when ``--provider`` came before.

    (A provider named by an argument is not seen: Click stops parsing at the option whose
    value is being completed, before it assigns arguments.)"""
    params: dict[str, Any] = ctx.params
    named = params.get("provider")
    return _quietly(lambda: _models(named if isinstance(named, str) else None), incomplete)


def complete_protocol(incomplete: str) -> list[Offer]:
    def protocols() -> Iterable[Offer]:
        from cligate.protocols.kinds import WireProtocol

        return ((p.value, p.display_name) for p in WireProtocol)

    return _quietly(protocols, incomplete)


def complete_usage_by(incomplete: str) -> list[Offer]:
    groups = (("tool", ""), ("provider", ""), ("model", ""), ("day", ""))
    return [g for g in groups if g[0].startswith(incomplete)]


# --- cligate run: its arguments are parsed by hand (cli/run_command.py) --------------------

_RAW_ARGS = "cligate.run.raw_args"
_RUN_VALUES: dict[str, Callable[[str | None], Iterable[Offer]]] = {
    "--provider": lambda _: _providers(),
    "--model": _models,
}
_RUN_FLAGS = (
    ("--provider", "use this provider instead of the tool's binding"),
    ("--model", "the model the tool should ask for"),
    ("--verbose", "log each request to cligate's log file"),
)


def complete_run(words: list[str], incomplete: str) -> list[Offer]:
    """What to offer after ``cligate run WORDS``, by run_command's rules: cligate's options
    before and after TOOL, a tool name first, and nothing among TOOL's own arguments or after
    ``--`` (the shell then offers file names)."""
    if "--" in words:
        return []
    if words[-1:] == ["="]:  # bash splits --provider=x at "="
        words = words[:-1]
    if words and words[-1] in _RUN_VALUES:
        provider = _value_of("--provider", words)
        return _quietly(lambda: _RUN_VALUES[words[-1]](provider), incomplete)
    tool = _tool_of(words)
    if incomplete.startswith("-"):
        flags = _RUN_FLAGS if tool else (*_RUN_FLAGS, ("--help", "show cligate run's help"))
        return [flag for flag in flags if flag[0].startswith(incomplete)]
    return complete_tool(incomplete) if tool is None else []


def _tool_of(words: list[str]) -> str | None:
    index = 0
    while index < len(words):
        word = words[index]
        if word in _RUN_VALUES:  # and its value ("--provider x", or bash's "--provider = x")
            index += 3 if words[index + 1 : index + 2] == ["="] else 2
        elif word.startswith("-") or word == "=":
            index += 1
        else:
            return word
    return None


def _value_of(option: str, words: list[str]) -> str | None:
    for index, word in enumerate(words):
        if word == option and index + 1 < len(words) and words[index + 1] != "=":
            return words[index + 1]
        if word == option and index + 2 < len(words):  # bash: --provider = x
            return words[index + 2]
        if word.startswith(option + "="):
            return word.partition("=")[2]
    return None


class RunCommand(TyperCommand):
    """``cligate run``: it declares no parameters, so its arguments reach ``run_command`` raw
    (``ctx.args``). Only completion looks at them here; running is unchanged."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if ctx.resilient_parsing:  # completing: keep the words as typed ("--" included)
            ctx.meta[_RAW_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: ClickContext, incomplete: str) -> list[CompletionItem]:
        from typer._click.shell_completion import CompletionItem  # typer ≥ 0.29 vendors click

        words = ctx.meta.get(_RAW_ARGS, list(ctx.args))
        return [CompletionItem(value, help=help) for value, help in complete_run(words, incomplete)]
