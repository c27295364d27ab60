"""``cligate providers test``: one cheap real request that tells network, auth and model
problems apart."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cligate.config.settings import ProviderSettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.forwarding import upstream_url


class CheckResult(StrEnum):
    OK = "ok"
    NETWORK = "network"  # could not reach the provider
    AUTH = "auth"  # the key was refused
    MODEL = "model"  # the provider does not know the model
    PROVIDER = "provider"  # any other answer the provider gave


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    result: CheckResult
    message: str
    status: int | None = None
    milliseconds: float = 0.0


def probe_request(provider: ProviderSettings, model: str) -> tuple[str, dict[str, Any]]:
    """The smallest real generation request of the provider's protocol: (path, body)."""
    ping = "Reply with OK."
    if provider.protocol is WireProtocol.ANTHROPIC:
        return "/v1/messages", {
            "model": model,
            "max_tokens": 8,
            "messages": [{"role": "user", "content": ping}],
        }
    if provider.protocol is WireProtocol.OPENAI_CHAT:
        # No token limit: some models refuse max_tokens, others max_completion_tokens, and
        # the answer to this prompt is a word.
        return "/v1/chat/completions", {
            "model": model,
            "messages": [{"role": "user", "content": ping}],
        }
    if provider.protocol is WireProtocol.OPENAI_RESPONSES:
        return "/v1/responses", {"model": model, "input": ping, "max_output_tokens": 16}
    return f"/v1beta/models/{model}:generateContent", {
        "contents": [{"role": "user", "parts": [{"text": ping}]}],
        "generationConfig": {"maxOutputTokens": 8},
    }


def _error_text(body: Any) -> str:
    """The message of any of the four protocols' error bodies."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return str(body)[:300]


def classify_answer(status: int, body: Any, model: str) -> CheckOutcome:
    """Name the kind of problem from the provider's status and error body."""
    if 200 <= status < 300:
        return CheckOutcome(CheckResult.OK, "the provider answered", status)
    if not isinstance(body, dict):
        return CheckOutcome(
            CheckResult.PROVIDER,
            f"the provider answered {status} without a JSON error; is the base URL right?",
            status,
        )
    text = _error_text(body)
    lowered = text.lower()
    key_words = ("api key", "api_key", "apikey", "unauthorized", "authentication", "x-api-key")
    refused = status in (401, 403) and "model" not in lowered
    # Gemini answers a bad key with 400 "API key not valid" (reason API_KEY_INVALID).
    if refused or (status in (400, 401, 403) and any(w in lowered for w in key_words)):
        return CheckOutcome(CheckResult.AUTH, f"the key was refused ({status}): {text}", status)
    # 404, or a 400/403/422 whose message says the model is unknown (providers differ here).
    unknown = ("not found", "does not exist", "unknown", "invalid model", "not supported")
    if status == 404 or (
        status in (400, 403, 422) and "model" in lowered and any(w in lowered for w in unknown)
    ):
        return CheckOutcome(
            CheckResult.MODEL, f"model '{model}' is not available ({status}): {text}", status
        )
    return CheckOutcome(CheckResult.PROVIDER, f"the provider answered {status}: {text}", status)


def check_provider(
    provider: ProviderSettings, key: str, model: str, timeout: float = 30.0
) -> CheckOutcome:
    import httpx

    from cligate.control.model_discovery import request_headers
    from cligate.errors import UpstreamError

    path, body = probe_request(provider, model)
    url = upstream_url(provider, path, "")
    try:
        headers = request_headers(provider, key)
    except UpstreamError as error:
        return CheckOutcome(CheckResult.AUTH, error.message)
    started = time.perf_counter()
    try:
        response = httpx.post(
            url, json=body, headers=headers, timeout=timeout, proxy=provider.proxy
        )
    except httpx.TimeoutException:
        return CheckOutcome(CheckResult.NETWORK, f"no answer from {url} within {timeout:g} s")
    except httpx.HTTPError as exc:
        return CheckOutcome(CheckResult.NETWORK, f"cannot reach {url}: {exc}")
    elapsed = (time.perf_counter() - started) * 1000
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text
    outcome = classify_answer(response.status_code, answer, model)
    return CheckOutcome(outcome.result, outcome.message, outcome.status, elapsed)
