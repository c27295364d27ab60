"""Doctor: traps in the user's shell environment.

- An HTTP proxy whose NO_PROXY does not cover the loopback addresses: local traffic then goes
  through the proxy.
- A tool's own vendor variables (keys, base URLs): ``cligate run`` replaces or removes them for
  the tool it starts (``launcher/tools.py``), but the tool run without cligate still uses them.

Values of key variables are never shown; a base URL is, without user info or query.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from cligate.config.settings import Settings
from cligate.control.doctor_config import env_key_names, providers_in_use
from cligate.control.doctor_finding import Finding
from cligate.hosts import is_loopback_host
from cligate.launcher.tools import TOOLS

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
NO_PROXY_VARS = ("NO_PROXY", "no_proxy")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

# Vendor variables in the user's shell → the tool that reads them. Each is in that tool's
# ``env`` (replaced) or ``unset_env`` (removed); a unit test keeps the two in step.
VENDOR_VARS = {
    "ANTHROPIC_API_KEY": "claude",
    "ANTHROPIC_AUTH_TOKEN": "claude",
    "ANTHROPIC_BASE_URL": "claude",
    "OPENAI_API_KEY": "codex",
    "OPENAI_BASE_URL": "codex",
    "GEMINI_API_KEY": "gemini",
    "GOOGLE_API_KEY": "gemini",
    "GOOGLE_GEMINI_BASE_URL": "gemini",
}


def no_proxy_covers(value: str, host: str) -> bool:
    """Whether a NO_PROXY list exempts ``host``: ``*``, the name itself (with or without a
    leading dot) or, for an address, a CIDR range holding it."""
    for raw in value.split(","):
        entry = raw.strip().lower()
        if entry == "*" or entry.lstrip(".") == host:
            return True
        if "/" in entry:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _is_loopback_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def proxy_findings(env: Mapping[str, str], settings: Settings | None) -> list[Finding]:
    proxies = sorted(name for name in env if name.upper() in PROXY_VARS and env[name].strip())
    if not proxies:
        return []
    present = [name for name in NO_PROXY_VARS if name in env] or ["NO_PROXY"]
    uncovered = [
        name
        for name in present
        if not all(no_proxy_covers(env.get(name, ""), host) for host in LOOPBACK_HOSTS)
    ]
    if not uncovered:
        return [
            Finding(
                "env:proxy",
                "ok",
                f"an HTTP proxy is set ({', '.join(proxies)}) and {' and '.join(present)} "
                "covers 127.0.0.1 and localhost",
            )
        ]
    # cligate's own requests to local providers never go through it (upstream/selector.py).
    summary = (
        f"an HTTP proxy is set ({', '.join(proxies)}) and {' / '.join(uncovered)} does not "
        "cover 127.0.0.1 and localhost: requests to local servers, cligate's proxy included, "
        "may go through it. `cligate run` adds both for the tool it starts, but tools started "
        "another way (or `cligate serve` clients) do not"
    )
    fix = "; ".join(f"export {name}=127.0.0.1,localhost,${name}" for name in uncovered)
    return [Finding("env:proxy", "warn", summary, fix)]


def shown_url(value: str) -> str:
    """A base URL as it may be printed: without user info, query or fragment."""
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.hostname:
        return "(not a URL)"
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def vendor_var_findings(env: Mapping[str, str], settings: Settings | None) -> list[Finding]:
    findings = []
    for name, tool in VENDOR_VARS.items():
        if not env.get(name, "").strip():
            continue
        spec = TOOLS[tool]
        verb = "replaces" if name in spec.env else "removes"
        binding = settings.tools.get(tool) if settings else None
        bound = binding.provider if binding else None
        check = f"env:{name}"
        if name.endswith("_BASE_URL"):
            where = shown_url(env[name])
            local = " (a local address: a cligate proxy lives only as long as one run)"
            findings.append(
                Finding(
                    check,
                    "warn",
                    f"{name}={where} is set in your shell: `cligate run {tool}` {verb} it for "
                    f"{tool}, but {tool} run without cligate sends its requests there"
                    f"{local if _is_loopback_url(env[name]) else ''}",
                    f"unset {name} (and remove it from your shell profile), unless you run "
                    f"{tool} without cligate against it on purpose",
                )
            )
            continue
        # Only providers a binding uses: the built-in ones are always defined.
        in_use = providers_in_use(settings) if settings else []
        readers = [p.name for p in in_use if name in env_key_names(p)]
        if bound is not None and bound in readers:
            continue  # the key of the tool's own provider: exactly what cligate expects
        bound_text = f"{tool} is bound to provider '{bound}'" if bound else "no provider is bound"
        if readers:
            findings.append(
                Finding(
                    check,
                    "info",
                    f"{name} is set in your shell; cligate reads it as the key of "
                    f"{', '.join(repr(r) for r in readers)}, and `cligate run {tool}` {verb} it "
                    f"for {tool} ({bound_text}), but {tool} run without cligate uses it",
                    f"keep it for cligate; start {tool} with `cligate run {tool}` to use "
                    "its binding",
                )
            )
            continue
        findings.append(
            Finding(
                check,
                "warn",
                f"{name} is set in your shell but cligate does not use it ({bound_text}): "
                f"`cligate run {tool}` {verb} it for {tool}, but {tool} run without cligate "
                "uses it and bypasses the binding",
                f"unset {name} (and remove it from your shell profile) if you run {tool} only "
                "through cligate",
            )
        )
    return findings


def env_findings(env: Mapping[str, str], settings: Settings | None) -> list[Finding]:
    return [*proxy_findings(env, settings), *vendor_var_findings(env, settings)]
