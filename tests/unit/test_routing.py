"""Table tests for every routing rule and their order."""

from __future__ import annotations

import pytest

from cligate.config.settings import ProviderSettings, Scenarios, Settings, ToolBinding
from cligate.protocols.kinds import WireProtocol
from cligate.routing.plan import RequestFacts, RoutingError, route

A = WireProtocol.ANTHROPIC


def provider(name: str, protocol: WireProtocol = A, **kwargs: object) -> ProviderSettings:
    return ProviderSettings(name, protocol, f"https://{name}.example", **kwargs)  # type: ignore[arg-type]


SETTINGS = Settings(
    providers={
        "qwen": provider(
            "qwen", aliases=(("sonnet-ish", "qwen-plus"),), exclude=("*-preview",), prefix="qw"
        ),
        "or": provider(
            "or", slug_passthrough=True, aliases=(("claude-sonnet", "anthropic/claude-3.7-sonnet"),)
        ),
        "deepseek": provider("deepseek", aliases=(("sonnet-ish", "deepseek-chat"),)),
        "ollama": provider("ollama"),
        "chat-only": provider("chat-only", WireProtocol.OPENAI_CHAT),
    },
    aliases={"fast": ("deepseek:deepseek-chat", "qwen:qwen-flash"), "solo": ("qwen:qwen-max",)},
)
BINDING = ToolBinding(
    provider="qwen",
    tiers=(
        ("opus", "qwen3-max"),
        ("sonnet", "qwen-plus"),
        ("haiku", "qwen-flash"),
        ("flash", "or:google/gemini-flash"),
        ("lite", "qwen-lite"),
    ),
)


def targets(
    model: str | None,
    binding: ToolBinding = BINDING,
    rotation: int = 0,
    settings: Settings = SETTINGS,
    **facts: object,
) -> list[str]:
    plan = route(settings, binding, A, RequestFacts(model, **facts), rotation)  # type: ignore[arg-type]
    return [f"{t.provider.name}:{t.upstream_model}" for t in plan.targets]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1. aliases: prefixed, global (single and pool), provider-defined (pool, bound first)
        ("qw/sonnet-ish", ["qwen:qwen-plus"]),
        ("or/claude-sonnet", ["or:anthropic/claude-3.7-sonnet"]),
        ("solo", ["qwen:qwen-max"]),
        ("fast", ["deepseek:deepseek-chat", "qwen:qwen-flash"]),
        ("sonnet-ish", ["qwen:qwen-plus", "deepseek:deepseek-chat"]),
        # 2. a slug is never remapped, even when it contains a tier keyword
        ("anthropic/claude-3.7-sonnet", ["or:anthropic/claude-3.7-sonnet"]),
        ("meta-llama/llama-4-opus-ish", ["or:meta-llama/llama-4-opus-ish"]),
        # 3. tiers: the keyword nearest the end wins
        ("claude-opus-4-8", ["qwen:qwen3-max"]),
        ("claude-sonnet-4-6", ["qwen:qwen-plus"]),
        ("claude-3-5-haiku-20241022", ["qwen:qwen-flash"]),
        ("gemini-2.5-flash-lite", ["qwen:qwen-lite"]),
        ("gemini-2.5-flash", ["or:google/gemini-flash"]),
        # 4. nothing matches: unchanged on the bound provider
        ("qwen-turbo", ["qwen:qwen-turbo"]),
        (None, ["qwen:None"]),
    ],
)
def test_rules_and_their_order(model: str | None, expected: list[str]) -> None:
    assert targets(model) == expected


def test_the_bindings_default_model_answers_what_nothing_else_matched() -> None:
    binding = ToolBinding(provider="qwen", model="qwen-plus")
    assert targets("claude-sonnet-4-6", binding) == ["qwen:qwen-plus"]
    assert targets("anthropic/claude-3.7-sonnet", binding) == ["or:anthropic/claude-3.7-sonnet"]


def test_a_slug_stays_on_the_bound_provider_when_it_owns_slugs() -> None:
    binding = ToolBinding(provider="or")
    assert targets("anthropic/claude-3.7-sonnet", binding) == ["or:anthropic/claude-3.7-sonnet"]


def test_pools_rotate_round_robin() -> None:
    assert targets("fast", rotation=1) == ["qwen:qwen-flash", "deepseek:deepseek-chat"]
    assert targets("fast", rotation=2) == ["deepseek:deepseek-chat", "qwen:qwen-flash"]


def test_fallbacks_follow_and_excluded_models_are_skipped() -> None:
    binding = ToolBinding(provider="qwen", fallbacks=("deepseek:deepseek-chat",))
    assert targets("qwen-max-preview", binding) == ["deepseek:deepseek-chat"]
    plan = route(SETTINGS, binding, A, RequestFacts("qwen-max-preview"))
    assert any("excluded by '*-preview'" in reason for reason in plan.reasons)


def test_all_excluded_is_an_error_that_says_why() -> None:
    with pytest.raises(RoutingError, match=r"excluded by '\*-preview'"):
        targets("qwen-max-preview", ToolBinding(provider="qwen"))


def test_targets_of_a_translatable_protocol_are_kept_and_say_so() -> None:
    binding = ToolBinding(provider="qwen", fallbacks=("chat-only:gpt-x",))
    plan = route(SETTINGS, binding, A, RequestFacts("qwen-plus"))
    assert [t.provider.name for t in plan.targets] == ["qwen", "chat-only"]
    assert (
        "chat-only:gpt-x: translated from Anthropic Messages to OpenAI Chat Completions"
        in plan.reasons
    )


def test_targets_of_a_protocol_without_translation_are_skipped_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "cligate.protocols.kinds.TRANSLATABLE",
        frozenset({WireProtocol.ANTHROPIC, WireProtocol.OPENAI_CHAT}),
    )
    gemini = provider("gem", WireProtocol.GEMINI)
    settings = Settings(providers={**SETTINGS.providers, "gem": gemini})
    binding = ToolBinding(provider="qwen", fallbacks=("gem:gemini-x",))
    plan = route(settings, binding, A, RequestFacts("qwen-plus"))
    assert [t.provider.name for t in plan.targets] == ["qwen"]
    assert any("cannot translate Anthropic Messages to it yet" in r for r in plan.reasons)


def test_a_model_id_with_a_colon_is_not_mistaken_for_a_provider() -> None:
    binding = ToolBinding(provider="ollama", tiers=(("sonnet", "llama3:8b"),))
    assert targets("claude-sonnet-4-6", binding) == ["ollama:llama3:8b"]


SCENARIOS = ToolBinding(
    provider="qwen",
    tiers=(("sonnet", "qwen-plus"),),
    scenarios=Scenarios(
        long_context_tokens=100_000,
        long_context="qwen:qwen-long",
        thinking="deepseek:deepseek-reasoner",
        images="qwen-vl-max",
        background="qwen-flash",
    ),
)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"estimated_input_tokens": 150_000}, ["qwen:qwen-long"]),
        ({"estimated_input_tokens": 150_000, "thinking": True}, ["qwen:qwen-long"]),
        ({"thinking": True}, ["deepseek:deepseek-reasoner"]),
        ({"images": True}, ["qwen:qwen-vl-max"]),
        ({"background": True}, ["qwen:qwen-flash"]),
        ({}, ["qwen:qwen-plus"]),  # no scenario applies: the model rules decide
    ],
)
def test_scenarios_come_before_the_model_rules(
    facts: dict[str, object], expected: list[str]
) -> None:
    assert targets("claude-sonnet-4-6", SCENARIOS, **facts) == expected


def test_an_unbound_tool_is_a_routing_error() -> None:
    with pytest.raises(RoutingError):
        targets("x", ToolBinding(provider=None))


def test_a_request_naming_a_tiers_model_goes_to_that_tier() -> None:
    """The launcher shows each tier's model id to the tool, which may send it back as is."""
    binding = ToolBinding(
        provider="qwen", model="qwen-plus", tiers=(("opus", "deepseek:deepseek-v4-pro"),)
    )
    assert targets("deepseek-v4-pro", binding) == ["deepseek:deepseek-v4-pro"]


def test_a_vendor_model_name_goes_to_the_first_model_of_a_translated_provider() -> None:
    chat = provider("chat-only", WireProtocol.OPENAI_CHAT, models=("qwen3-coder", "qwen-flash"))
    settings = Settings(providers={"chat-only": chat})
    plan = route(settings, ToolBinding(provider="chat-only"), A, RequestFacts("claude-opus-4-5"))
    assert [(t.provider.name, t.upstream_model) for t in plan.targets] == [
        ("chat-only", "qwen3-coder")
    ]
    assert "protocol: its first model answers" in plan.reasons[0]
