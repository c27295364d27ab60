"""What the scripted provider answers to one HTTP request, and the record the judge reads.

Model turns go to the protocol's wire module and the script; the side calls the tools make
(preconnects, model lists, token counts) get small fixed answers. Pure: no sockets here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from cligate.protocols.kinds import WireProtocol
from cligate.selftest import anthropic_wire, chat_wire, gemini_wire, responses_wire
from cligate.selftest.answers import Answer, error_answer, json_answer
from cligate.selftest.scripts import Reply, Script, answer
from cligate.selftest.turns import Turn

_GEMINI_PATH = re.compile(
    r"^/v1(?:beta|alpha)?/models/([^/:]+):(generateContent|streamGenerateContent|countTokens)$"
)
_MODELS = ("selftest-model",)


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]  # names lower-cased
    body: bytes


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the provider got and what it answered."""

    method: str
    path: str
    protocol: WireProtocol | None  # None: not a model endpoint (preconnect, model list, 404)
    authorized: bool
    # The script's step ("text", "call", "final", …) for a model turn; else what was answered:
    # "count_tokens", "models", "preconnect", "not_found", "unauthorized", "bad_request", or
    # "error: …" when answering failed.
    outcome: str
    reply: Reply | None = None
    model: str = ""


def respond(script: Script, api_key: str, request: Request) -> tuple[Answer, Exchange]:
    gemini = _GEMINI_PATH.match(request.path)
    protocol = _protocol_of(request.path, gemini)
    authorized = _authorized(api_key, request)

    def done(
        answer_: Answer, outcome: str, turn: Turn | None = None, reply: Reply | None = None
    ) -> tuple[Answer, Exchange]:
        model = turn.model if turn is not None else ""
        method, path = request.method, request.path
        return answer_, Exchange(method, path, protocol, authorized, outcome, reply, model)

    if request.method != "POST" or protocol is None:
        return done(*_side_answer(request))
    if not authorized:
        message = "cligate selftest: the provider key is missing or wrong"
        return done(error_answer(protocol, 401, message), "unauthorized")
    data = _json_object(request.body)
    if data is None:
        message = "cligate selftest: the body is not a JSON object"
        return done(error_answer(protocol, 400, message), "bad_request")
    size = len(request.body)
    if request.path.endswith("/count_tokens"):
        return done(anthropic_wire.count_tokens(size), "count_tokens")
    if gemini is not None and gemini.group(2) == "countTokens":
        return done(gemini_wire.count_tokens(size), "count_tokens")
    if protocol is WireProtocol.ANTHROPIC:
        turn = anthropic_wire.parse(data, size)
        reply = answer(script, turn)
        return done(anthropic_wire.render(turn, reply), reply.step, turn, reply)
    if protocol is WireProtocol.OPENAI_RESPONSES:
        turn = responses_wire.parse(data, size)
        reply = answer(script, turn)
        return done(responses_wire.render(turn, reply), reply.step, turn, reply)
    if protocol is WireProtocol.OPENAI_CHAT:
        turn = chat_wire.parse(data, size)
        reply = answer(script, turn)
        rendered = chat_wire.render(turn, reply, chat_wire.include_usage(data))
        return done(rendered, reply.step, turn, reply)
    assert gemini is not None
    stream = gemini.group(2) == "streamGenerateContent"
    turn = gemini_wire.parse(data, gemini.group(1), stream, size)
    reply = answer(script, turn)
    sse = "alt=sse" in request.query
    return done(gemini_wire.render(turn, reply, sse), reply.step, turn, reply)


def _protocol_of(path: str, gemini: re.Match[str] | None) -> WireProtocol | None:
    if path in ("/v1/messages", "/v1/messages/count_tokens"):
        return WireProtocol.ANTHROPIC
    if path == "/v1/responses":
        return WireProtocol.OPENAI_RESPONSES
    if path == "/v1/chat/completions":
        return WireProtocol.OPENAI_CHAT
    return WireProtocol.GEMINI if gemini is not None else None


def _authorized(api_key: str, request: Request) -> bool:
    """The key in any header a provider of these protocols reads (or Gemini's ``?key=``)."""
    offered = {v for k, v in request.headers if k in ("x-api-key", "x-goog-api-key")}
    offered |= {v.removeprefix("Bearer ") for k, v in request.headers if k == "authorization"}
    offered |= set(parse_qs(request.query).get("key", []))
    return api_key in offered


def _side_answer(request: Request) -> tuple[Answer, str]:
    if request.method == "GET" and request.path in ("/v1/models", "/v1beta/models"):
        # One body for every client: OpenAI and Anthropic read "data", Google "models"
        # (and Google's SDK may ask /v1/models too).
        listing = {
            "object": "list",
            "data": [{"id": m, "object": "model", "type": "model"} for m in _MODELS],
            "models": [{"name": f"models/{m}", "displayName": m} for m in _MODELS],
        }
        return json_answer(listing), "models"
    if request.path == "/" and request.method in ("GET", "HEAD"):
        return Answer(200, (), b"" if request.method == "HEAD" else b"ok"), "preconnect"
    message = f"the cligate selftest has no {request.method} {request.path}"
    return error_answer(None, 404, message), "not_found"


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
