"""The typed settings model and its validation.

The file is TOML a person can edit::

    [providers.anthropic]
    protocol = "anthropic"                  # anthropic | openai-chat | openai-responses | gemini
    base_url = "https://api.anthropic.com"
    api_key = "env:ANTHROPIC_API_KEY"       # or the key itself (the file is mode 0600)
    # auth = "x-api-key"                    # bearer | x-api-key | x-goog-api-key | none
    # [providers.anthropic.headers]
    # X-Extra = "value"

    [tools.claude]
    provider = "anthropic"
    # model = "claude-sonnet-4-6"
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cligate.errors import ConfigError, MissingKeyError
from cligate.protocols.kinds import WireProtocol
from cligate.upstream.types import Timeouts

if TYPE_CHECKING:  # read only for providers that have a capabilities table
    from cligate.protocols.capabilities import CapabilitySettings

ENV_REFERENCE_PREFIX = "env:"


class AuthStyle(StrEnum):
    BEARER = "bearer"  # Authorization: Bearer KEY
    X_API_KEY = "x-api-key"  # Anthropic
    X_GOOG_API_KEY = "x-goog-api-key"  # Gemini
    API_KEY = "api-key"  # Azure OpenAI
    NONE = "none"  # local servers such as Ollama

    @staticmethod
    def default_for(protocol: WireProtocol) -> AuthStyle:
        if protocol is WireProtocol.ANTHROPIC:
            return AuthStyle.X_API_KEY
        if protocol is WireProtocol.GEMINI:
            return AuthStyle.X_GOOG_API_KEY
        return AuthStyle.BEARER


@dataclass(frozen=True, slots=True)
class KeyReference:
    """A key as the file holds it: either the key itself or the name of an env var."""

    literal: str | None = None
    env_var: str | None = None

    @staticmethod
    def parse(raw: str) -> KeyReference:
        if raw.startswith(ENV_REFERENCE_PREFIX):
            return KeyReference(env_var=raw[len(ENV_REFERENCE_PREFIX) :].strip())
        return KeyReference(literal=raw)

    def resolve(self, env: Mapping[str, str], provider: str) -> str:
        if self.env_var is None:
            return self.literal or ""
        value = env.get(self.env_var, "")
        if not value:
            raise MissingKeyError(
                f"provider '{provider}' takes its key from the environment variable "
                f"{self.env_var}, which is not set; export {self.env_var}=... and try again"
            )
        return value

    def describe(self) -> str:
        """A safe description: the env var name or a masked key, never the key."""
        if self.env_var is not None:
            return f"env:{self.env_var}"
        return mask_key(self.literal or "")


def mask_key(key: str) -> str:
    """Enough to recognise a long key by its end, never enough to use it."""
    if len(key) < 20:
        return "****"
    return f"…{key[-4:]}"


@dataclass(frozen=True, slots=True)
class ExtraKey:
    """One more key of a provider (key rotation uses them), optionally via its own proxy."""

    key: KeyReference
    proxy: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A key ready to send, the proxy to send it through, and a label safe to log."""

    value: str = field(repr=False)  # never in a repr: reprs end up in logs and test output
    proxy: str | None = None
    label: str = ""


PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True, slots=True)
class PriceEntry:
    """A price the user gives for a model id or a glob of them, in USD per million tokens.
    A cache price left out means cache tokens are billed as input."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


class PriceValueError(ValueError):
    """A price table is wrong; ``key`` is the offending key within it."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def price_entry_from_table(table: Any, other_keys: Collection[str] = ()) -> PriceEntry:
    """Check one price table (the user's or pricing.toml's, which also has ``other_keys``)."""
    if not isinstance(table, Mapping):
        raise PriceValueError("", f"must be a table of {', '.join(PRICE_FIELDS)}")
    for key in table:
        if key not in PRICE_FIELDS and key not in other_keys:
            known = ", ".join((*PRICE_FIELDS, *other_keys))
            raise PriceValueError(key, f"unknown key (known: {known})")
    values: dict[str, float] = {}
    for key in PRICE_FIELDS:
        if key not in table:
            if key in ("input", "output"):
                raise PriceValueError(key, "is required")
            continue
        value = table[key]
        # bool is an int to Python; nan and inf are valid TOML floats: none is a price.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PriceValueError(key, "must be a number ≥ 0")
        if not math.isfinite(value) or value < 0:
            raise PriceValueError(key, "must be a number ≥ 0")
        values[key] = float(value)
    return PriceEntry(**values)


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    name: str
    protocol: WireProtocol
    base_url: str
    api_key: KeyReference | None = None
    auth: AuthStyle = AuthStyle.BEARER
    headers: tuple[tuple[str, str], ...] = ()
    # Routing: names this provider answers to (alias → its model id), model-id wildcards it
    # must never be sent, whether ids with "/" are its own catalog (OpenRouter-style slugs),
    # and a short prefix for addressing its aliases as "PREFIX/alias".
    aliases: tuple[tuple[str, str], ...] = ()
    exclude: tuple[str, ...] = ()
    slug_passthrough: bool = False
    prefix: str | None = None
    # An HTTP(S) proxy for this provider's traffic (else the environment's HTTPS_PROXY…).
    proxy: str | None = None
    extra_keys: tuple[ExtraKey, ...] = ()
    # Models the user picked for this provider (the first is used when none is named).
    models: tuple[str, ...] = ()
    # The preset the entry came from: its capability profile is the starting point.
    preset: str | None = None
    # What the user says the provider's models can take, over the preset's word.
    capabilities: CapabilitySettings | None = None
    # Limits on each attempt at this provider; None: the defaults.
    timeouts: Timeouts | None = None
    # Whether a 429 rests a key for the model asked for only (the provider limits per model)
    # or for all of its models; None: as the preset says (else all models).
    per_model_rate_limits: bool | None = None
    # Prices the user gives, by model id or glob, over pricing.toml's (for cost estimates).
    pricing: tuple[tuple[str, PriceEntry], ...] = ()

    def available_keys(self, env: Mapping[str, str]) -> tuple[ResolvedKey, ...]:
        """Every key at hand, ``api_key`` first; keys whose env var is unset are left out.
        A provider that takes no key (a local server) has one empty key."""
        if self.api_key is None and not self.extra_keys:
            return (ResolvedKey("", self.proxy, "no key"),)
        entries = [ExtraKey(self.api_key)] if self.api_key is not None else []
        keys = []
        for entry in (*entries, *self.extra_keys):
            try:
                value = entry.key.resolve(env, self.name)
            except MissingKeyError:
                continue
            label = entry.label or entry.key.describe()
            keys.append(ResolvedKey(value, entry.proxy or self.proxy, label))
        return tuple(keys)


@dataclass(frozen=True, slots=True)
class Scenarios:
    """Opt-in rules that route by what a request is, ahead of the model-name rules.
    Targets are "model" (on the binding's provider) or "provider:model"."""

    long_context_tokens: int | None = None  # estimated input tokens above which…
    long_context: str | None = None  # …this target answers
    thinking: str | None = None
    images: str | None = None
    background: str | None = None


@dataclass(frozen=True, slots=True)
class ToolBinding:
    provider: str | None = None
    model: str | None = None
    # Tier keyword found in the requested model name (opus, sonnet, haiku, pro, flash…) →
    # target; "background" is the tool's small/fast model.
    tiers: tuple[tuple[str, str], ...] = ()
    fallbacks: tuple[str, ...] = ()
    scenarios: Scenarios | None = None
    # Refuse (400) a translated request the target cannot fully honour, instead of degrading.
    strict: bool = False


@dataclass(frozen=True, slots=True)
class ServeClient:
    """A named client of ``cligate serve``: its key, and the binding its requests use."""

    key: KeyReference
    binding: str


@dataclass(frozen=True, slots=True)
class ServeSettings:
    port: int | None = None
    clients: dict[str, ServeClient] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    tools: dict[str, ToolBinding] = field(default_factory=dict)
    source: Path | None = None
    # Global aliases: one name for one or several targets (several make a pool).
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    serve: ServeSettings = field(default_factory=ServeSettings)

    def over(self, defaults: Settings) -> Settings:
        """These settings on top of ``defaults``: ours win by provider name and by tool."""
        tools = dict(defaults.tools)
        for tool, binding in self.tools.items():
            fallback = tools.get(tool, ToolBinding())
            tools[tool] = replace(
                binding,
                provider=binding.provider or fallback.provider,
                model=binding.model if binding.provider else binding.model or fallback.model,
            )
        return Settings(
            {**defaults.providers, **self.providers},
            tools,
            self.source,
            {**defaults.aliases, **self.aliases},
            self.serve,
        )


def _fail(source: Path | None, key: str, problem: str) -> ConfigError:
    where = f"{source}: " if source else ""
    return ConfigError(f"{where}{key}: {problem}")


def _require_str(table: Mapping[str, Any], key: str, where: str, source: Path | None) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"{where}.{key}", "a non-empty string is required")
    return value.strip()


def _optional_str(
    table: Mapping[str, Any], key: str, where: str, source: Path | None
) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(source, f"{where}.{key}", "must be a string")
    return value.strip() or None


def validate_base_url(url: str) -> str:
    """Return the URL without a trailing slash; raise ``ValueError`` if it is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{url}' is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError(f"'{url}' must not carry a query or fragment")
    return url.rstrip("/")


def _parse_provider(name: str, table: Any, source: Path | None) -> ProviderSettings:
    where = f"providers.{name}"
    if not isinstance(table, Mapping):
        raise _fail(source, where, "must be a table")
    raw_protocol = _require_str(table, "protocol", where, source)
    try:
        protocol = WireProtocol(raw_protocol)
    except ValueError:
        known = ", ".join(p.value for p in WireProtocol)
        raise _fail(
            source, f"{where}.protocol", f"'{raw_protocol}' is not one of {known}"
        ) from None
    try:
        base_url = validate_base_url(_require_str(table, "base_url", where, source))
    except ValueError as exc:
        raise _fail(source, f"{where}.base_url", str(exc)) from None
    raw_key = _optional_str(table, "api_key", where, source)
    raw_auth = _optional_str(table, "auth", where, source)
    try:
        auth = AuthStyle(raw_auth) if raw_auth else AuthStyle.default_for(protocol)
    except ValueError:
        known = ", ".join(a.value for a in AuthStyle)
        raise _fail(source, f"{where}.auth", f"'{raw_auth}' is not one of {known}") from None
    capabilities = _parse_capabilities(table.get("capabilities"), where, source)
    slug_passthrough = _optional_bool(table, "slug_passthrough", where, source)
    return ProviderSettings(
        name=name,
        protocol=protocol,
        base_url=base_url,
        api_key=KeyReference.parse(raw_key) if raw_key else None,
        auth=auth,
        headers=_string_table(table, "headers", where, source),
        aliases=_string_table(table, "aliases", where, source),
        exclude=_string_list(table, "exclude", where, source),
        slug_passthrough=slug_passthrough,
        prefix=_optional_str(table, "prefix", where, source),
        proxy=_optional_url(table, "proxy", where, source),
        extra_keys=_parse_extra_keys(table.get("api_keys", []), f"{where}.api_keys", source),
        models=_string_list(table, "models", where, source),
        preset=_optional_str(table, "preset", where, source),
        capabilities=capabilities,
        timeouts=_parse_timeouts(table.get("timeouts"), f"{where}.timeouts", source),
        per_model_rate_limits=_parse_rate_limit_scope(table, where, source),
        pricing=_parse_pricing(table.get("pricing"), f"{where}.pricing", source),
    )


_TIMEOUT_NAMES = ("connect", "first_byte", "idle", "total")


def _parse_timeouts(raw: Any, where: str, source: Path | None) -> Timeouts | None:
    """``[providers.X.timeouts]``: seconds per phase; 0 means no limit."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"must be a table of {', '.join(_TIMEOUT_NAMES)}")
    unknown = sorted(set(raw) - set(_TIMEOUT_NAMES))
    if unknown:
        known = ", ".join(_TIMEOUT_NAMES)
        raise _fail(source, f"{where}.{unknown[0]}", f"is not a timeout (known: {known})")
    values: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _fail(source, f"{where}.{name}", "must be a number of seconds (0: no limit)")
        values[name] = float(value) if value > 0 else math.inf
    return Timeouts(**values)


def _parse_rate_limit_scope(
    table: Mapping[str, Any], where: str, source: Path | None
) -> bool | None:
    scope = _optional_str(table, "rate_limits", where, source)
    if scope is None:
        return None
    if scope not in ("key", "model"):
        raise _fail(source, f"{where}.rate_limits", "must be 'key' or 'model'")
    return scope == "model"


def _parse_pricing(raw: Any, where: str, source: Path | None) -> tuple[tuple[str, PriceEntry], ...]:
    """``[providers.X.pricing."model-or-glob"]``: input, output, cache_read, cache_write."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise _fail(source, where, "must be a table of model ids or globs")
    entries = []
    for pattern, table in raw.items():
        spot = f'{where}."{pattern}"'
        if not pattern.strip():
            raise _fail(source, spot, "a model id or glob is required")
        try:
            entries.append((pattern, price_entry_from_table(table)))
        except PriceValueError as exc:
            raise _fail(source, f"{spot}.{exc.key}" if exc.key else spot, exc.problem) from None
    return tuple(entries)


def _parse_capabilities(raw: Any, where: str, source: Path | None) -> CapabilitySettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _fail(source, f"{where}.capabilities", "must be a table")
    from cligate.protocols.capabilities import CapabilitySettings, CapabilityValueError

    try:
        return CapabilitySettings.parse(raw)
    except CapabilityValueError as exc:
        raise _fail(source, f"{where}.capabilities.{exc.key}", exc.problem) from None


def _optional_bool(table: Mapping[str, Any], key: str, where: str, source: Path | None) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _fail(source, f"{where}.{key}", "must be true or false")
    return value


def _optional_url(
    table: Mapping[str, Any], key: str, where: str, source: Path | None
) -> str | None:
    raw = _optional_str(table, key, where, source)
    if raw is None:
        return None
    try:
        return validate_base_url(raw)
    except ValueError as exc:
        raise _fail(source, f"{where}.{key}", str(exc)) from None


def _parse_extra_keys(raw: Any, where: str, source: Path | None) -> tuple[ExtraKey, ...]:
    """``api_keys = ["env:B", {key = "env:C", proxy = "http://…", label = "team-c"}]``."""
    if not isinstance(raw, list):
        raise _fail(source, where, "must be a list of keys or {key, proxy, label} tables")
    keys = []
    for index, item in enumerate(raw):
        spot = f"{where}[{index}]"
        if isinstance(item, str) and item.strip():
            keys.append(ExtraKey(KeyReference.parse(item.strip())))
            continue
        if not isinstance(item, Mapping):
            raise _fail(source, spot, "must be a key or a {key, proxy, label} table")
        keys.append(
            ExtraKey(
                key=KeyReference.parse(_require_str(item, "key", spot, source)),
                proxy=_optional_url(item, "proxy", spot, source),
                label=_optional_str(item, "label", spot, source),
            )
        )
    return tuple(keys)


def _string_table(
    table: Mapping[str, Any], key: str, where: str, source: Path | None
) -> tuple[tuple[str, str], ...]:
    value = table.get(key, {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise _fail(source, f"{where}.{key}", "must be a table of non-empty strings")
    return tuple((k, v.strip()) for k, v in value.items())


def _string_list(
    table: Mapping[str, Any], key: str, where: str, source: Path | None
) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(source, f"{where}.{key}", "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _parse_scenarios(table: Any, where: str, source: Path | None) -> Scenarios | None:
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise _fail(source, where, "must be a table")
    threshold = table.get("long_context_tokens")
    if threshold is not None and (not isinstance(threshold, int) or threshold <= 0):
        raise _fail(source, f"{where}.long_context_tokens", "must be a positive integer")
    long_context = _optional_str(table, "long_context", where, source)
    if (threshold is None) != (long_context is None):
        raise _fail(
            source, f"{where}.long_context", "needs long_context_tokens with it (and vice versa)"
        )
    unknown = set(table) - {"long_context_tokens", *Scenarios.__dataclass_fields__}
    if unknown:
        raise _fail(source, f"{where}.{sorted(unknown)[0]}", "is not a known scenario")
    return Scenarios(
        long_context_tokens=threshold,
        long_context=long_context,
        thinking=_optional_str(table, "thinking", where, source),
        images=_optional_str(table, "images", where, source),
        background=_optional_str(table, "background", where, source),
    )


def _parse_binding(tool: str, table: Any, source: Path | None) -> ToolBinding:
    where = f"tools.{tool}"
    if not isinstance(table, Mapping):
        raise _fail(source, where, "must be a table")
    return ToolBinding(
        provider=_optional_str(table, "provider", where, source),
        model=_optional_str(table, "model", where, source),
        tiers=_string_table(table, "tiers", where, source),
        fallbacks=_string_list(table, "fallbacks", where, source),
        scenarios=_parse_scenarios(table.get("scenarios"), f"{where}.scenarios", source),
        strict=_optional_bool(table, "strict", where, source),
    )


def settings_from_document(
    document: Mapping[str, Any],
    source: Path | None = None,
    known_elsewhere: Collection[str] = (),
) -> Settings:
    """Validate a parsed TOML document into ``Settings``; errors name the file and the key.

    ``known_elsewhere``: provider names a binding may use without this file defining them
    (the built-in vendor providers).
    """
    providers_table = document.get("providers", {})
    tools_table = document.get("tools", {})
    if not isinstance(providers_table, Mapping):
        raise _fail(source, "providers", "must be a table")
    if not isinstance(tools_table, Mapping):
        raise _fail(source, "tools", "must be a table")
    providers = {
        name: _parse_provider(name, table, source) for name, table in providers_table.items()
    }
    tools = {tool: _parse_binding(tool, table, source) for tool, table in tools_table.items()}
    aliases_table = document.get("aliases", {})
    if not isinstance(aliases_table, Mapping):
        raise _fail(source, "aliases", "must be a table")
    aliases = {name: _string_list(aliases_table, name, "aliases", source) for name in aliases_table}
    for tool, binding in tools.items():
        known = [*providers, *(n for n in known_elsewhere if n not in providers)]
        if binding.provider and binding.provider not in known:
            raise _fail(
                source,
                f"tools.{tool}.provider",
                f"no provider named '{binding.provider}' (known: {', '.join(known) or 'none'})",
            )
    serve = _parse_serve(document.get("serve", {}), source)
    return Settings(providers=providers, tools=tools, source=source, aliases=aliases, serve=serve)


def _parse_serve(table: Any, source: Path | None) -> ServeSettings:
    """``[serve]`` port, and ``[serve.clients.NAME]`` key (and binding, default NAME)."""
    if not isinstance(table, Mapping):
        raise _fail(source, "serve", "must be a table")
    port = table.get("port")
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536
    ):
        raise _fail(source, "serve.port", "must be a port number (1-65535)")
    clients_table = table.get("clients", {})
    if not isinstance(clients_table, Mapping):
        raise _fail(source, "serve.clients", "must be a table of clients")
    clients = {}
    for name, entry in clients_table.items():
        where = f"serve.clients.{name}"
        if not isinstance(entry, Mapping):
            raise _fail(source, where, "must be a table with a key")
        key = KeyReference.parse(_require_str(entry, "key", where, source))
        if key.literal is not None and len(key.literal) < 16:
            raise _fail(source, f"{where}.key", "is too short to guard anything (16+ chars)")
        binding = _optional_str(entry, "binding", where, source) or name
        clients[name] = ServeClient(key=key, binding=binding)
    unknown = sorted(set(table) - {"port", "clients"})
    if unknown:
        raise _fail(source, f"serve.{unknown[0]}", "is not a serve setting (port, clients)")
    return ServeSettings(port=port, clients=clients)
