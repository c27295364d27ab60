"""Facts about a request that scenario routing looks at, read from the parsed body.

Only computed when a binding has scenario rules, so requests of bindings without them pay
nothing. Image detection looks at the raw body once with a C regex rather than walking a
100 KB message tree in Python.
"""

from __future__ import annotations

import re
from typing import Any

from cligate.protocols.kinds import WireProtocol

_IMAGE_MARKERS = re.compile(
    rb'"type"\s*:\s*"(?:image|input_image|image_url)"|"(?:inlineData|inline_data)"\s*:'
)
# A rough, tokenizer-free estimate: about four bytes of JSON per input token.
BYTES_PER_TOKEN = 4


def estimated_input_tokens(body: bytes) -> int:
    return len(body) // BYTES_PER_TOKEN


def has_images(body: bytes) -> bool:
    return _IMAGE_MARKERS.search(body) is not None


def wants_thinking(protocol: WireProtocol, value: dict[str, Any]) -> bool:
    if protocol is WireProtocol.ANTHROPIC:
        thinking = value.get("thinking")
        return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    if protocol is WireProtocol.OPENAI_RESPONSES:
        reasoning = value.get("reasoning")
        effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
        return effort not in (None, "none", "minimal")
    if protocol is WireProtocol.OPENAI_CHAT:
        return value.get("reasoning_effort") not in (None, "none", "minimal")
    config = value.get("generationConfig")
    thinking_config = config.get("thinkingConfig") if isinstance(config, dict) else None
    if not isinstance(thinking_config, dict):
        return False
    return thinking_config.get("thinkingBudget", -1) != 0 or bool(
        thinking_config.get("includeThoughts")
    )
