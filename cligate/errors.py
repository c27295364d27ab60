"""One error tree for cligate.

Each error knows whose fault it is, the exit code the CLI returns for it and the HTTP status the
proxy answers with. Upstream transport failures are mapped to these types once, at the edge
(``upstream/``), so nothing downstream classifies errors by message text.
"""

from __future__ import annotations

from enum import Enum


class Fault(Enum):
    """Who has to act to fix the problem."""

    USER = "user"  # bad command line or environment
    CONFIG = "config"  # the config file is wrong or incomplete
    CLIENT = "client"  # the calling tool sent a bad request
    UPSTREAM = "upstream"  # the provider failed or could not be reached
    INTERNAL = "internal"  # a bug in cligate


class CligateError(Exception):
    fault = Fault.INTERNAL
    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- command line and configuration -------------------------------------------------------


class UsageError(CligateError):
    fault = Fault.USER
    exit_code = 2


class ToolNotInstalledError(CligateError):
    fault = Fault.USER
    exit_code = 127  # what a shell returns for "command not found"


class ConfigError(CligateError):
    fault = Fault.CONFIG
    exit_code = 2


class MissingKeyError(ConfigError):
    """A provider's key is an ``env:VAR`` reference and VAR is not set."""


# --- requests reaching the proxy --------------------------------------------------------------


class ClientRequestError(CligateError):
    fault = Fault.CLIENT
    http_status = 400


class UnauthorizedError(ClientRequestError):
    http_status = 401


class ForbiddenHostError(ClientRequestError):
    http_status = 403


class NotFoundError(ClientRequestError):
    http_status = 404


class PayloadTooLargeError(ClientRequestError):
    http_status = 413


# --- the provider ---------------------------------------------------------------------------


class UpstreamError(CligateError):
    fault = Fault.UPSTREAM
    http_status = 502


class UpstreamUnreachableError(UpstreamError):
    """Connecting failed (refused, DNS, TLS) before any request byte was sent."""


class UpstreamTimeoutError(UpstreamError):
    http_status = 504


class UpstreamProtocolError(UpstreamError):
    """The provider broke HTTP framing or closed the connection mid-response."""
