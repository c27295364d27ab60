"""Who may talk to the proxy: a key it knows, and the Host header.

The proxy listens on 127.0.0.1, but any local process, or a web page through DNS rebinding, can
reach loopback. So every request must carry a key (the per-run secret of ``cligate run``, or one
of ``cligate serve``'s client keys; compared in constant time) and a Host header naming this
proxy on loopback. The key that matched names the client, so ``serve`` can route per client. A
``serve`` bound beyond loopback (an explicit choice) accepts any Host: the key is the guard.
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
    client: str | None = None  # the name of the key that matched


class Guard:
    def __init__(
        self,
        secret: str,
        port: int,
        *,
        clients: dict[str, str] | None = None,
        any_host: bool = False,
    ) -> None:
        """``secret``: the key whose client has no name (``cligate run``'s secret, or
        ``serve``'s default key); ``clients``: more keys by client name."""
        self._secret = secret.encode()
        self._path_prefix = f"/{secret}"
        self._keys: list[tuple[str | None, bytes]] = [(None, self._secret)] + [
            (name, key.encode()) for name, key in (clients or {}).items()
        ]
        self._hosts = {f"127.0.0.1:{port}".encode(), f"localhost:{port}".encode()}
        self._any_host = any_host

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
        if host not in self._hosts and not (self._any_host and host):
            return Verdict(False, 403, "the Host header does not name this proxy on loopback")
        if not target.startswith("/"):
            # Only origin-form targets: anything else ("@host/x", ".evil.com/x", absolute URLs)
            # could move the provider's key to another host once joined to its base URL.
            return Verdict(False, 400, "the request target must be a path starting with /")
        stripped = self._strip_path_secret(target)
        if stripped is not None:
            return Verdict(True, target=stripped)
        # Compare every candidate with every key so timing tells neither which header was
        # checked nor which key matched.
        matched = False
        client: str | None = None
        for candidate in presented:
            for owner, key in self._keys:
                if hmac.compare_digest(candidate, key):
                    matched, client = True, owner
        if matched:
            return Verdict(True, target=target, client=client)
        return Verdict(False, 401, "missing or wrong cligate key")

    def _strip_path_secret(self, target: str) -> str | None:
        prefix = self._path_prefix
        head = target[: len(prefix)]
        if len(target) > len(prefix) and target[len(prefix)] not in "/?":
            return None
        if not hmac.compare_digest(head.encode(), prefix.encode()):
            return None
        rest = target[len(prefix) :]
        return rest if rest.startswith("/") else "/" + rest
