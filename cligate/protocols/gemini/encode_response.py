"""Write a neutral answer as a Gemini ``GenerateContentResponse``.

One candidate (index 0) with a ``model`` content whose parts follow the answer's: thinking as
``{text, thought: true}`` (with its signature as ``thoughtSignature``), text, and each tool
call as one ``functionCall`` part ``{id, name, args}`` (with the call's ``thoughtSignature``
when it has one: Gemini's own, passed through). A signature that is not base64 is left out:
the protocol's field is bytes, and a strict client refuses the answer over it. Thinking that
is only opaque data (redacted, or encrypted without text) has no Gemini form and is left out.

Choices where the protocol leaves room:
- ``args`` is the arguments parsed as an object. Empty text is ``{}``; anything else that is
  not a JSON object goes as ``{"_raw_arguments": text}``, as the Anthropic codec writes it, so
  the client's tool shows the model what it wrote (and ``decode_request.py`` turns it back
  into that text on the next turn).
- ``finishReason``: ``STOP`` for the end of a turn, a stop sequence and tool calls (Gemini says
  ``STOP`` with function calls too), ``MAX_TOKENS``, ``SAFETY`` for a content filter; a pause
  (Anthropic's ``pause_turn``) is ``STOP``: the client continues when it wants.
- ``usageMetadata`` counts as Gemini does: ``promptTokenCount`` the whole prompt (cached
  tokens included, ``cachedContentTokenCount`` the cached part), ``candidatesTokenCount`` the
  answer without thinking, ``thoughtsTokenCount`` the thinking, ``totalTokenCount`` all.
- A call without an id, or with the id of an earlier call of the answer, gets
  ``{name}_{position}`` (made unique): Gemini CLI pairs results with calls by id.
- Counts that are zero are left out, as Gemini leaves them out. Without any usage from the
  provider, ``promptTokenCount`` is the handler's estimate (``ClientView``): Gemini CLI
  decides when to compress the conversation by it.
- An answer without any part gets one empty text part: a candidate without content reads as
  a blocked answer to Gemini's clients.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_response import tool_input
from cligate.protocols.codecs import ClientView

Json = dict[str, Any]
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*")

_FINISH = {
    ir.StopReason.END: "STOP",
    ir.StopReason.TOOL_USE: "STOP",
    ir.StopReason.STOP_SEQUENCE: "STOP",
    ir.StopReason.PAUSE: "STOP",
    ir.StopReason.MAX_TOKENS: "MAX_TOKENS",
    ir.StopReason.CONTENT_FILTER: "SAFETY",
}


def encode_response(response: ir.Response, view: ClientView) -> dict[str, Any]:
    parts: list[Json] = []
    used: set[str] = set()
    for part in response.parts:
        if isinstance(part, ir.Text):
            if part.text:
                parts.append({"text": part.text})
        elif isinstance(part, ir.Thinking):
            thought = thought_part(part.text, part.signature if part.redacted is None else None)
            if thought is not None:
                parts.append(thought)
        else:
            call_id = unique_call_id(part.id, part.name, len(used), used)
            parts.append(function_call_part(call_id, part.name, part.arguments, part.signature))
    if not parts:
        parts.append({"text": ""})
    return response_object(
        view.model,
        response.id,
        parts,
        finish_reason(response.stop_reason),
        usage_metadata(response.usage or ir.Usage(input_tokens=view.input_tokens_estimate)),
    )


def finish_reason(reason: ir.StopReason | None) -> str:
    return _FINISH.get(reason, "STOP") if reason is not None else "STOP"


def thought_part(text: str, signature: str | None) -> Json | None:
    """A thought part; None when there is neither text nor signature to show."""
    if not text and not signature:
        return None
    part: Json = {"text": text, "thought": True}
    if signature and is_base64(signature):
        part["thoughtSignature"] = signature
    return part


def function_call_part(call_id: str, name: str, arguments: str, signature: str | None) -> Json:
    part: Json = {"functionCall": {"id": call_id, "name": name, "args": tool_input(arguments)}}
    if signature and is_base64(signature):
        part["thoughtSignature"] = signature
    return part


def is_base64(signature: str) -> bool:
    """Whether ``signature`` is base64 (either alphabet, padding optional) a strict client
    decodes: ``thoughtSignature`` is bytes in Gemini's protocol, and the Python SDK refuses the
    whole answer when it cannot decode one."""
    text = signature.rstrip("=")
    if not _BASE64.fullmatch(text) or len(text) % 4 == 1:
        return False
    standard = text.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except binascii.Error:
        return False
    return base64.b64encode(raw).decode().rstrip("=") == standard  # no stray trailing bits


def unique_call_id(call_id: str | None, name: str, index: int, used: set[str]) -> str:
    """The call's id, unless it is missing or an earlier call of the answer has it: Gemini CLI
    pairs each function response with its call by this id."""
    candidate = call_id or f"{name}_{index}"
    while candidate in used:
        candidate = f"{call_id or name}_{index}_{len(used)}"
        index += 1
    used.add(candidate)
    return candidate


def usage_metadata(usage: ir.Usage | None) -> Json:
    usage = usage or ir.Usage()
    thoughts = min(usage.reasoning_tokens, usage.output_tokens)
    metadata: Json = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens - thoughts,
        "totalTokenCount": usage.input_tokens + usage.output_tokens,
    }
    if usage.cache_read_tokens:
        metadata["cachedContentTokenCount"] = usage.cache_read_tokens
    if thoughts:
        metadata["thoughtsTokenCount"] = thoughts
    return metadata


def response_object(
    model: str,
    response_id: str | None,
    parts: list[Json],
    finish: str | None,
    usage: Json | None,
) -> Json:
    """A ``GenerateContentResponse``; a stream's events leave out what they do not say yet
    (``finish`` and ``usage`` come with the last)."""
    candidate: Json = {"content": {"role": "model", "parts": parts}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    out: Json = {"candidates": [candidate]}
    if usage is not None:
        out["usageMetadata"] = usage
    out["modelVersion"] = model
    if response_id:
        out["responseId"] = response_id
    return out
