"""auto's ranking as a table: synthetic prices, capabilities and health."""

from __future__ import annotations

import pytest

from cligate.routing.auto import (
    Candidate,
    Health,
    Needs,
    Policy,
    parse_auto,
    rank,
    tier_from_model_name,
)

CHEAP_TEXT = Candidate(
    "local",
    "tiny",
    tier="fast",
    tools=True,
    images=False,
    thinking=False,
    context_window=32_000,
    price_in=0.0,
    price_out=0.0,
)
MID = Candidate(
    "ds", "chat", tier="standard", images=False, context_window=128_000, price_in=0.3, price_out=1.2
)
VISION = Candidate("q", "vl", tier="standard", context_window=128_000, price_in=0.8, price_out=2.0)
BIG = Candidate(
    "a", "opus", tier="flagship", context_window=1_000_000, price_in=4.0, price_out=20.0
)
UNPRICED = Candidate("x", "mystery", tier="standard", context_window=200_000)
ALL = (BIG, UNPRICED, VISION, MID, CHEAP_TEXT)  # fmt: skip


def names(candidates: tuple[Candidate, ...]) -> list[str]:
    return [c.model for c in candidates]


@pytest.mark.parametrize(
    ("needs", "policy", "expected", "left_out"),
    [
        pytest.param(Needs(), Policy.CHEAPEST, ["tiny", "chat", "vl", "opus", "mystery"], {},
                     id="cheapest-first-unknown-price-last"),
        pytest.param(Needs(images=True), Policy.CHEAPEST, ["vl", "opus", "mystery"],
                     {"tiny": "takes no images", "chat": "takes no images"},
                     id="images-exclude-text-only-models"),
        pytest.param(Needs(input_tokens=150_000), Policy.CHEAPEST, ["opus", "mystery"],
                     {"tiny": "context window 32,000", "chat": "context window 128,000",
                      "vl": "context window 128,000"},
                     id="a-long-request-excludes-short-context-models"),
        pytest.param(Needs(thinking=True), Policy.CHEAPEST,
                     ["chat", "vl", "opus", "mystery"], {"tiny": "cannot think"},
                     id="thinking"),
        pytest.param(Needs(tier="standard"), Policy.CHEAPEST,
                     ["chat", "vl", "mystery", "tiny", "opus"], {},
                     id="the-asked-for-tier-first-then-the-rest"),
        pytest.param(Needs(tier="flagship", images=True), Policy.CHEAPEST,
                     ["opus", "vl", "mystery"], {"tiny": "takes no images",
                                                 "chat": "takes no images"},
                     id="tier-and-needs-together"),
    ],
)  # fmt: skip
def test_ranking_by_price_and_needs(
    needs: Needs, policy: Policy, expected: list[str], left_out: dict[str, str]
) -> None:
    ranking = rank(ALL, needs, policy)
    assert names(ranking.ranked) == expected
    reasons = {c.model: why for c, why in ranking.excluded}
    assert set(reasons) == set(left_out)
    for model, words in left_out.items():
        assert words in reasons[model]


HEALTH = {
    ("a", "opus"): Health(ttfb_ms=900, tokens_per_second=60),
    ("ds", "chat"): Health(ttfb_ms=300, tokens_per_second=40),
    ("q", "vl"): Health(ttfb_ms=300, tokens_per_second=90),
    ("local", "tiny"): Health(resting=True),
    ("x", "mystery"): Health(failing=True),
}


def test_fastest_by_first_byte_then_tokens_per_second_and_unhealthy_left_out() -> None:
    ranking = rank(ALL, Needs(), Policy.FASTEST, HEALTH)
    assert names(ranking.ranked) == ["vl", "chat", "opus"]
    reasons = {c.model: why for c, why in ranking.excluded}
    assert "resting" in reasons["tiny"] and "failing" in reasons["mystery"]


def test_never_measured_models_rank_after_measured_ones() -> None:
    ranking = rank((MID, BIG, VISION), Needs(), Policy.FASTEST, {("a", "opus"): Health(500)})
    assert names(ranking.ranked)[0] == "opus"


def test_balanced_sums_the_places_in_both_orders() -> None:
    # Price order: chat, vl, opus. Speed order: vl, chat, opus. chat 0+1, vl 1+0: a tie,
    # broken by price.
    ranking = rank((BIG, VISION, MID), Needs(), Policy.BALANCED, HEALTH)
    assert names(ranking.ranked) == ["chat", "vl", "opus"]


def test_nothing_fits_gives_an_empty_ranking_with_every_reason() -> None:
    ranking = rank((CHEAP_TEXT, MID), Needs(images=True), Policy.CHEAPEST)
    assert ranking.ranked == () and len(ranking.excluded) == 2
    assert any("takes no images" in line for line in ranking.explain())


@pytest.mark.parametrize(
    ("text", "policy"),
    [("auto", Policy.BALANCED), ("auto:cheapest", Policy.CHEAPEST),
     ("auto:fastest", Policy.FASTEST), ("auto:nonsense", None), ("autopilot", None),
     ("claude-sonnet", None), (None, None)],
)  # fmt: skip
def test_auto_model_names(text: str | None, policy: Policy | None) -> None:
    assert parse_auto(text) is policy


@pytest.mark.parametrize(
    ("name", "tier"),
    [("claude-haiku-4-5", "fast"), ("claude-opus-4", "flagship"), ("gemini-2.5-flash", "standard"),
     ("gemini-2.5-flash-lite", "fast"), ("gpt-5-mini", "fast"), ("m", None), (None, None)],
)  # fmt: skip
def test_tiers_from_tool_model_names(name: str | None, tier: str | None) -> None:
    assert tier_from_model_name(name) == tier
