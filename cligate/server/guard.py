"""Who may talk to the proxy: the per-run secret and the Host header.

The proxy listens on 127.0.0.1 only, but any local process, or a web page through DNS
rebinding, can reach loopback. So every request must carry the per-run secret (compared in
constant time) and a Host header naming this proxy on loopback.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cligate.server.messages import RawHeaders

_BEARER = b"bearer "


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    status: int = 200
    reason: str = ""
    target: str = ""  # the request target with a secret path prefix removed


class Guard:
    def __init__(self, secret: str, port: int) -> None:
        self._secret = secret.encode()
        self._path_prefix = f"/{secret}"
        self._hosts = {f"127.0.0.1:{port}".encode(), f"localhost:{port}".encode()}

    def check(self, target: str, headers: RawHeaders) -> Verdict:
        host = None
        presented: list[bytes] = []
        for name, value in headers:
            if name == b"host":
                host = value.lower()
            elif name in (b"x-api-key", b"x-goog-api-key"):
                presented.append(value.strip())
            elif name == b"authorization" and value[:7].lower() == _BEARER:
                presented.append(value[7:].strip())
        if host not in self._hosts:
            return Verdict(False, 403, "the Host header does not name this proxy on loopback")
        if not target.startswith("/"):
            # Only origin-form targets: anything else ("@host/x", ".evil.com/x", absolute URLs)
            # could move the provider's key to another host once joined to its base URL.
            return Verdict(False, 400, "the request target must be a path starting with /")
        stripped = self._strip_path_secret(target)
        if stripped is not None:
            return Verdict(True, target=stripped)
        # Compare every candidate so timing does not tell which header was checked.
        matched = False
        for candidate in presented:
            matched |= hmac.compare_digest(candidate, self._secret)
        if matched:
            return Verdict(True, target=target)
        return Verdict(False, 401, "missing or wrong cligate run secret")

    def _strip_path_secret(self, target: str) -> str | None:
        prefix = self._path_prefix
        head = target[: len(prefix)]
        if len(target) > len(prefix) and target[len(prefix)] not in "/?":
            return None
        if not hmac.compare_digest(head.encode(), prefix.encode()):
            return None
        rest = target[len(prefix) :]
        return rest if rest.startswith("/") else "/" + rest
