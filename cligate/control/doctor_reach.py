"""Doctor: can each provider in use be reached, and does it take the key?

The probe is one GET of the provider's model listing: authenticated, free, and generates
nothing. It tells an unreachable provider (connect error, timeout) from a refused key
(401/403) from one that answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from cligate.config.settings import ProviderSettings
from cligate.control.doctor_config import env_key_names, key_sources
from cligate.control.doctor_finding import Finding

PROBE_TIMEOUT = 5.0

Reach = Literal["ok", "unreachable", "refused", "no-listing", "error"]


@dataclass(frozen=True, slots=True)
class ReachAnswer:
    reach: Reach
    detail: str  # what happened, for the summary; never the key


# (provider, key, timeout in seconds) → the answer.
ProviderProbe = Callable[[ProviderSettings, str, float], ReachAnswer]


def probe_listing(provider: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
    """GET the provider's model listing (first page only)."""
    import httpx

    from cligate.control.model_discovery import listing_path, model_ids, request_headers
    from cligate.control.provider_check import CheckResult, classify_answer
    from cligate.errors import UpstreamError
    from cligate.server.forwarding import upstream_url

    url = upstream_url(provider, listing_path(provider.protocol), "")
    try:
        headers = request_headers(provider, key)
    except UpstreamError as error:
        return ReachAnswer("refused", error.message)
    started = time.perf_counter()
    try:
        response = httpx.get(url, headers=headers, timeout=timeout, proxy=provider.proxy)
    except httpx.TimeoutException:
        return ReachAnswer("unreachable", f"no answer from {url} within {timeout:g} s")
    except httpx.TransportError as exc:  # connect, proxy, TLS and protocol failures
        return ReachAnswer("unreachable", f"cannot reach {url}: {exc}")
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # e.g. a bad proxy URL
        return ReachAnswer("error", f"cannot send a request to {url}: {exc}")
    milliseconds = (time.perf_counter() - started) * 1000
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    status = response.status_code
    if status == 200:
        count = len(model_ids(provider.protocol, body))
        return ReachAnswer("ok", f"listed {count} models in {milliseconds:.0f} ms")
    outcome = classify_answer(status, body, "")
    if outcome.result is CheckResult.AUTH:
        return ReachAnswer("refused", outcome.message)
    if status in (404, 405):
        return ReachAnswer("no-listing", f"{url} answered {status}")
    return ReachAnswer("error", outcome.message)


def _finding(provider: ProviderSettings, source: str, answer: ReachAnswer) -> Finding:
    check = f"provider:{provider.name}"
    name = f"provider '{provider.name}'"
    if answer.reach == "ok":
        return Finding(check, "ok", f"{name} answered ({answer.detail})")
    if answer.reach == "unreachable":
        return Finding(
            check,
            "fail",
            f"{name} is unreachable: {answer.detail}",
            "check the network, your proxy settings (HTTPS_PROXY, NO_PROXY) and the provider's "
            "base_url (cligate config edit)",
        )
    if answer.reach == "refused" and provider.api_key is None and not provider.extra_keys:
        return Finding(
            check,
            "fail",
            f"{name} has no key configured and refused the request: {answer.detail}",
            f"give it a key: api_key under [providers.{provider.name}] (cligate config edit)",
        )
    if answer.reach == "refused":
        names = env_key_names(provider)
        replace = (
            f"export {names[0]}=<a valid key>"
            if source.startswith("$") and names
            else "put a valid key in the config file (cligate config edit)"
        )
        return Finding(
            check,
            "fail",
            f"{name} refused the key from {source}: {answer.detail}",
            f"{replace}, then: cligate providers test {provider.name} --model MODEL",
        )
    if answer.reach == "no-listing":
        return Finding(
            check,
            "info",
            f"{name} is reachable but lists no models ({answer.detail}), so its key was not "
            "checked",
            f"cligate providers test {provider.name} --model MODEL checks it with a real request",
        )
    return Finding(
        check,
        "warn",
        f"{name} is reachable but answered with an error: {answer.detail}",
        f"cligate providers test {provider.name} --model MODEL, or try again later",
    )


def reach_findings(
    providers: list[ProviderSettings],
    env: Mapping[str, str],
    probe: ProviderProbe,
    timeout: float = PROBE_TIMEOUT,
) -> list[Finding]:
    """Probe every provider that has a key at hand, all at once; the slowest takes
    ``timeout``. Providers without a key are left to the key check."""
    ready = [(p, p.available_keys(env)) for p in providers]
    ready = [(p, keys) for p, keys in ready if keys]
    if not ready:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(ready))) as pool:
        answers = [pool.submit(probe, p, keys[0].value, timeout) for p, keys in ready]
        return [
            _finding(p, key_sources(p, env)[0], answer.result())
            for (p, _), answer in zip(ready, answers, strict=True)
        ]
