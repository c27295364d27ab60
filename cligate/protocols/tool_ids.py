"""Tool call ids across protocols: kept as they are where allowed, mapped reversibly where not.

Anthropic requires tool_use ids to match ``[A-Za-z0-9_-]+``; OpenAI-compatible providers make
ids such as ``functions.Bash:0`` (Kimi) or ``call_0|x``. Such an id is carried inside an allowed
one (base64url of its bytes behind a marker prefix), so when the client sends it back on the
next turn the provider gets its own id again — no state, consistent across turns.
"""

from __future__ import annotations

import base64
import re

_ANTHROPIC_ID = re.compile(r"[A-Za-z0-9_-]+")
_MAPPED_PREFIX = "toolu_cgx_"


def to_anthropic_id(call_id: str) -> str:
    if _ANTHROPIC_ID.fullmatch(call_id) and not call_id.startswith(_MAPPED_PREFIX):
        return call_id
    encoded = base64.urlsafe_b64encode(call_id.encode()).rstrip(b"=").decode()
    return _MAPPED_PREFIX + encoded


def from_anthropic_id(call_id: str) -> str:
    if not call_id.startswith(_MAPPED_PREFIX):
        return call_id
    encoded = call_id[len(_MAPPED_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return call_id  # not one of ours after all: leave it as the client sent it


def is_mapped(call_id: str) -> bool:
    return to_anthropic_id(call_id) != call_id
