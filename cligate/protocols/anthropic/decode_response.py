"""Read an Anthropic Messages answer, or an error body, into the neutral form.

Server-tool blocks (``server_tool_use``, ``web_search_tool_result`` and the like) are skipped:
the provider ran those tools itself, the client never defined them and has no shape to receive
them, and the text blocks after them carry what the model made of the results. Citations on
text blocks are skipped for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.anthropic import vocabulary

_ERROR_STATUSES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_MAX_MESSAGE = 2000  # an error body can be an HTML page: keep the message readable


def status_for_error_type(kind: object) -> int:
    """The HTTP status Anthropic uses for an error type (in-stream errors carry only the type)."""
    return _ERROR_STATUSES.get(kind, 500) if isinstance(kind, str) else 500


def compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode_response(body: Mapping[str, Any]) -> ir.Response:
    if not isinstance(body, Mapping):
        raise ir.DecodeError("the answer is not a JSON object")
    content = body.get("content")
    if not isinstance(content, list):
        raise ir.DecodeError("content: must be a list")
    parts: list[ir.Text | ir.Thinking | ir.ToolCall] = []
    for index, block in enumerate(content):
        part = _part(block, f"content[{index}]")
        if part is not None:
            parts.append(part)
    stop_sequence = body.get("stop_sequence")
    return ir.Response(
        id=_str(body.get("id")),
        model=_str(body.get("model")),
        parts=tuple(parts),
        stop_reason=vocabulary.stop_reason(body.get("stop_reason")),
        usage=vocabulary.usage_from(body.get("usage")),
        stop_sequence=stop_sequence if isinstance(stop_sequence, str) else None,
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _part(block: object, where: str) -> ir.Text | ir.Thinking | ir.ToolCall | None:
    if not isinstance(block, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    kind = block.get("type")
    if kind == "text":
        return ir.Text(_str(block.get("text")))
    if kind == "thinking":
        signature = block.get("signature")
        return ir.Thinking(
            text=_str(block.get("thinking")),
            signature=signature if isinstance(signature, str) and signature else None,
        )
    if kind == "redacted_thinking":
        return ir.Thinking(redacted=_str(block.get("data")))
    if kind == "tool_use":
        tool_id, name = block.get("id"), block.get("name")
        if not isinstance(tool_id, str) or not isinstance(name, str):
            raise ir.DecodeError(f"{where}: a tool_use needs 'id' and 'name'")
        arguments = block.get("input")
        return ir.ToolCall(tool_id, name, compact_json(arguments if arguments is not None else {}))
    return None  # server tools and their results: see the module docstring


def decode_error(status: int, body: bytes) -> ir.ErrorInfo:
    """The provider's error, whatever shape its body has; never raises."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        value: Any = json.loads(text) if text else None
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, Mapping):
        error = value.get("error")
        if isinstance(error, Mapping):  # Anthropic's {type: error, error: {type, message}}
            message, kind = error.get("message"), error.get("type") or error.get("code")
            if isinstance(message, str) and message:
                return ir.ErrorInfo(
                    status, _short(message), kind if isinstance(kind, str) else None
                )
        if isinstance(error, str) and error:
            return ir.ErrorInfo(status, _short(error))
        message = value.get("message") or value.get("detail")
        if isinstance(message, str) and message:
            return ir.ErrorInfo(status, _short(message))
    if not text:
        return ir.ErrorInfo(status, f"the provider answered HTTP {status} with an empty body")
    return ir.ErrorInfo(status, _short(text))


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[:_MAX_MESSAGE] + "…"
