"""Write a neutral answer as a Responses API ``response`` object.

Output items follow the answer's parts: reasoning, assistant messages, function calls, and for
the client's freeform tools (``ClientView.custom_tools``) custom tool calls with the text
unwrapped from the function arguments the target produced; a call of the client-run
``tool_search`` is a ``tool_search_call`` item again (Codex refuses it as a function call).
Another vendor's thinking
signature (or redacted thinking) rides in the reasoning item's ``encrypted_content`` behind a
marker, so the client's next turn carries it back (``decode_request.py`` reads it).
Item ids derive from the response id: the same answer always gets the same ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cligate.protocols import custom_tools, ir
from cligate.protocols.codecs import ClientView
from cligate.protocols.openai_responses.decode_request import (
    REDACTED_MARK,
    SIGNATURE_MARK,
    TOOL_SEARCH,
)

Json = dict[str, Any]
RESPONSE_PREFIX = "resp_"
_NOT_ID = re.compile(r"[^A-Za-z0-9]")
_INCOMPLETE = {
    ir.StopReason.MAX_TOKENS: "max_output_tokens",
    ir.StopReason.CONTENT_FILTER: "content_filter",
}


def encode_response(response: ir.Response, view: ClientView) -> dict[str, Any]:
    ids = ItemIds(response.id)
    output: list[Json] = []
    texts: list[str] = []
    calls: set[str] = set()

    def flush_text() -> None:
        if texts:
            output.append(message_item(ids.next("msg"), "".join(texts)))
            texts.clear()

    for part in response.parts:
        if isinstance(part, ir.Text):
            texts.append(part.text)
            continue
        flush_text()
        if isinstance(part, ir.Thinking):
            summary = "" if part.redacted is not None else part.text
            output.append(reasoning_item(ids.next("rs"), summary, encrypted_of(part)))
        else:
            output.append(call_item(ids, unique_call_id(part.id, len(calls), calls), part, view))
    flush_text()
    if not output:
        output.append(message_item(ids.next("msg"), ""))
    return response_object(
        ids.response_id, view, response.model, output, response.stop_reason, response.usage
    )


class ItemIds:
    """The response id in the Responses form, and ids for its items: prefix, the response's
    id, and the item's position."""

    def __init__(self, raw_id: str | None) -> None:
        raw = raw_id or "cligate"
        self.response_id = raw if raw.startswith(RESPONSE_PREFIX) else RESPONSE_PREFIX + raw
        self._suffix = _NOT_ID.sub("", self.response_id[len(RESPONSE_PREFIX) :]) or "cligate"
        self._count = 0

    def next(self, prefix: str) -> str:
        item_id = f"{prefix}_{self._suffix}_{self._count}"
        self._count += 1
        return item_id


def unique_call_id(call_id: str | None, index: int, used: set[str]) -> str:
    """The call's id, unless it is missing or an earlier call of the answer has it: the
    client pairs each output with its call by this id (and the SDK refuses duplicates)."""
    candidate = call_id or f"call_{index}"
    while candidate in used:
        candidate = f"{call_id or 'call'}_{index}_{len(used)}"
        index += 1
    used.add(candidate)
    return candidate


def encrypted_of(part: ir.Thinking) -> str | None:
    if part.redacted is not None:
        return REDACTED_MARK + part.redacted
    if part.encrypted:
        return part.encrypted
    if part.signature:
        return SIGNATURE_MARK + part.signature
    return None


def is_custom(name: str, kind: str, view: ClientView) -> bool:
    return kind == "custom" or name in view.custom_tools


def is_tool_search(name: str, kind: str, view: ClientView) -> bool:
    """A call of the client-run tool search (a function to the target, decode_request.py)."""
    return name == TOOL_SEARCH and not is_custom(name, kind, view)


def custom_input(arguments: str) -> str:
    """A custom call's text from the function arguments the target produced, forgiving the
    slips models make: raw newlines inside the JSON string, the bare JSON string, or the one
    string under another name. Anything else is passed on as it is."""
    try:
        value = json.loads(arguments, strict=False)
    except ValueError:
        return arguments
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        text = value.get(custom_tools.INPUT)
        if isinstance(text, str):
            return text
        if len(value) == 1:
            (only,) = value.values()
            if isinstance(only, str):
                return only
    return arguments


def search_arguments(arguments: str) -> Any:
    """A tool_search call's arguments as the JSON value the item carries; text that does not
    parse goes as it is (Codex tells the model it could not read them)."""
    try:
        return json.loads(arguments, strict=False) if arguments.strip() else {}
    except ValueError:
        return arguments


def message_item(item_id: str, text: str, status: str = "completed") -> Json:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [output_text(text)] if status == "completed" else [],
    }


def output_text(text: str) -> Json:
    return {"type": "output_text", "text": text, "annotations": []}


def reasoning_item(item_id: str, summary: str, encrypted: str | None) -> Json:
    item: Json = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": summary}] if summary else [],
    }
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    return item


def function_call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> Json:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def custom_call_item(item_id: str, call_id: str, name: str, text: str) -> Json:
    return {
        "id": item_id,
        "type": "custom_tool_call",
        "call_id": call_id,
        "name": name,
        "input": text,
    }


def tool_search_item(item_id: str, call_id: str, arguments: Any, status: str) -> Json:
    return {
        "id": item_id,
        "type": "tool_search_call",
        "call_id": call_id,
        "execution": "client",
        "arguments": arguments,
        "status": status,
    }


def call_item(ids: ItemIds, call_id: str, call: ir.ToolCall, view: ClientView) -> Json:
    if is_tool_search(call.name, call.kind, view):
        arguments = search_arguments(call.arguments)
        return tool_search_item(ids.next("ts"), call_id, arguments, "completed")
    if not is_custom(call.name, call.kind, view):
        return function_call_item(ids.next("fc"), call_id, call.name, call.arguments, "completed")
    text = call.arguments if call.kind == "custom" else custom_input(call.arguments)
    return custom_call_item(ids.next("ctc"), call_id, call.name, text)


def usage_object(usage: ir.Usage | None) -> Json:
    usage = usage or ir.Usage()
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def response_object(
    response_id: str,
    view: ClientView,
    model: str,
    output: list[Json],
    stop_reason: ir.StopReason | None,
    usage: ir.Usage | None,
    status: str | None = None,
) -> Json:
    """The ``response`` object; ``status`` None means the answer is complete, and then it is
    "completed" or "incomplete" by the stop reason."""
    incomplete = None
    if status is None:
        reason = _INCOMPLETE.get(stop_reason) if stop_reason is not None else None
        status = "completed" if reason is None else "incomplete"
        incomplete = {"reason": reason} if reason is not None else None
    return {
        "id": response_id,
        "object": "response",
        "created_at": view.created,
        "status": status,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": None,
        "metadata": {},
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": usage_object(usage) if status != "in_progress" else None,
    }
