"""Routing and authentication: which protocol a request speaks, and whether its key is right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

from .model import Protocol

Endpoint = Literal["messages", "count_tokens", "responses", "chat", "generate", "stream_generate"]

_GEMINI_PATH = re.compile(
    r"^/v1(?:beta|alpha)?/models/[^/:]+:(generateContent|streamGenerateContent)$"
)
_FIXED: dict[str, tuple[Protocol, Endpoint]] = {
    "/v1/messages": ("anthropic", "messages"),
    "/v1/messages/count_tokens": ("anthropic", "count_tokens"),
    "/v1/responses": ("responses", "responses"),
    "/v1/chat/completions": ("chat", "chat"),
}


# GET paths that list models (Anthropic and OpenAI share /v1/models).
MODEL_LISTS = frozenset({"/v1/models", "/v1beta/models"})


@dataclass(frozen=True, slots=True)
class Route:
    protocol: Protocol
    endpoint: Endpoint


def route(method: str, path: str) -> Route | None:
    """The model endpoint for a POST, or None (the caller answers preconnects and 404s)."""
    if method != "POST":
        return None
    fixed = _FIXED.get(path)
    if fixed is not None:
        return Route(*fixed)
    match = _GEMINI_PATH.match(path)
    if match is None:
        return None
    return Route("gemini", "generate" if match.group(1) == "generateContent" else "stream_generate")


AUTH_MESSAGES: dict[Protocol, str] = {
    "anthropic": "invalid x-api-key",
    "responses": "Incorrect API key provided.",
    "chat": "Incorrect API key provided.",
    "gemini": "API key not valid. Please pass a valid API key.",
}


def _header(headers: tuple[tuple[str, str], ...], name: str) -> list[str]:
    return [value for key, value in headers if key == name]


def authorized(
    protocol: Protocol, api_key: str | None, headers: tuple[tuple[str, str], ...], query: str
) -> bool:
    """Whether any credential the protocol accepts matches `api_key` (None = no auth)."""
    if api_key is None:
        return True
    bearer = f"Bearer {api_key}"
    if any(v == bearer for v in _header(headers, "authorization")):
        return True
    if protocol == "anthropic":
        return api_key in _header(headers, "x-api-key")
    if protocol == "gemini":
        if api_key in _header(headers, "x-goog-api-key"):
            return True
        return bool(query) and api_key in parse_qs(query).get("key", [])
    return False
