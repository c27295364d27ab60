"""Model prices for cost estimates: the user's override in the provider's config entry, else
``config/pricing.toml`` for the provider's preset. A model with neither has no price: its cost
is unknown, never zero.

Matching is the same in both places: the model id exactly, else the longest glob (fnmatch,
case-sensitive) that matches it. Ids are matched whole, vendor prefix included: an aggregator's
"anthropic/claude-…" is priced by that aggregator, not by the vendor.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cligate.config.settings import (
    PriceEntry,
    PriceValueError,
    ProviderSettings,
    price_entry_from_table,
)
from cligate.errors import ConfigError

PRICING_FILE = Path(__file__).parent.parent / "config" / "pricing.toml"

_PER_TOKEN = 1e-6  # prices are per million tokens
_GLOB_CHARS = frozenset("*?[")
_ENTRY_KEYS = ("source", "checked", "note", "local")

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Price:  # USD per million tokens
    input: float
    output: float
    cache_read: float | None = None  # None: billed as input
    cache_write: float | None = None  # None: billed as input
    source: str | None = None  # where it comes from: a URL, "config: <key>" or "local"


@dataclass(frozen=True, slots=True)
class PricedModel:
    """One pricing.toml entry: a model id or glob of one preset, and its price."""

    pattern: str
    price: Price
    checked: datetime.date | None = None  # when the source was read; None for local servers
    local: bool = False
    note: str | None = None


def cost_usd(
    price: Price,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float:
    """The cost of one request. ``input_tokens`` excludes cache reads and writes;
    ``output_tokens`` includes reasoning."""
    counts = (input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
    if any(count < 0 for count in counts):
        raise ValueError(f"token counts must not be negative: {counts}")
    cache_read = price.input if price.cache_read is None else price.cache_read
    cache_write = price.input if price.cache_write is None else price.cache_write
    total = (
        input_tokens * price.input
        + output_tokens * price.output
        + cache_read_tokens * cache_read
        + cache_write_tokens * cache_write
    )
    return total * _PER_TOKEN


def price_for(provider: ProviderSettings, model: str) -> Price | None:
    """The price of ``model`` at ``provider``: the user's override, else the preset's; None if
    neither names it."""
    override = match_model([(pattern, (pattern, e)) for pattern, e in provider.pricing], model)
    if override is not None:
        pattern, entry = override
        return _from_entry(entry, f'config: providers.{provider.name}.pricing."{pattern}"')
    if provider.preset is None:
        return None
    priced = match_model(
        [(entry.pattern, entry) for entry in load_pricing().get(provider.preset, ())], model
    )
    return priced.price if priced is not None else None


def match_model(entries: Sequence[tuple[str, _T]], model: str) -> _T | None:
    """The value of the entry naming ``model`` exactly, else of the longest matching glob
    (the first of equally long ones)."""
    best: tuple[str, _T] | None = None
    for pattern, value in entries:
        if pattern == model:
            return value
        longer = best is None or len(pattern) > len(best[0])
        if longer and _is_glob(pattern) and fnmatchcase(model, pattern):
            best = (pattern, value)
    return best[1] if best is not None else None


def _is_glob(pattern: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(pattern)


def _from_entry(entry: PriceEntry, source: str) -> Price:
    return Price(entry.input, entry.output, entry.cache_read, entry.cache_write, source)


# --- pricing.toml ------------------------------------------------------------------------


@functools.cache
def load_pricing() -> dict[str, tuple[PricedModel, ...]]:
    """The shipped prices by preset id, parsed once per process (treat as read-only)."""
    # Imported here: it brings tomllib, pure Python and slow to import, and only runs that
    # price a request need it.
    from cligate.config.toml_cache import parse_toml_file

    try:
        raw = PRICING_FILE.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{PRICING_FILE}: cannot be read ({exc.strerror})") from exc
    return pricing_from_document(parse_toml_file(PRICING_FILE, raw), PRICING_FILE)


def pricing_from_document(
    document: Mapping[str, Any], source: Path | None = None
) -> dict[str, tuple[PricedModel, ...]]:
    """Validate a parsed pricing document; errors name the file, preset, model and key."""
    where = f"{source}: " if source else ""
    unknown = [key for key in document if key != "pricing"]
    if unknown:
        raise ConfigError(f"{where}{unknown[0]}: unknown top-level key (expected pricing)")
    presets = document.get("pricing", {})
    if not isinstance(presets, Mapping):
        raise ConfigError(f"{where}pricing: must be a table")
    result: dict[str, tuple[PricedModel, ...]] = {}
    for preset, models in presets.items():
        if not isinstance(models, Mapping):
            raise ConfigError(f"{where}pricing.{preset}: must be a table of model ids or globs")
        result[preset] = tuple(
            _priced_model(pattern, table, f'{where}pricing.{preset}."{pattern}"')
            for pattern, table in models.items()
        )
    return result


def _priced_model(pattern: str, table: Any, spot: str) -> PricedModel:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{spot}.{key}: {problem}" if key else f"{spot}: {problem}")

    if not pattern.strip():
        raise fail("", "a model id or glob is required")
    try:
        entry = price_entry_from_table(table, _ENTRY_KEYS)
    except PriceValueError as exc:
        raise fail(exc.key, exc.problem) from None
    local = table.get("local", False)
    if not isinstance(local, bool):
        raise fail("local", "must be true or false")
    note = table.get("note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        raise fail("note", "must be a non-empty string")
    if local:
        # A local server costs nothing per token; a price here would be a mistake.
        if entry != PriceEntry(0.0, 0.0):
            raise fail("local", "a local entry has input = output = 0 and no cache prices")
        if "source" in table or "checked" in table:
            raise fail("local", "a local entry has no source or checked date")
        return PricedModel(pattern, Price(0.0, 0.0, source="local"), local=True, note=note)
    url = table.get("source")
    if not isinstance(url, str) or urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        raise fail("source", "the https:// URL the price was read from is required")
    checked = table.get("checked")
    # TOML reads 2026-11-30 as a date; a datetime is a date too, but not what is meant here.
    if not isinstance(checked, datetime.date) or isinstance(checked, datetime.datetime):
        raise fail("checked", "the date the source was read is required (e.g. 2026-11-30)")
    return PricedModel(pattern, _from_entry(entry, url), checked=checked, note=note)
