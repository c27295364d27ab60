"""Freeform ("custom") tools for targets that only have function tools.

The Responses API lets a tool take free text, optionally bound by a grammar (Codex's
``apply_patch``). Chat Completions, Anthropic and Gemini tools take JSON objects, so a custom
tool becomes a function with one string parameter, ``input``; the grammar goes into its
description so the model still knows the format. A call the model makes comes back to the
client as a custom tool call with the text unwrapped.
"""

from __future__ import annotations

import json
from typing import Any

from cligate.protocols import ir

INPUT = "input"


def function_schema(tool: ir.ToolDef) -> dict[str, Any]:
    """The JSON schema of a custom tool seen as a function."""
    return {
        "type": "object",
        "properties": {INPUT: {"type": "string", "description": _input_description(tool)}},
        "required": [INPUT],
    }


def _input_description(tool: ir.ToolDef) -> str:
    fmt = tool.format or {}
    if fmt.get("type") == "grammar" and isinstance(fmt.get("definition"), str):
        syntax = fmt.get("syntax") or "grammar"
        return (
            f"The tool's whole input as plain text (not JSON), following this {syntax} "
            f"grammar:\n{fmt['definition']}"
        )
    return "The tool's whole input as plain text (not JSON)."


def wrap_input(text: str) -> str:
    """A custom call's text as the JSON arguments of the function it became."""
    return json.dumps({INPUT: text}, ensure_ascii=False)


def unwrap_input(arguments: str) -> str:
    """The text back out of a function call's arguments. A model that answered with the bare
    text (or other JSON) gets its answer passed on as it is, never dropped."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(value, dict) and isinstance(value.get(INPUT), str):
        return str(value[INPUT])
    return arguments
