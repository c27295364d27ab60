"""Write a neutral answer as a Chat Completions ``chat.completion`` object.

Thinking text goes to ``reasoning_content`` (the field DeepSeek-style clients read); signatures
and redacted thinking have no Chat field and are left out.
"""

from __future__ import annotations

from typing import Any

from cligate.protocols import ir
from cligate.protocols.openai_chat import vocabulary

ID_PREFIX = "chatcmpl-"


def completion_id(response_id: str) -> str:
    return response_id if response_id.startswith(ID_PREFIX) else ID_PREFIX + response_id


def tool_call_object(call: ir.ToolCall) -> dict[str, Any]:
    if call.kind == "custom":
        return {
            "id": call.id,
            "type": "custom",
            "custom": {"name": call.name, "input": call.arguments},
        }
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def finish_reason(reason: ir.StopReason | None, has_tool_calls: bool) -> str:
    """Chat clients run tools only on "tool_calls", and expect it only when calls came."""
    if reason is ir.StopReason.TOOL_USE and not has_tool_calls:
        return "stop"
    if reason in (None, ir.StopReason.END) and has_tool_calls:
        return "tool_calls"
    return vocabulary.finish_word(reason)


def encode_response(response: ir.Response, created: int) -> dict[str, Any]:
    text = "".join(p.text for p in response.parts if isinstance(p, ir.Text))
    thinking = "".join(p.text for p in response.parts if isinstance(p, ir.Thinking))
    calls = [tool_call_object(p) for p in response.parts if isinstance(p, ir.ToolCall)]
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    if thinking:
        message["reasoning_content"] = thinking
    return {
        "id": completion_id(response.id),
        "object": "chat.completion",
        "created": created,
        "model": response.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason(response.stop_reason, bool(calls)),
                "logprobs": None,
            }
        ],
        "usage": vocabulary.usage_to(response.usage),
    }
