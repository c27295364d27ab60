"""The neutral ``ir.Response`` → an Anthropic Messages ``message`` object."""

from __future__ import annotations

import json
from typing import Any

from cligate.protocols import ir
from cligate.protocols.anthropic.vocabulary import stop_word, usage_to
from cligate.protocols.tool_ids import to_anthropic_id

RAW_ARGUMENTS_KEY = "_raw_arguments"


def encode_response(response: ir.Response) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for part in response.parts:
        if isinstance(part, ir.Text):
            if part.text:
                content.append({"type": "text", "text": part.text})
        elif isinstance(part, ir.Thinking):
            if part.redacted is not None:
                content.append({"type": "redacted_thinking", "data": part.redacted})
            else:
                # A signature is never invented: "" says there is none.
                signature = part.signature or ""
                content.append({"type": "thinking", "thinking": part.text, "signature": signature})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": to_anthropic_id(part.id),
                    "name": part.name,
                    "input": tool_input(part.arguments),
                }
            )
    has_tool_use = any(block["type"] == "tool_use" for block in content)
    if not content:
        content.append({"type": "text", "text": ""})  # clients reject a message without content
    return {
        "id": message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": anthropic_stop(response.stop_reason, has_tool_use),
        "stop_sequence": response.stop_sequence,
        "usage": usage_to(response.usage),
    }


def message_id(raw: str | None) -> str:
    raw = raw or "cligate"
    return raw if raw.startswith("msg_") else "msg_" + raw


def anthropic_stop(reason: ir.StopReason | None, has_tool_use: bool) -> str:
    """``tool_use`` exactly when a tool_use block was sent (clients wait for calls to run)."""
    if has_tool_use and reason in (ir.StopReason.END, ir.StopReason.TOOL_USE, None):
        return "tool_use"
    if not has_tool_use and reason is ir.StopReason.TOOL_USE:
        return "end_turn"
    return stop_word(reason)


def tool_input(arguments: str) -> dict[str, Any]:
    """The arguments as an object. Empty text is ``{}`` (no arguments); an object encoded
    twice (a JSON string holding one) is unwrapped. Anything else is not an object the tool
    could take: it is kept whole under ``_raw_arguments``, so the client's input validation
    shows the model what it wrote instead of a confusing "missing parameter"."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
        if isinstance(value, str):
            value = json.loads(value)
    except (ValueError, RecursionError):
        return {RAW_ARGUMENTS_KEY: arguments}
    if isinstance(value, dict):
        return value
    return {RAW_ARGUMENTS_KEY: arguments}
