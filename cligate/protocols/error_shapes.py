"""Errors written in each protocol's own shape, as a JSON body or as a stream event.

A tool only shows an error well when it arrives in the shape its SDK parses, so every error the
proxy produces goes through here. Messages always start with "cligate:" so a user can tell a
gateway error from a provider error.
"""

from __future__ import annotations

import json

from cligate.protocols.kinds import WireProtocol

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}

# google.rpc.Code names, as Gemini's error bodies carry them.
_GOOGLE_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _error_object(protocol: WireProtocol, status: int, message: str) -> dict[str, object]:
    if protocol is WireProtocol.ANTHROPIC:
        kind = _ANTHROPIC_TYPES.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if protocol is WireProtocol.GEMINI:
        google_status = _GOOGLE_STATUSES.get(status, "INTERNAL" if status >= 500 else "UNKNOWN")
        return {"error": {"code": status, "message": message, "status": google_status}}
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def error_body(protocol: WireProtocol, status: int, message: str) -> bytes:
    """A complete JSON error response body for ``protocol``."""
    return json.dumps(_error_object(protocol, status, message)).encode()


def stream_error_event(protocol: WireProtocol, status: int, message: str) -> bytes:
    """The SSE event that tells a client of ``protocol`` its stream failed."""
    if protocol is WireProtocol.ANTHROPIC:
        payload = json.dumps(_error_object(protocol, status, message))
        return f"event: error\ndata: {payload}\n\n".encode()
    if protocol is WireProtocol.OPENAI_RESPONSES:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        failed = {
            "type": "response.failed",
            "response": {
                "id": "resp_cligate_error",
                "object": "response",
                "status": "failed",
                "error": {"code": kind, "message": message},
                "output": [],
            },
        }
        return f"event: response.failed\ndata: {json.dumps(failed)}\n\n".encode()
    # Chat Completions and Gemini clients read an error object as a plain data line.
    return f"data: {json.dumps(_error_object(protocol, status, message))}\n\n".encode()
