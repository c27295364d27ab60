import json
import os
import stat
import threading
from pathlib import Path

import pytest

from cligate.config.settings import AuthStyle, KeyReference, mask_key
from cligate.config.store import load_settings, write_private_file
from cligate.errors import ConfigError, MissingKeyError
from cligate.protocols.kinds import WireProtocol

GOOD = """
# my providers
[providers.qwen]
protocol = "openai-chat"
base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1/"
api_key = "env:DASHSCOPE_API_KEY"

[providers.claude-direct]
protocol = "anthropic"
base_url = "https://api.anthropic.com"
api_key = "sk-ant-literal-key-123456"
headers = { "x-team" = "blue" }

[tools.claude]
provider = "claude-direct"
model = "claude-sonnet-4-6"
"""


def test_a_good_file_loads_into_typed_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    settings = load_settings(path)
    qwen = settings.providers["qwen"]
    assert qwen.protocol is WireProtocol.OPENAI_CHAT
    assert qwen.base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert qwen.auth is AuthStyle.BEARER
    assert qwen.api_key == KeyReference(env_var="DASHSCOPE_API_KEY")
    direct = settings.providers["claude-direct"]
    assert direct.auth is AuthStyle.X_API_KEY
    assert direct.headers == (("x-team", "blue"),)
    assert settings.tools["claude"].model == "claude-sonnet-4-6"


def test_a_missing_file_is_an_empty_configuration(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml")
    assert settings.providers == {} and settings.tools == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[providers.x]\nprotocol = "smtp"\nbase_url = "https://x"', "providers.x.protocol"),
        ('[providers.x]\nprotocol = "anthropic"\nbase_url = "ftp://x"', "providers.x.base_url"),
        ('[providers.x]\nprotocol = "anthropic"', "providers.x.base_url"),
        (
            '[providers.x]\nprotocol = "anthropic"\nbase_url = "https://x"\nauth = "basic"',
            "providers.x.auth",
        ),
        ('[tools.claude]\nprovider = "nobody"', "tools.claude.provider"),
        ("providers = 3", "providers: must be a table"),
        ("[providers.x\n", "line 1"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in caught.value.message
    assert message in caught.value.message


def test_an_unset_key_variable_is_named() -> None:
    with pytest.raises(MissingKeyError, match="DASHSCOPE_API_KEY"):
        KeyReference(env_var="DASHSCOPE_API_KEY").resolve({}, "qwen")
    assert KeyReference(env_var="K").resolve({"K": "v"}, "qwen") == "v"


def test_keys_are_never_described_in_full() -> None:
    key = "sk-ant-literal-key-123456"
    assert key not in KeyReference(literal=key).describe()
    assert KeyReference(env_var="K").describe() == "env:K"
    assert mask_key("short") == "****"


def test_private_file_is_written_0600_and_atomically(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "config.toml"
    write_private_file(path, "a = 1\n")
    assert path.read_text() == "a = 1\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_concurrent_writers_leave_one_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    bodies = [f"writer = {n}\n" + "x" * 20000 + "\n" for n in range(8)]
    threads = [threading.Thread(target=write_private_file, args=(path, b)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_text() in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_builtin_providers_cover_each_tools_own_protocol() -> None:
    from cligate.config.store import builtin_settings

    builtins = builtin_settings()
    expected = {"claude": "anthropic", "codex": "openai-responses", "gemini": "gemini"}
    for tool, protocol in expected.items():
        provider = builtins.providers[builtins.tools[tool].provider or ""]
        assert provider.protocol.value == protocol
        assert provider.api_key is not None and provider.api_key.env_var
        assert provider.base_url.startswith("https://")


def test_the_config_file_wins_over_builtins(tmp_path: Path) -> None:
    from cligate.config.store import load_effective_settings

    path = tmp_path / "config.toml"
    path.write_text(GOOD + '\n[tools.codex]\nmodel = "gpt-5"\n')
    settings = load_effective_settings(path)
    assert settings.tools["claude"].provider == "claude-direct"
    assert settings.tools["codex"].provider == "openai"  # built in, with the user's model
    assert settings.tools["codex"].model == "gpt-5"
    assert settings.tools["gemini"].provider == "gemini"
    assert "qwen" in settings.providers and "anthropic" in settings.providers


def test_parsed_config_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    from cligate.config.toml_cache import CACHE_NAME

    path = tmp_path / "config.toml"
    cache_dir = tmp_path / "state"
    path.write_text(GOOD)
    first = load_settings(path, cache_dir)
    cached = json.loads((cache_dir / CACHE_NAME).read_text())
    assert cached[str(path)]["document"]["providers"]["qwen"]["protocol"] == "openai-chat"
    assert stat.S_IMODE(os.stat(cache_dir / CACHE_NAME).st_mode) == 0o600
    # A hit is served from the cache: prove it by planting a different document there.
    cached[str(path)]["document"]["tools"]["claude"]["model"] = "from-cache"
    (cache_dir / CACHE_NAME).write_text(json.dumps(cached))
    assert load_settings(path, cache_dir).tools["claude"].model == "from-cache"
    # Any change to the file misses the cache.
    path.write_text(GOOD.replace("claude-sonnet-4-6", "claude-opus-4-1") + "\n")
    assert load_settings(path, cache_dir).tools["claude"].model == "claude-opus-4-1"
    assert first.tools["claude"].model == "claude-sonnet-4-6"


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    from cligate.config.toml_cache import CACHE_NAME

    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    (tmp_path / CACHE_NAME).write_text("{not json")
    assert load_settings(path, tmp_path).providers["qwen"].base_url.endswith("/v1")


def test_errors_are_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[providers.x\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="line 1"):
            load_settings(path, tmp_path)


ROUTING = """
[providers.or]
protocol = "openai-chat"
base_url = "https://openrouter.ai/api/v1"
prefix = "or"
slug_passthrough = true
exclude = ["*:free"]
[providers.or.aliases]
claude-sonnet = "anthropic/claude-3.7-sonnet"

[aliases]
fast = ["or:meta-llama/llama-3.3-70b", "or:qwen/qwen3-32b"]
solo = "or:openai/gpt-5"

[tools.claude]
provider = "or"
fallbacks = ["or:deepseek/deepseek-chat"]
tiers = { opus = "anthropic/claude-opus-4", haiku = "anthropic/claude-haiku-4" }
[tools.claude.scenarios]
long_context_tokens = 120000
long_context = "google/gemini-2.5-pro"
thinking = "deepseek/deepseek-r1"
"""


def test_routing_fields_load(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ROUTING)
    settings = load_settings(path)
    openrouter = settings.providers["or"]
    assert openrouter.slug_passthrough and openrouter.prefix == "or"
    assert openrouter.exclude == ("*:free",)
    assert openrouter.aliases == (("claude-sonnet", "anthropic/claude-3.7-sonnet"),)
    assert settings.aliases["fast"] == ("or:meta-llama/llama-3.3-70b", "or:qwen/qwen3-32b")
    assert settings.aliases["solo"] == ("or:openai/gpt-5",)
    claude = settings.tools["claude"]
    assert claude.fallbacks == ("or:deepseek/deepseek-chat",)
    assert dict(claude.tiers)["opus"] == "anthropic/claude-opus-4"
    assert claude.scenarios is not None and claude.scenarios.long_context_tokens == 120000


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('\n[tools.claude.scenarios]\nlong_context = "x"\n', "long_context"),
        ('\n[tools.claude.scenarios]\nsleepy = "x"\n', "scenarios.sleepy"),
        ("\n[tools.claude]\nfallbacks = [1]\n", "tools.claude.fallbacks"),
        ("\n[providers.p.aliases]\nx = 3\n", "providers.p.aliases"),
        ("\n[providers.p]\nslug_passthrough = 'yes'\n", "providers.p.slug_passthrough"),
    ],
)
def test_bad_routing_fields_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    base = '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n'
    if "[providers.p]" in extra:
        base = '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n' + extra.replace(
            "\n[providers.p]\n", ""
        )
        extra = ""
    path = tmp_path / "config.toml"
    path.write_text(base + extra)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(path)


def test_several_keys_each_with_its_own_proxy(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n'
        'api_key = "env:KEY_A"\nproxy = "http://corp-proxy:3128"\n'
        'api_keys = ["env:KEY_B", { key = "sk-literal-key-999999", proxy = "http://eu:8080", '
        'label = "eu team" }, "env:KEY_UNSET"]\n'
    )
    provider = load_settings(path).providers["p"]
    keys = provider.available_keys({"KEY_A": "a", "KEY_B": "b"})
    assert [(k.value, k.proxy, k.label) for k in keys] == [
        ("a", "http://corp-proxy:3128", "env:KEY_A"),
        ("b", "http://corp-proxy:3128", "env:KEY_B"),
        ("sk-literal-key-999999", "http://eu:8080", "eu team"),
    ]  # the unset one is left out; labels never show a literal key


def test_a_provider_without_keys_has_one_empty_key() -> None:
    from cligate.config.settings import ProviderSettings

    keys = ProviderSettings(
        "ollama", WireProtocol.OPENAI_CHAT, "http://localhost:11434/v1"
    ).available_keys({})
    assert [(k.value, k.label) for k in keys] == [("", "no key")]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ('api_keys = "env:A"', "providers.p.api_keys"),
        ("api_keys = [3]", r"providers.p.api_keys\[0\]"),
        ('api_keys = [{ proxy = "http://x" }]', r"providers.p.api_keys\[0\].key"),
        ('proxy = "socks://x"', "providers.p.proxy"),
    ],
)
def test_bad_key_entries_name_the_key(tmp_path: Path, value: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n{value}\n')
    with pytest.raises(ConfigError, match=key):
        load_settings(path)


def test_a_resolved_keys_repr_never_shows_the_key() -> None:
    from cligate.config.settings import ResolvedKey

    key = ResolvedKey("sk-very-secret-value-0123456789", None, "env:MY_KEY")
    assert "sk-very-secret" not in repr(key) and "env:MY_KEY" in repr(key)


def test_timeouts_and_rate_limit_scope_load(tmp_path: Path) -> None:
    import math

    path = tmp_path / "config.toml"
    path.write_text(
        '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\nrate_limits = "model"\n'
        "[providers.p.timeouts]\nconnect = 3\nfirst_byte = 90.5\nidle = 0\ntotal = 900\n"
        '[providers.q]\nprotocol = "anthropic"\nbase_url = "https://y"\n'
    )
    settings = load_settings(path)
    p, q = settings.providers["p"], settings.providers["q"]
    assert p.timeouts is not None
    assert (p.timeouts.connect, p.timeouts.first_byte, p.timeouts.total) == (3, 90.5, 900)
    assert p.timeouts.idle == math.inf  # 0 means no limit
    assert p.per_model_rate_limits is True
    assert q.timeouts is None and q.per_model_rate_limits is None  # the defaults, the preset's


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("timeouts = 30", "providers.p.timeouts"),
        ("timeouts = { read = 30 }", r"providers.p.timeouts.read"),
        ("timeouts = { idle = -1 }", r"providers.p.timeouts.idle"),
        ("timeouts = { total = true }", r"providers.p.timeouts.total"),
        ('timeouts = { connect = "10s" }', r"providers.p.timeouts.connect"),
        ('rate_limits = "request"', "providers.p.rate_limits"),
    ],
)
def test_bad_timeouts_and_rate_limits_name_the_key(tmp_path: Path, value: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.p]\nprotocol = "anthropic"\nbase_url = "https://x"\n{value}\n')
    with pytest.raises(ConfigError, match=key):
        load_settings(path)


def test_pricing_overrides_load_in_file_order(tmp_path: Path) -> None:
    from cligate.config.settings import PriceEntry

    path = tmp_path / "config.toml"
    path.write_text(
        '[providers.p]\nprotocol = "openai-chat"\nbase_url = "https://x"\n'
        '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = 4.5\n'
        '[providers.p.pricing."gpt-6-luna"]\ninput = 0.1\noutput = 0.5\ncache_read = 0.01\n'
        "cache_write = 0\n"
    )
    p = load_settings(path).providers["p"]
    assert p.pricing == (
        ("gpt-*", PriceEntry(1.0, 4.5)),
        ("gpt-6-luna", PriceEntry(0.1, 0.5, 0.01, 0.0)),
    )


def test_a_bad_pricing_override_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[providers.p]\nprotocol = "openai-chat"\nbase_url = "https://x"\n'
        '[providers.p.pricing."gpt-*"]\ninput = 1\noutput = -4\n'
    )
    with pytest.raises(ConfigError, match=r'config\.toml: providers\.p\.pricing\."gpt-\*"\.output'):
        load_settings(path)
