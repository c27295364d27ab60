import datetime
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from cligate.config.presets import load_presets
from cligate.config.settings import ProviderSettings, settings_from_document
from cligate.errors import ConfigError
from cligate.observe.pricing import (
    PRICING_FILE,
    Price,
    cost_usd,
    load_pricing,
    match_model,
    price_for,
    pricing_from_document,
)
from cligate.protocols.kinds import WireProtocol

# Entries straight from the file, so that a bad one fails its test instead of collection.
ENTRIES = [
    (preset, pattern)
    for preset, models in tomllib.loads(PRICING_FILE.read_text(encoding="utf-8"))["pricing"].items()
    for pattern in models
]


def provider(preset: str | None = None, pricing: str = "") -> ProviderSettings:
    """A provider entry as the config file would give it, with an optional pricing table."""
    text = f'[providers.p]\nprotocol = "openai-chat"\nbase_url = "https://x"\n{pricing}'
    if preset is not None:
        text = text.replace("[providers.p]\n", f'[providers.p]\npreset = "{preset}"\n')
    return settings_from_document(tomllib.loads(text)).providers["p"]


# --- the shipped data ----------------------------------------------------------------------


def test_the_shipped_file_loads_once() -> None:
    assert load_pricing()  # validation is the loader's: it raises on any bad entry
    assert load_pricing() is load_pricing()


@pytest.mark.parametrize(("preset_id", "pattern"), ENTRIES)
def test_every_entry_names_a_preset_and_some_of_its_models(preset_id: str, pattern: str) -> None:
    presets = load_presets()
    assert preset_id in presets, f"pricing.{preset_id}: no such preset"
    models = presets[preset_id].models
    assert any(fnmatchcase(model, pattern) for model in models), (
        f'pricing.{preset_id}."{pattern}" matches none of {models}'
    )


@pytest.mark.parametrize(("preset_id", "pattern"), ENTRIES)
def test_local_entries_are_exactly_the_local_presets(preset_id: str, pattern: str) -> None:
    entry = next(e for e in load_pricing()[preset_id] if e.pattern == pattern)
    assert entry.local is load_presets()[preset_id].local
    if entry.local:
        assert entry.price == Price(0.0, 0.0, source="local")
    else:
        assert entry.price.source is not None and entry.price.source.startswith("https://")
        assert entry.checked is not None and entry.checked <= datetime.date.today()
        assert entry.price.input > 0 and entry.price.output > 0  # free is only ever local


def test_known_prices_are_found_and_unknown_models_are_not() -> None:
    opus = price_for(provider("anthropic"), "claude-opus-5-5")
    assert opus == Price(4.0, 20.0, 0.20, 5.0, opus.source if opus else None)
    assert price_for(provider("anthropic"), "claude-haiku-5-5") is None  # banded: left out
    assert price_for(provider("anthropic"), "claude-opus-5-5-turbo") is None
    assert price_for(provider("deepseek"), "deepseek-flash") is None
    assert price_for(provider(None), "claude-opus-5-5") is None  # no preset, no override
    assert price_for(provider("no-such-preset"), "claude-opus-5-5") is None


def test_local_servers_cost_nothing_whatever_the_model() -> None:
    price = price_for(provider("lmstudio"), "openai/gpt-oss-20b")
    assert price is not None and price.source == "local"
    assert cost_usd(price, 10_000, 5_000, 1_000, 100) == 0.0
    assert price_for(provider("ollama"), "some-model-pulled-later:7b") == price


def test_the_module_does_not_import_tomllib_until_a_price_is_needed() -> None:
    code = "import sys, cligate.observe.pricing; print('tomllib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# --- arithmetic ----------------------------------------------------------------------------

WITH_CACHE = Price(input=3.0, output=15.0, cache_read=0.30, cache_write=3.75)
WITHOUT_CACHE = Price(input=2.0, output=6.0)


@pytest.mark.parametrize(
    ("price", "tokens", "expected"),
    [
        (WITH_CACHE, (1_000_000, 0, 0, 0), 3.0),
        (WITH_CACHE, (0, 1_000_000, 0, 0), 15.0),
        (WITH_CACHE, (0, 0, 1_000_000, 0), 0.30),
        (WITH_CACHE, (0, 0, 0, 1_000_000), 3.75),
        # 2_000 in, 500 out, 100_000 cache read, 10_000 cache write:
        # 0.006 + 0.0075 + 0.03 + 0.0375
        (WITH_CACHE, (2_000, 500, 100_000, 10_000), 0.081),
        # no cache prices: cache reads and writes are billed as input
        (WITHOUT_CACHE, (2_000, 500, 100_000, 10_000), (112_000 * 2.0 + 500 * 6.0) / 1e6),
        (WITHOUT_CACHE, (0, 0, 0, 0), 0.0),
    ],
)
def test_cost_golden_rows(price: Price, tokens: tuple[int, int, int, int], expected: float) -> None:
    assert cost_usd(price, *tokens) == pytest.approx(expected, rel=1e-12)


def test_negative_token_counts_are_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="negative"):
        cost_usd(WITH_CACHE, -1, 0)


# --- overrides and matching ----------------------------------------------------------------


def test_the_users_override_beats_the_preset() -> None:
    p = provider("anthropic", '[providers.p.pricing."claude-opus-5-5"]\ninput = 1\noutput = 2\n')
    source = 'config: providers.p.pricing."claude-opus-5-5"'
    assert price_for(p, "claude-opus-5-5") == Price(1.0, 2.0, source=source)
    # the rest of the preset's prices still apply
    sonnet = price_for(p, "claude-sonnet-5-5")
    assert sonnet is not None and sonnet.input == 2.0


def test_an_override_glob_beats_an_exact_preset_entry() -> None:
    p = provider("anthropic", '[providers.p.pricing."claude-*"]\ninput = 1\noutput = 2\n')
    source = 'config: providers.p.pricing."claude-*"'
    assert price_for(p, "claude-sonnet-5-5") == Price(1.0, 2.0, source=source)


def test_overrides_price_models_of_a_provider_without_a_preset() -> None:
    p = provider(
        None,
        '[providers.p.pricing."my-model"]\ninput = 0.5\noutput = 1.5\ncache_read = 0.05\n',
    )
    expected = Price(0.5, 1.5, 0.05, None, 'config: providers.p.pricing."my-model"')
    assert price_for(p, "my-model") == expected
    assert price_for(p, "my-other-model") is None


def test_the_longest_glob_wins_and_an_exact_id_beats_every_glob() -> None:
    entries = [("*", "any"), ("gpt-*-mini", "minis"), ("gpt-*", "gpts"), ("gpt-6-mini", "exact")]
    assert match_model(entries, "gpt-6-mini") == "exact"
    assert match_model(entries, "gpt-5-mini") == "minis"
    assert match_model(entries, "gpt-6") == "gpts"
    assert match_model(entries, "claude") == "any"
    assert match_model([("gpt-*", "x")], "claude") is None
    # equally long globs: the first written wins, so the result never depends on chance
    assert match_model([("a*c", 1), ("ab*", 2)], "abc") == 1


def test_matching_is_case_sensitive_and_takes_the_vendor_prefix_whole() -> None:
    entries = [("MiniMax-M3", 1), ("anthropic/claude-*", 2)]
    assert match_model(entries, "minimax-m3") is None
    assert match_model(entries, "anthropic/claude-opus-5.5") == 2
    assert match_model(entries, "claude-opus-5-5") is None  # the vendor's own id is not its slug


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('pricing = "cheap"', "providers.p.pricing"),
        ('[providers.p.pricing]\n"gpt-*" = 3', 'providers.p.pricing."gpt-*"'),
        (
            '[providers.p.pricing."gpt-*"]\ninput = -1\noutput = 2',
            'providers.p.pricing."gpt-*".input',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = "1"\noutput = 2',
            'providers.p.pricing."gpt-*".input',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = true\noutput = 2',
            'providers.p.pricing."gpt-*".input',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = nan\noutput = 2',
            'providers.p.pricing."gpt-*".input',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = inf',
            'providers.p.pricing."gpt-*".output',
        ),
        ('[providers.p.pricing."gpt-*"]\ninput = 1', 'providers.p.pricing."gpt-*".output'),
        (
            '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = 2\ncache_read = -0.1',
            'providers.p.pricing."gpt-*".cache_read',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = 2\ncache_write = "x"',
            'providers.p.pricing."gpt-*".cache_write',
        ),
        (
            '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = 2\nsource = "me"',
            'providers.p.pricing."gpt-*".source',
        ),
        ('[providers.p.pricing." "]\ninput = 1\noutput = 2', 'providers.p.pricing." "'),
    ],
)
def test_bad_overrides_name_the_key(table: str, key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(key) + ": "):
        provider("openai", table)


def test_the_number_message_reads_as_the_docs_say() -> None:
    with pytest.raises(ConfigError) as caught:
        provider(None, '[providers.p.pricing."gpt-*"]\ninput = -1\noutput = 2')
    assert str(caught.value) == 'providers.p.pricing."gpt-*".input: must be a number ≥ 0'


# --- validation of the data file -----------------------------------------------------------

GOOD_ENTRY: dict[str, Any] = {
    "input": 1,
    "output": 2,
    "source": "https://example.com/pricing",
    "checked": datetime.date(2026, 11, 30),
}


def document(**changes: Any) -> dict[str, Any]:
    entry = {**GOOD_ENTRY, **changes}
    return {"pricing": {"acme": {"acme-1": {k: v for k, v in entry.items() if v is not None}}}}


def test_a_good_document_parses() -> None:
    (entry,) = pricing_from_document(document(cache_read=0.1, note="why"))["acme"]
    assert entry.pattern == "acme-1" and entry.note == "why" and not entry.local
    assert entry.price == Price(1.0, 2.0, 0.1, None, "https://example.com/pricing")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"source": None}, '"acme-1".source'),
        ({"source": "http://example.com"}, '"acme-1".source'),
        ({"checked": None}, '"acme-1".checked'),
        ({"checked": "2026-11-30"}, '"acme-1".checked'),
        ({"checked": datetime.datetime(2026, 11, 30, 12)}, '"acme-1".checked'),
        ({"output": -2}, '"acme-1".output'),
        ({"price": 3}, '"acme-1".price'),
        ({"note": ""}, '"acme-1".note'),
        ({"local": "yes"}, '"acme-1".local'),
        ({"local": True}, '"acme-1".local'),  # a local entry has no price and no source
        ({"local": True, "input": 0, "output": 0}, '"acme-1".local'),  # ...nor a source
    ],
)
def test_bad_data_names_the_preset_model_and_key(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"pricing.acme.{key}:")):
        pricing_from_document(document(**changes), Path("pricing.toml"))


def test_a_local_entry_is_free_and_sourceless() -> None:
    doc = {"pricing": {"box": {"*": {"local": True, "input": 0, "output": 0}}}}
    (entry,) = pricing_from_document(doc)["box"]
    assert entry.local and entry.price == Price(0.0, 0.0, source="local")


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"prices": {}}, "prices: unknown top-level key"),
        ({"pricing": []}, "pricing: must be a table"),
        ({"pricing": {"acme": 3}}, "pricing.acme: must be a table"),
    ],
)
def test_a_malformed_document_names_where(doc: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(key)):
        pricing_from_document(doc)


def test_the_provider_settings_field_defaults_to_no_overrides() -> None:
    plain = ProviderSettings("p", WireProtocol.OPENAI_CHAT, "https://x")
    assert plain.pricing == ()
