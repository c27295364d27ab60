"""``cligate providers models``: the provider's own model list, from its API."""

from __future__ import annotations

from typing import Any

from cligate.config.settings import ProviderSettings
from cligate.errors import UpstreamError, UpstreamUnreachableError
from cligate.protocols.kinds import WireProtocol
from cligate.server.forwarding import auth_headers, upstream_url


def listing_path(protocol: WireProtocol) -> str:
    return "/v1beta/models" if protocol is WireProtocol.GEMINI else "/v1/models"


def model_ids(protocol: WireProtocol, body: Any) -> list[str]:
    """The ids in a model listing: ``data[].id`` (OpenAI, Anthropic) or ``models[].name``
    without its ``models/`` prefix (Gemini)."""
    if not isinstance(body, dict):
        return []
    if protocol is WireProtocol.GEMINI:
        names = [m.get("name") for m in body.get("models", []) if isinstance(m, dict)]
        return [n.removeprefix("models/") for n in names if isinstance(n, str)]
    return [m["id"] for m in body.get("data", []) if isinstance(m, dict) and "id" in m]


MAX_PAGES = 50


def discover_models(provider: ProviderSettings, key: str, timeout: float = 30.0) -> list[str]:
    """Every model id the provider lists, following its pagination."""
    import httpx

    url = upstream_url(provider, listing_path(provider.protocol), "")
    headers = request_headers(provider, key)
    found: list[str] = []
    params: dict[str, str] = (
        {"pageSize": "1000"} if provider.protocol is WireProtocol.GEMINI else {"limit": "1000"}
    )
    with httpx.Client(proxy=provider.proxy, timeout=timeout) as client:
        for _ in range(MAX_PAGES):
            try:
                response = client.get(url, headers=headers, params=params)
            except httpx.HTTPError as exc:
                raise UpstreamUnreachableError(f"cannot reach {url}: {exc}") from exc
            if response.status_code != 200:
                error = UpstreamError(
                    f"{url} answered {response.status_code}: {response.text[:300]}"
                )
                error.http_status = response.status_code
                raise error
            try:
                body = response.json()
            except ValueError:
                raise UpstreamError(
                    f"{url} did not answer with JSON; is the base URL right?"
                ) from None
            found += model_ids(provider.protocol, body)
            following = next_page(provider.protocol, body)
            if following is None:
                break
            params.update(following)
    return sorted(set(found))


def next_page(protocol: WireProtocol, body: Any) -> dict[str, str] | None:
    """The query for the next page: Gemini's nextPageToken, Anthropic's has_more/last_id."""
    if not isinstance(body, dict):
        return None
    if protocol is WireProtocol.GEMINI:
        token = body.get("nextPageToken")
        return {"pageToken": token} if isinstance(token, str) and token else None
    if body.get("has_more") and isinstance(body.get("last_id"), str):
        return {"after_id": body["last_id"]}
    return None


def request_headers(provider: ProviderSettings, key: str) -> dict[str, str]:
    """Auth and the provider's own headers for a control-plane call."""
    if not key.isascii():
        raise UpstreamError(
            f"the key of provider '{provider.name}' holds characters an HTTP header cannot "
            "carry (a pasted quote or dash?)"
        )
    headers = {k.decode(): v.decode() for k, v in auth_headers(provider.auth, key)}
    headers.update(dict(provider.headers))
    if provider.protocol is WireProtocol.ANTHROPIC:
        headers.setdefault("anthropic-version", "2023-06-01")
    return headers
