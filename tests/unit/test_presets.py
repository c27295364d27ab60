import copy
import re
import tomllib
from typing import Any

import pytest

from cligate.config.presets import (
    PRESETS_FILE,
    REASONING_FIELDS,
    Capabilities,
    Endpoint,
    Preset,
    TokenLimitParam,
    closest_preset,
    get_preset,
    load_presets,
    preset_from_table,
    presets_from_document,
)
from cligate.config.settings import AuthStyle
from cligate.errors import ConfigError
from cligate.protocols.kinds import WireProtocol

# Ids straight from the file, so that a bad entry fails its tests instead of their collection.
ALL_IDS = sorted(tomllib.loads(PRESETS_FILE.read_text(encoding="utf-8"))["presets"])


@pytest.fixture
def presets() -> dict[str, Preset]:
    return load_presets()


# The providers issue 3 asks for, by the ids a user types.
REQUIRED_IDS = {
    "qwen",
    "openrouter",
    "deepseek",
    "groq",
    "together",
    "openai",
    "anthropic",
    "gemini",
    "azure-openai",
    "vertex-anthropic",
    "vertex-gemini",
    "ollama",
    "lmstudio",
    "mistral",
    "xai",
    "moonshot",
    "zhipu",
    "minimax",
    "fireworks",
    "cerebras",
    "gaterouter",
    "litellm",
    "custom-openai",
    "custom-anthropic",
    "custom-gemini",
}

URL = re.compile(r"https?://[^\s{}]+|\{base_url\}|https://[^\s]*\{[a-z_]+\}[^\s]*")

GOOD: dict[str, Any] = {
    "display_name": "Example",
    "auth": "bearer",
    "key_env": "EXAMPLE_API_KEY",
    "models": ["big", "small"],
    "endpoints": [{"protocol": "openai-chat", "base_url": "https://api.example.com/v1/"}],
    "tiers": {"flagship": "big", "fast": "small"},
    "capabilities": {
        "tools": True,
        "images": False,
        "reasoning_field": "reasoning_content",
        "max_output_tokens": 8192,
        "max_tokens_param": "max_tokens",
    },
}


DELETE = object()  # a change that removes the key


def good(**changes: Any) -> dict[str, Any]:
    table = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is DELETE:
            del table[key]
        else:
            table[key] = value
    return table


@pytest.mark.parametrize("preset_id", ALL_IDS)
def test_every_preset_has_the_required_fields(presets: dict[str, Preset], preset_id: str) -> None:
    preset = presets[preset_id]
    assert isinstance(preset, Preset)
    assert preset.id == preset_id
    assert preset.display_name.strip()
    assert preset.endpoints
    for endpoint in preset.endpoints:
        assert isinstance(endpoint.protocol, WireProtocol)
        assert URL.fullmatch(endpoint.base_url), endpoint.base_url
        assert not endpoint.base_url.endswith("/")
        assert set(endpoint.placeholders) <= set(preset.url_params)
        assert isinstance(endpoint.auth, AuthStyle)
    assert len(set(preset.protocols)) == len(preset.protocols)
    assert isinstance(preset.auth, AuthStyle)
    needs_key = any(e.auth is not AuthStyle.NONE for e in preset.endpoints)
    if needs_key and preset.supported and not preset.base_url_required:
        assert preset.key_env and re.fullmatch(r"[A-Z][A-Z0-9_]*", preset.key_env)
    for tier, model in preset.tiers.items():
        assert model.strip(), tier
        assert model in preset.models, (tier, model)
    caps = preset.capabilities
    assert isinstance(caps, Capabilities)
    assert isinstance(caps.tools, bool) and isinstance(caps.images, bool)
    assert caps.reasoning_field in REASONING_FIELDS
    assert type(caps.max_output_tokens) is int and caps.max_output_tokens > 0
    assert isinstance(caps.max_tokens_param, TokenLimitParam)
    assert all("/" not in m for m in preset.models) or preset.slug_passthrough


def test_there_are_enough_supported_presets(presets: dict[str, Preset]) -> None:
    assert len(presets) >= 24
    assert sum(p.supported for p in presets.values()) >= 20


def test_every_provider_the_issue_lists_is_present(presets: dict[str, Preset]) -> None:
    assert not REQUIRED_IDS - set(presets)


@pytest.mark.parametrize("preset_id", ["openrouter", "together", "groq", "fireworks"])
def test_catalogs_with_vendor_slugs_pass_them_through(
    presets: dict[str, Preset], preset_id: str
) -> None:
    preset = presets[preset_id]
    assert preset.slug_passthrough
    assert any("/" in model for model in preset.models)


@pytest.mark.parametrize("preset_id", ["vertex-anthropic", "vertex-gemini"])
def test_vertex_presets_are_unsupported_and_say_why(
    presets: dict[str, Preset], preset_id: str
) -> None:
    preset = presets[preset_id]
    assert not preset.supported
    assert preset.unsupported_reason and "Google Cloud" in preset.unsupported_reason


def test_local_presets_take_no_key(presets: dict[str, Preset]) -> None:
    local = [p for p in presets.values() if p.local]
    assert {p.id for p in local} >= {"ollama", "lmstudio"}
    for preset in local:
        assert preset.key_env is None
        assert all(e.auth is AuthStyle.NONE for e in preset.endpoints)
        assert all(e.base_url.startswith("http://localhost:") for e in preset.endpoints)


@pytest.mark.parametrize("preset_id", ["custom-openai", "custom-anthropic", "custom-gemini"])
def test_custom_presets_need_the_users_base_url(presets: dict[str, Preset], preset_id: str) -> None:
    preset = presets[preset_id]
    assert preset.base_url_required
    assert [e.base_url for e in preset.endpoints] == ["{base_url}"]
    url = preset.endpoints[0].render({"base_url": "https://llm.example.com/v1/"})
    assert url == "https://llm.example.com/v1"


def test_multi_protocol_providers_offer_each_endpoint(presets: dict[str, Preset]) -> None:
    assert set(presets["openai"].protocols) >= {
        WireProtocol.OPENAI_CHAT,
        WireProtocol.OPENAI_RESPONSES,
    }
    assert set(presets["gemini"].protocols) >= {WireProtocol.GEMINI, WireProtocol.OPENAI_CHAT}
    for preset_id in ("qwen", "deepseek", "moonshot", "zhipu", "minimax"):
        assert presets[preset_id].endpoint(WireProtocol.ANTHROPIC) is not None, preset_id
        assert presets[preset_id].endpoint(WireProtocol.OPENAI_CHAT) is not None, preset_id


def test_endpoints_override_the_auth_where_the_provider_differs(presets: dict[str, Preset]) -> None:
    gemini = presets["gemini"]
    native = gemini.endpoint(WireProtocol.GEMINI)
    compat = gemini.endpoint(WireProtocol.OPENAI_CHAT)
    assert native is not None and native.auth is AuthStyle.X_GOOG_API_KEY
    assert compat is not None and compat.auth is AuthStyle.BEARER


def test_azure_fills_its_resource_into_the_url(presets: dict[str, Preset]) -> None:
    azure = presets["azure-openai"]
    assert azure.auth is AuthStyle.API_KEY
    assert azure.url_params == ("resource",)
    endpoint = azure.endpoint(WireProtocol.OPENAI_CHAT)
    assert endpoint is not None
    assert endpoint.render({"resource": "my-team"}) == "https://my-team.openai.azure.com/openai/v1"
    with pytest.raises(ConfigError, match="resource"):
        endpoint.render({})
    with pytest.raises(ConfigError, match="resource"):
        endpoint.render({"resource": "evil.com/x?"})


def test_a_typo_finds_the_closest_preset(presets: dict[str, Preset]) -> None:
    assert closest_preset("openruoter") == "openrouter"
    assert closest_preset("OpenRouter") == "openrouter"
    assert closest_preset("zzzzzzzz") is None
    with pytest.raises(ConfigError, match="did you mean 'deepseek'"):
        get_preset("deepsek")
    assert get_preset("groq") is presets["groq"]


def test_the_loader_caches_its_result(presets: dict[str, Preset]) -> None:
    assert load_presets() is presets


def test_a_good_table_validates() -> None:
    preset = preset_from_table("example", good())
    assert preset.endpoints == (
        Endpoint(WireProtocol.OPENAI_CHAT, "https://api.example.com/v1", AuthStyle.BEARER),
    )
    assert preset.tiers.items() == (("flagship", "big"), ("fast", "small"))
    assert preset.capabilities.max_tokens_param is TokenLimitParam.MAX_TOKENS


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"display_name": ""}, "display_name"),
        ({"auth": "basic"}, "auth"),
        ({"endpoints": []}, "endpoints"),
        ({"endpoints": [{"protocol": "smtp", "base_url": "https://x"}]}, "endpoints[0].protocol"),
        (
            {"endpoints": [{"protocol": "anthropic", "base_url": "ftp://x"}]},
            "endpoints[0].base_url",
        ),
        (
            {"endpoints": [{"protocol": "anthropic", "base_url": "https://{host}"}]},
            "endpoints[0].base_url",
        ),
        (
            {"endpoints": [{"protocol": "anthropic", "base_url": "https://x", "auth": "cookie"}]},
            "endpoints[0].auth",
        ),
        (
            {
                "endpoints": [
                    {"protocol": "anthropic", "base_url": "https://x"},
                    {"protocol": "anthropic", "base_url": "https://y"},
                ]
            },
            "endpoints[1].protocol",
        ),
        ({"key_env": DELETE}, "key_env"),
        ({"key_env": "lower-case"}, "key_env"),
        ({"local": True}, "local"),
        ({"models": ["big", "big"]}, "models"),
        ({"models": ["vendor/big"], "tiers": {}}, "slug_passthrough"),
        ({"tiers": {"flagship": "huge"}}, "tiers.flagship"),
        ({"tiers": {"turbo": "big"}}, "tiers.turbo"),
        ({"tiers": {"fast": ""}}, "tiers.fast"),
        ({"supported": False}, "unsupported_reason"),
        ({"unsupported_reason": "why not"}, "unsupported_reason"),
        ({"url_params": ["region"]}, "url_params"),
        ({"base_url_required": True}, "base_url_required"),
        ({"docs": "not a url"}, "docs"),
        ({"colour": "blue"}, "colour"),
        ({"capabilities": DELETE}, "capabilities"),
        ({"capabilities": "fast"}, "capabilities"),
    ],
)
def test_a_malformed_preset_names_the_preset_and_the_key(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        preset_from_table("broken", good(**changes))
    assert "preset 'broken'" in caught.value.message
    assert key in caught.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tools", "yes"),
        ("images", 1),
        ("reasoning_field", "thoughts"),
        ("max_output_tokens", 0),
        ("max_output_tokens", True),
        ("max_output_tokens", "8192"),
        ("max_tokens_param", "max_new_tokens"),
    ],
)
def test_bad_capabilities_name_the_field(field: str, value: Any) -> None:
    table = good()
    table["capabilities"][field] = value
    with pytest.raises(ConfigError, match=rf"preset 'broken': capabilities\.{field}"):
        preset_from_table("broken", table)


def test_a_missing_capability_is_an_error() -> None:
    table = good()
    del table["capabilities"]["images"]
    with pytest.raises(ConfigError, match=r"preset 'broken': capabilities\.images"):
        preset_from_table("broken", table)


def test_a_bad_preset_id_is_an_error() -> None:
    with pytest.raises(ConfigError, match="preset 'Not Valid': id"):
        preset_from_table("Not Valid", good())


def test_a_document_must_hold_only_presets() -> None:
    assert set(presets_from_document({"presets": {"example": good()}})) == {"example"}
    with pytest.raises(ConfigError, match="providers"):
        presets_from_document({"providers": {}})
    with pytest.raises(ConfigError, match="presets"):
        presets_from_document({"presets": ["example"]})


def test_providers_known_to_limit_each_model_separately_say_so() -> None:
    from cligate.config.presets import load_presets

    per_model = {pid for pid, preset in load_presets().items() if preset.per_model_rate_limits}
    assert {"anthropic", "openai", "gemini", "groq"} <= per_model
    assert "deepseek" not in per_model and "ollama" not in per_model
