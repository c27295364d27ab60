"""The system prompt as another vendor should get it.

Claude Code opens its system prompt with an ``x-anthropic-billing-header: …`` block that
changes on every request: sent to another vendor it would break that provider's prefix cache
and mean nothing to the model, so every encoder for another protocol leaves it out.
"""

from __future__ import annotations

from collections.abc import Iterable

from cligate.protocols import ir
from cligate.protocols.capabilities import Decisions, Rule

BILLING_HEADER_PREFIX = "x-anthropic-billing-header:"


def without_billing_header(blocks: Iterable[ir.Text], decisions: Decisions) -> list[ir.Text]:
    kept = []
    for i, block in enumerate(blocks):
        if block.text.startswith(BILLING_HEADER_PREFIX):
            decisions.degrade(Rule.BILLING_HEADER_DROPPED, f"system[{i}]")
        else:
            kept.append(block)
    return kept
