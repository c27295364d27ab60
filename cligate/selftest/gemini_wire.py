"""The Gemini API, as Gemini CLI speaks it: requests read into a `Turn`, replies written as a
``GenerateContentResponse`` (JSON), a JSON array of them, or an SSE stream of them."""

from __future__ import annotations

from typing import Any

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.answers import (
    JSON_TYPE,
    Answer,
    dumps,
    json_answer,
    split_text,
    sse_answer,
    sse_data,
)
from cligate.selftest.scripts import Reply
from cligate.selftest.turns import ToolDecl, Turn, dicts, text_of

_SCHEMA_KEYS = ("parametersJsonSchema", "parameters_json_schema", "parameters")


def parse(body: dict[str, Any], model: str, stream: bool, size: int) -> Turn:
    tools: list[ToolDecl] = []
    for group in dicts(body.get("tools")):
        for decl in dicts(group.get("functionDeclarations")):
            params: dict[str, Any] = next(
                (decl[k] for k in _SCHEMA_KEYS if isinstance(decl.get(k), dict)), {}
            )
            if isinstance(decl.get("name"), str):
                tools.append(ToolDecl(decl["name"], params))
    contents = dicts(body.get("contents"))
    parts = dicts(contents[-1].get("parts")) if contents else []
    responses = [
        p["functionResponse"] for p in parts if isinstance(p.get("functionResponse"), dict)
    ]
    config = body.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    schema: dict[str, Any] | None = None
    if config.get("responseMimeType") == "application/json":
        raw = config.get("responseJsonSchema", config.get("responseSchema"))
        schema = raw if isinstance(raw, dict) else {}
    results = tuple(text_of(r.get("response")) for r in responses) or None
    return Turn(WireProtocol.GEMINI, model, stream, tuple(tools), results, schema, size)


def render(turn: Turn, reply: Reply, sse: bool) -> Answer:
    """``sse``: streamGenerateContent with ``alt=sse``; without it a stream is a JSON array."""
    parts: list[dict[str, Any]] = [{"text": piece} for piece in split_text(reply.text)]
    if reply.call is not None:
        call = reply.call
        parts.append(
            {"functionCall": {"id": call.call_id, "name": call.name, "args": call.arguments}}
        )
    parts = parts or [{"text": ""}]
    output = 1 + len(reply.text) // 4
    usage = {
        "promptTokenCount": max(1, turn.size // 4),
        "candidatesTokenCount": output,
        "totalTokenCount": max(1, turn.size // 4) + output,
    }
    chunks = [parts] if not turn.stream else [[part] for part in parts]
    bodies = [
        _chunk(turn, chunk, usage if i == len(chunks) - 1 else None)
        for i, chunk in enumerate(chunks)
    ]
    if not turn.stream:
        return json_answer(bodies[0])
    if not sse:
        return Answer(200, (JSON_TYPE,), dumps(bodies))
    return sse_answer([sse_data(body) for body in bodies])


def count_tokens(size: int) -> Answer:
    return json_answer({"totalTokens": max(1, size // 4)})


def _chunk(turn: Turn, parts: list[dict[str, Any]], usage: dict[str, Any] | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    out: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": turn.model,
        "responseId": "selftest",
    }
    if usage is not None:  # the last chunk ends the answer
        candidate["finishReason"] = "STOP"
        out["usageMetadata"] = usage
    return out
