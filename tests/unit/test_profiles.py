"""Capability profiles: protocol defaults, then the preset, then the user's table, each with
its per-model settings."""

from __future__ import annotations

import pytest

from cligate.config.settings import settings_from_document
from cligate.errors import ConfigError
from cligate.protocols.capabilities import TokenParam
from cligate.routing.profiles import profile_for


def provider(table: dict[str, object]):  # type: ignore[no-untyped-def]
    base = {"protocol": "openai-chat", "base_url": "https://api.example/v1"}
    return settings_from_document({"providers": {"p": {**base, **table}}}).providers["p"]


def test_a_preset_gives_the_profile_and_its_per_model_settings() -> None:
    groq = provider({"preset": "groq"})
    llama = profile_for(groq, "llama-3.3-70b-versatile")
    assert llama.name == "p:llama-3.3-70b-versatile"
    assert (llama.images, llama.reasoning_field, llama.reasoning_effort) == (
        False,
        "reasoning",
        False,
    )
    assert llama.max_tokens_param is TokenParam.MAX_COMPLETION_TOKENS
    assert profile_for(groq, "openai/gpt-oss-120b").reasoning_effort is True


def test_the_users_table_wins_over_the_preset_and_later_patterns_win() -> None:
    groq = provider(
        {
            "preset": "groq",
            "capabilities": {
                "max_output_tokens": 8192,
                "images": True,
                "models": {"llama-*": {"tools": False}, "llama-3.1-*": {"tools": True}},
            },
        }
    )
    llama33 = profile_for(groq, "llama-3.3-70b-versatile")
    assert (llama33.max_output_tokens, llama33.images, llama33.tools) == (8192, True, False)
    assert profile_for(groq, "llama-3.1-8b-instant").tools is True


def test_without_a_preset_the_protocol_defaults_apply() -> None:
    plain = profile_for(provider({}), "whatever")
    assert plain.max_output_tokens is None and plain.top_k is False
    assert plain.reasoning_effort is False and plain.reasoning_field == "reasoning_content"
    anthropic = profile_for(
        provider({"protocol": "anthropic", "base_url": "https://api.example"}), "m"
    )
    assert anthropic.top_k is True and anthropic.reasoning_effort is True


def test_an_unknown_preset_name_leaves_the_defaults() -> None:
    assert profile_for(provider({"preset": "gone"}), "m").images is True


@pytest.mark.parametrize(
    ("capabilities", "key"),
    [
        ({"max_output_tokens": 0}, "capabilities.max_output_tokens"),
        ({"tools": "yes"}, "capabilities.tools"),
        ({"reasoning_field": "thoughts"}, "capabilities.reasoning_field"),
        ({"max_tokens_param": "limit"}, "capabilities.max_tokens_param"),
        ({"telepathy": True}, "capabilities.telepathy"),
        ({"models": {"x-*": {"top_k": 3}}}, "capabilities.models.x-*.top_k"),
        ({"models": ["x"]}, "capabilities.models"),
    ],
)
def test_a_bad_capability_names_its_key(capabilities: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        provider({"capabilities": capabilities})
    assert f"providers.p.{key}:" in caught.value.message
