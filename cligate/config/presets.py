"""Provider presets: what cligate knows about each provider, kept as data in ``presets.toml``.

A preset names a provider's endpoints (one per wire protocol it speaks), how it takes a key,
where users usually keep that key, its default models and tiers, and what its models can do.
Every entry is validated on load; an error names the preset and the key, so a typo in the
data file fails loudly instead of sending a request to the wrong place.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from cligate.config.settings import AuthStyle, validate_base_url
from cligate.errors import ConfigError
from cligate.protocols.capabilities import (
    CapabilitySettings,
    CapabilityValueError,
    TokenParam,
)
from cligate.protocols.kinds import WireProtocol

PRESETS_FILE = Path(__file__).with_name("presets.toml")

TIER_NAMES = ("flagship", "standard", "fast", "reasoning")
# Where an OpenAI-style chat response carries thinking text ("" when it does not).
REASONING_FIELDS = ("", "reasoning_content", "reasoning")

_PRESET_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_ENV_VAR = re.compile(r"[A-Z][A-Z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# A whole-URL placeholder: the user supplies the base URL itself.
_BASE_URL_PARAM = "base_url"
# Other parameters are hostname labels or path segments (Azure resource, GCP project, region).
_URL_PARAM_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")

_PRESET_KEYS = frozenset(
    {
        "display_name",
        "endpoints",
        "auth",
        "key_env",
        "models",
        "tiers",
        "capabilities",
        "slug_passthrough",
        "local",
        "supported",
        "unsupported_reason",
        "base_url_required",
        "url_params",
        "docs",
        "notes",
        "rate_limits",
    }
)
_ENDPOINT_KEYS = frozenset({"protocol", "base_url", "auth"})
_CAPABILITY_KEYS = frozenset(
    {"tools", "images", "reasoning_field", "max_output_tokens", "max_tokens_param"}
)


# The Chat Completions field a provider reads the output limit from (one enum for presets and
# capability profiles).
TokenLimitParam = TokenParam


@dataclass(frozen=True, slots=True)
class Endpoint:
    protocol: WireProtocol
    base_url: str  # may hold {name} placeholders, each listed in the preset's url_params
    auth: AuthStyle  # the preset's auth unless the endpoint overrides it

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.base_url))

    def render(self, params: Mapping[str, str]) -> str:
        """The base URL with its placeholders filled in; ``ConfigError`` if one is missing."""
        missing = [name for name in self.placeholders if not params.get(name)]
        if missing:
            raise ConfigError(f"{self.base_url}: needs a value for {', '.join(missing)}")
        for name in self.placeholders:
            if name != _BASE_URL_PARAM and not _URL_PARAM_VALUE.fullmatch(params[name]):
                raise ConfigError(f"{name}: '{params[name]}' is not a valid URL part")
        url = _PLACEHOLDER.sub(lambda match: params[match.group(1)], self.base_url)
        try:
            return validate_base_url(url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Capabilities:
    tools: bool
    images: bool
    reasoning_field: str  # one of REASONING_FIELDS
    max_output_tokens: int
    max_tokens_param: TokenLimitParam
    # The whole table, checked: the five above, the optional settings of a CapabilityProfile
    # and per-model settings.
    table: CapabilitySettings = field(default_factory=CapabilitySettings)


@dataclass(frozen=True, slots=True)
class Tiers:
    flagship: str | None = None
    standard: str | None = None
    fast: str | None = None
    reasoning: str | None = None

    def items(self) -> tuple[tuple[str, str], ...]:
        """The tiers the provider has, as (tier, model id) pairs in TIER_NAMES order."""
        pairs = ((name, getattr(self, name)) for name in TIER_NAMES)
        return tuple((name, model) for name, model in pairs if model is not None)


@dataclass(frozen=True, slots=True)
class Preset:
    id: str
    display_name: str
    endpoints: tuple[Endpoint, ...]
    auth: AuthStyle
    key_env: str | None
    models: tuple[str, ...]
    tiers: Tiers
    capabilities: Capabilities
    slug_passthrough: bool = False
    local: bool = False
    supported: bool = True
    unsupported_reason: str | None = None
    base_url_required: bool = False
    url_params: tuple[str, ...] = ()
    docs: str | None = None
    notes: str | None = None
    # The provider limits each model separately: a 429 rests a key for that model only.
    per_model_rate_limits: bool = False

    @property
    def protocols(self) -> tuple[WireProtocol, ...]:
        return tuple(endpoint.protocol for endpoint in self.endpoints)

    def endpoint(self, protocol: WireProtocol) -> Endpoint | None:
        return next((e for e in self.endpoints if e.protocol is protocol), None)


# --- validation --------------------------------------------------------------------------


class _Checker:
    """Reads one preset's table; every error names the preset and the offending key."""

    def __init__(self, preset_id: str, source: Path | None) -> None:
        self.preset_id = preset_id
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        where = f"{self.source}: " if self.source else ""
        return ConfigError(f"{where}preset '{self.preset_id}': {key}: {problem}")

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        return value

    def known_keys(self, table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
        for key in table:
            if key not in known:
                name = f"{where}.{key}" if where else key
                raise self.fail(name, f"unknown key (known: {', '.join(sorted(known))})")

    def text(self, table: Mapping[str, Any], key: str, where: str = "") -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}{key}", "a non-empty string is required")
        return value.strip()

    def optional_text(self, table: Mapping[str, Any], key: str) -> str | None:
        if key not in table:
            return None
        return self.text(table, key)

    def flag(self, table: Mapping[str, Any], key: str, default: bool, where: str = "") -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}{key}", "must be true or false")
        return value

    def names(self, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        names = tuple(v.strip() for v in value)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise self.fail(key, f"lists {', '.join(duplicates)} more than once")
        return names

    def rate_limit_scope(self, table: Mapping[str, Any]) -> bool:
        scope = self.optional_text(table, "rate_limits") or "key"
        if scope not in ("key", "model"):
            raise self.fail("rate_limits", "must be 'key' or 'model'")
        return scope == "model"

    def auth(self, table: Mapping[str, Any], key: str, where: str = "") -> AuthStyle:
        raw = self.text(table, key, where)
        try:
            return AuthStyle(raw)
        except ValueError:
            known = ", ".join(a.value for a in AuthStyle)
            raise self.fail(f"{where}{key}", f"'{raw}' is not one of {known}") from None

    def url(self, raw: str, key: str, url_params: tuple[str, ...]) -> str:
        """Check a (possibly templated) base URL by filling its placeholders with samples."""
        for name in _PLACEHOLDER.findall(raw):
            if name not in url_params:
                raise self.fail(key, f"{{{name}}} is not listed in url_params")
        if _BASE_URL_PARAM in _PLACEHOLDER.findall(raw):
            if raw != "{base_url}":
                raise self.fail(key, "{base_url} must stand alone: it is the whole URL")
            return raw
        sample = _PLACEHOLDER.sub("sample", raw)
        if "{" in sample or "}" in sample:
            raise self.fail(key, f"'{raw}' has a malformed placeholder")
        try:
            validate_base_url(sample)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        return raw.rstrip("/")

    def endpoints(
        self, raw: Any, default_auth: AuthStyle, url_params: tuple[str, ...]
    ) -> tuple[Endpoint, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("endpoints", "at least one endpoint table is required")
        endpoints: list[Endpoint] = []
        for index, item in enumerate(raw):
            where = f"endpoints[{index}]."
            table = self.table(item, where.rstrip("."))
            self.known_keys(table, _ENDPOINT_KEYS, where.rstrip("."))
            raw_protocol = self.text(table, "protocol", where)
            try:
                protocol = WireProtocol(raw_protocol)
            except ValueError:
                known = ", ".join(p.value for p in WireProtocol)
                raise self.fail(
                    f"{where}protocol", f"'{raw_protocol}' is not one of {known}"
                ) from None
            if any(e.protocol is protocol for e in endpoints):
                raise self.fail(f"{where}protocol", f"'{protocol}' is listed twice")
            base_url = self.url(self.text(table, "base_url", where), f"{where}base_url", url_params)
            auth = self.auth(table, "auth", where) if "auth" in table else default_auth
            endpoints.append(Endpoint(protocol, base_url, auth))
        return tuple(endpoints)

    def tiers(self, raw: Any, models: tuple[str, ...]) -> Tiers:
        table = self.table(raw, "tiers")
        self.known_keys(table, frozenset(TIER_NAMES), "tiers")
        chosen = {name: self.text(table, name, "tiers.") for name in table}
        for name, model in chosen.items():
            if model not in models:
                raise self.fail(f"tiers.{name}", f"'{model}' is not one of the preset's models")
        return Tiers(**chosen)

    def capabilities(self, raw: Any) -> Capabilities:
        table = self.table(raw, "capabilities")
        for key in _CAPABILITY_KEYS:
            if key not in table:
                raise self.fail(f"capabilities.{key}", "is required")
        try:
            parsed = CapabilitySettings.parse(table)
        except CapabilityValueError as exc:
            raise self.fail(f"capabilities.{exc.key}", exc.problem) from None
        values = dict(parsed.settings)
        return Capabilities(
            tools=bool(values["tools"]),
            images=bool(values["images"]),
            reasoning_field=str(values["reasoning_field"]),
            max_output_tokens=cast(int, values["max_output_tokens"]),
            max_tokens_param=cast(TokenParam, values["max_tokens_param"]),
            table=parsed,
        )


def preset_from_table(preset_id: str, raw: Any, source: Path | None = None) -> Preset:
    """Validate one preset's table into a ``Preset``; errors name the preset and the key."""
    check = _Checker(preset_id, source)
    if not _PRESET_ID.fullmatch(preset_id):
        raise check.fail("id", "use lowercase letters, digits and dashes")
    table = check.table(raw, "preset")
    check.known_keys(table, _PRESET_KEYS, "")

    display_name = check.text(table, "display_name")
    auth = check.auth(table, "auth")
    url_params = check.names(table, "url_params")
    base_url_required = check.flag(table, "base_url_required", False)
    if base_url_required != (_BASE_URL_PARAM in url_params):
        raise check.fail("base_url_required", "must be true exactly when url_params has base_url")
    endpoints = check.endpoints(table.get("endpoints"), auth, url_params)
    used = {name for endpoint in endpoints for name in endpoint.placeholders}
    for name in url_params:
        if name not in used:
            raise check.fail("url_params", f"{name} is not used by any endpoint")

    local = check.flag(table, "local", False)
    supported = check.flag(table, "supported", True)
    reason = check.optional_text(table, "unsupported_reason")
    if not supported and reason is None:
        raise check.fail("unsupported_reason", "is required when supported = false")
    if supported and reason is not None:
        raise check.fail("unsupported_reason", "only applies when supported = false")

    key_env = check.optional_text(table, "key_env")
    sends_key = any(endpoint.auth is not AuthStyle.NONE for endpoint in endpoints)
    if key_env is not None and not _ENV_VAR.fullmatch(key_env):
        raise check.fail("key_env", f"'{key_env}' is not an environment variable name")
    if local and (sends_key or key_env is not None):
        raise check.fail("local", "a local preset takes no key: use auth = none, no key_env")
    if key_env is not None and not sends_key:
        raise check.fail("key_env", "no endpoint sends a key (auth = none)")
    # Unsupported and user-described presets have no key convention to point at.
    if key_env is None and sends_key and supported and not base_url_required:
        raise check.fail("key_env", "is required when the provider takes a key")

    models = check.names(table, "models")
    slug_passthrough = check.flag(table, "slug_passthrough", False)
    slashed = [model for model in models if "/" in model]
    if slashed and not slug_passthrough:
        raise check.fail("slug_passthrough", f"must be true: {slashed[0]} contains '/'")

    docs = check.optional_text(table, "docs")
    if docs is not None:
        try:
            validate_base_url(docs)
        except ValueError as exc:
            raise check.fail("docs", str(exc)) from None

    return Preset(
        id=preset_id,
        display_name=display_name,
        endpoints=endpoints,
        auth=auth,
        key_env=key_env,
        models=models,
        tiers=check.tiers(table.get("tiers", {}), models),
        capabilities=check.capabilities(table.get("capabilities")),
        slug_passthrough=slug_passthrough,
        local=local,
        supported=supported,
        unsupported_reason=reason,
        base_url_required=base_url_required,
        url_params=url_params,
        docs=docs,
        notes=check.optional_text(table, "notes"),
        per_model_rate_limits=check.rate_limit_scope(table),
    )


def presets_from_document(
    document: Mapping[str, Any], source: Path | None = None
) -> dict[str, Preset]:
    """Validate a parsed presets document (its ``[presets.*]`` tables)."""
    unknown = [key for key in document if key != "presets"]
    if unknown:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}{unknown[0]}: unknown top-level key (expected presets)")
    tables = document.get("presets", {})
    if not isinstance(tables, Mapping):
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}presets: must be a table")
    return {name: preset_from_table(name, table, source) for name, table in tables.items()}


@functools.cache
def load_presets() -> dict[str, Preset]:
    """The presets shipped with cligate, parsed once per process (treat the dict as read-only)."""
    import tomllib  # pure Python and slow to import: only pay for it when presets are needed

    try:
        document = tomllib.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{PRESETS_FILE}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{PRESETS_FILE}: {exc}") from exc
    return presets_from_document(document, PRESETS_FILE)


def closest_preset(name: str, known: Iterable[str] | None = None) -> str | None:
    """The preset id most like ``name``, for "unknown preset, did you mean …?"; None if none is."""
    candidates = list(known) if known is not None else list(load_presets())
    matches = difflib.get_close_matches(name.strip().lower(), candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``ConfigError`` with a suggestion if there is none."""
    presets = load_presets()
    preset = presets.get(name)
    if preset is not None:
        return preset
    suggestion = closest_preset(name, presets)
    hint = f"; did you mean '{suggestion}'?" if suggestion else ""
    raise ConfigError(f"unknown preset '{name}'{hint} (known: {', '.join(sorted(presets))})")
