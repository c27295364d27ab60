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


def discover_models(provider: ProviderSettings, key: str, timeout: float = 30.0) -> list[str]:
    import httpx

    url = upstream_url(provider, listing_path(provider.protocol), "")
    headers = {k.decode(): v.decode() for k, v in auth_headers(provider.auth, key)}
    headers.update(dict(provider.headers))
    if provider.protocol is WireProtocol.ANTHROPIC:
        headers.setdefault("anthropic-version", "2023-06-01")
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise UpstreamUnreachableError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        error = UpstreamError(f"{url} answered {response.status_code}: {response.text[:300]}")
        error.http_status = response.status_code
        raise error
    return sorted(model_ids(provider.protocol, response.json()))
