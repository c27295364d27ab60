"""Doctor: whether the config file is valid, and whether each tool's provider has a key.

Keys are described by where they come from (an env var name, "the config file"), never by
value, not even masked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cligate.config.settings import ProviderSettings, Settings, ToolBinding
from cligate.control.doctor_finding import Finding, Status
from cligate.errors import ConfigError, MissingKeyError
from cligate.launcher.tools import TOOLS


@dataclass(frozen=True, slots=True)
class ConfigReport:
    finding: Finding
    settings: Settings | None  # the file over the built-in providers; None when invalid
    user_tools: frozenset[str]  # tools the file itself binds (not only the built-in default)
    secrets: tuple[str, ...]  # literal keys and header values the file holds


def check_config(path: Path) -> ConfigReport:
    from cligate.config.store import builtin_settings, load_settings

    try:
        own = load_settings(path)
        settings = own.over(builtin_settings())
    except ConfigError as error:
        finding = Finding("config", "fail", error.message, "cligate config edit")
        return ConfigReport(finding, None, frozenset(), _raw_secrets(path))
    bound = ", ".join(f"{tool} → {b.provider}" for tool, b in settings.tools.items())
    if path.exists():
        summary = f"the config file {path} is valid ({bound})"
    else:
        summary = f"no config file at {path}: the built-in providers are used ({bound})"
    secrets = tuple(_settings_secrets(settings))
    return ConfigReport(Finding("config", "ok", summary), settings, frozenset(own.tools), secrets)


def _settings_secrets(settings: Settings) -> Iterator[str]:
    for provider in settings.providers.values():
        refs = [provider.api_key, *(extra.key for extra in provider.extra_keys)]
        yield from (ref.literal for ref in refs if ref is not None and ref.literal)
        yield from (value for _, value in provider.headers)


def _raw_secrets(path: Path) -> tuple[str, ...]:
    """The strings an invalid file holds under key-like names, so an error that quotes one
    can be redacted. A file TOML cannot parse yields nothing: its errors quote no values."""
    import tomllib

    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    found: list[str] = []

    def walk(value: object, sensitive: bool) -> None:
        if isinstance(value, str) and sensitive:
            found.append(value)
        elif isinstance(value, Mapping):
            for name, item in value.items():
                lowered = str(name).lower()
                walk(item, sensitive or "key" in lowered or lowered == "headers")
        elif isinstance(value, list):
            for item in value:
                walk(item, sensitive)

    walk(document, False)
    return tuple(found)


def env_key_names(provider: ProviderSettings) -> list[str]:
    """The env vars the provider reads its keys from."""
    refs = [provider.api_key, *(extra.key for extra in provider.extra_keys)]
    return [ref.env_var for ref in refs if ref is not None and ref.env_var]


def key_sources(provider: ProviderSettings, env: Mapping[str, str]) -> list[str]:
    """Where each key at hand comes from, in the order ``available_keys`` uses them."""
    if provider.api_key is None and not provider.extra_keys:
        return ["no key (the provider takes none)"]
    refs = [provider.api_key, *(extra.key for extra in provider.extra_keys)]
    sources = []
    for ref in refs:
        if ref is None:
            continue
        try:
            ref.resolve(env, provider.name)
        except MissingKeyError:
            continue
        sources.append(f"${ref.env_var}" if ref.env_var else "a key in the config file")
    return sources


def _referenced(settings: Settings, binding: ToolBinding) -> list[str]:
    """Providers a binding's tiers, fallbacks and scenario rules name as "provider:model"."""
    refs: list[str | None] = [model for _, model in binding.tiers]
    refs += binding.fallbacks
    if binding.scenarios is not None:
        rules = binding.scenarios
        refs += [rules.long_context, rules.thinking, rules.images, rules.background]
    names = []
    for ref in refs:
        head, separator, rest = (ref or "").partition(":")
        if separator and rest and head in settings.providers and head != binding.provider:
            names.append(head)
    return list(dict.fromkeys(names))


def providers_in_use(
    settings: Settings, tools: Collection[str] | None = None
) -> list[ProviderSettings]:
    """Every provider a binding (of ``tools``, default all) sends requests to, each once."""
    names: list[str] = []
    for tool, binding in settings.tools.items():
        if tools is not None and tool not in tools:
            continue
        if binding.provider:
            names.append(binding.provider)
        names += _referenced(settings, binding)
    return [settings.providers[n] for n in dict.fromkeys(names) if n in settings.providers]


def _set_key_fix(provider: ProviderSettings) -> str:
    names = env_key_names(provider)
    return f"export {names[0]}=..." if names else "cligate config edit"


def _missing_key_fix(provider: ProviderSettings, tool: str) -> str:
    return (
        f"{_set_key_fix(provider)} (or use a provider you have a key for: cligate providers "
        f"add NAME, then cligate bind {tool} --provider NAME)"
    )


def _missing_key_summary(provider: ProviderSettings) -> str:
    names = env_key_names(provider)
    if not names:
        return f"provider '{provider.name}' has no key at hand"
    unset = " or ".join(names)
    return f"provider '{provider.name}' has no key: {unset} is not set"


def key_findings(
    settings: Settings, env: Mapping[str, str], in_use: Collection[str]
) -> list[Finding]:
    """For each tool's binding: its provider exists and has a key.

    A missing key fails for a tool that is installed or bound by the user's file; for a
    built-in binding of a tool that is not installed it only warns (nobody can run it yet).
    """
    findings = []
    for tool in TOOLS:
        binding = settings.tools.get(tool)
        if binding is None or binding.provider is None:
            continue
        check = f"key:{tool}"
        provider = settings.providers.get(binding.provider)
        if provider is None:
            findings.append(
                Finding(
                    check,
                    "fail",
                    f"{tool} is bound to provider '{binding.provider}', which is not defined",
                    f"cligate providers add {binding.provider}, or cligate bind {tool} "
                    "--provider NAME",
                )
            )
            continue
        sources = key_sources(provider, env)
        if sources:
            findings.append(
                Finding(check, "ok", f"{tool} → provider '{provider.name}': key from {sources[0]}")
            )
        else:
            status: Status = "fail" if tool in in_use else "warn"
            idle = "" if tool in in_use else f" ({tool} is not installed)"
            summary = f"{tool} → {_missing_key_summary(provider)}{idle}"
            findings.append(Finding(check, status, summary, _missing_key_fix(provider, tool)))
        for name in _referenced(settings, binding):
            other = settings.providers[name]
            if not other.available_keys(env):
                findings.append(
                    Finding(
                        f"key:{tool}:{name}",
                        "warn",
                        f"{tool} also routes to {_missing_key_summary(other)}; "
                        "cligate run skips it",
                        _set_key_fix(other),
                    )
                )
    return findings
