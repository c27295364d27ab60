"""Whether a host name or address means this machine: one answer for the proxy settings
(local providers bypass HTTP proxies), ``cligate serve`` (binding beyond loopback needs a flag)
and doctor."""

from __future__ import annotations


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``), 127.0.0.0/8 and ::1."""
    host = host.lower().strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress  # only asked when a proxy, serve or doctor needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
