"""The TLS context for provider connections."""

from __future__ import annotations

import os
import ssl


def default_ssl_context() -> ssl.SSLContext:
    """Verify against ``SSL_CERT_FILE`` when set (corporate CAs), else certifi's bundle.

    certifi is what httpx uses too, so both clients trust the same roots.
    """
    cafile = os.environ.get("SSL_CERT_FILE")
    if not cafile:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # fall back to the system store
            cafile = None
    return ssl.create_default_context(cafile=cafile)
