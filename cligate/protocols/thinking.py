"""Thinking budgets ⇄ reasoning efforts: the one explicit mapping both ways.

Anthropic asks for thinking with a token budget (or ``adaptive`` with an effort); OpenAI-style
APIs ask for an effort word. A budget maps to the effort whose range holds it, and an effort to
a budget in the middle of its range, so a round trip lands on the same effort.
"""

from __future__ import annotations

from cligate.protocols import ir
from cligate.protocols.capabilities import Decisions, Rule
from cligate.protocols.ir import Effort

# (effort, the largest budget that still counts as it, the budget an effort asks for)
_SCALE = (
    (Effort.MINIMAL, 1_535, 1_024),
    (Effort.LOW, 4_095, 2_048),
    (Effort.MEDIUM, 12_287, 8_192),
    (Effort.HIGH, 24_575, 16_384),
    (Effort.MAX, None, 32_768),
)
# Anthropic's smallest allowed thinking budget.
MIN_BUDGET = 1_024


def effort_for_budget(budget: int) -> Effort:
    for effort, upper, _ in _SCALE:
        if upper is None or budget <= upper:
            return effort
    raise AssertionError("unreachable: the scale ends open")


def budget_for_effort(effort: Effort, max_tokens: int | None = None) -> int:
    """A thinking budget for ``effort``; Anthropic wants it below ``max_tokens``."""
    budget = next(b for e, _, b in _SCALE if e is effort)
    if max_tokens is not None:
        budget = min(budget, max_tokens - 1)
    return max(budget, MIN_BUDGET)


def openai_effort(effort: Effort) -> str:
    """The word OpenAI-style APIs take: they stop at "high"."""
    return "high" if effort is Effort.MAX else effort.value


def parse_effort(raw: object) -> Effort | None:
    """An effort word from any of the protocols (``xhigh`` is OpenAI's top), else None."""
    if not isinstance(raw, str):
        return None
    word = raw.strip().lower()
    if word == "xhigh":
        return Effort.MAX
    try:
        return Effort(word)
    except ValueError:
        return None


def requested_effort(config: ir.ThinkingConfig | None) -> Effort | None:
    """How hard the client asked the model to think, as an effort word target protocols
    take (None: not at all). Adaptive thinking asks for the middle: the model decides."""
    if config is None:
        return None
    if config.enabled:
        if config.effort is not None:
            return config.effort
        if config.budget_tokens is not None and not config.adaptive:
            return effort_for_budget(config.budget_tokens)
        return Effort.MEDIUM
    return config.effort  # no thinking config, but an effort: how hard to work


def record_without_thinking(
    config: ir.ThinkingConfig, effort: Effort, decisions: Decisions
) -> None:
    """The target takes no reasoning setting. Adaptive thinking or a bare effort leave it to
    the model, which a model that does not think honours as it is; a budget is lost."""
    if config.adaptive or not config.enabled:
        decisions.degrade(Rule.THINKING_LEFT_TO_MODEL, f"effort {effort.value}")
    else:
        budget = config.budget_tokens
        asked = f"a budget of {budget}" if budget else f"effort {effort.value}"
        decisions.degrade(Rule.THINKING_NOT_SUPPORTED, asked)
