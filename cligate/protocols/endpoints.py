"""Tell which protocol operation a request path asks for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cligate.protocols.kinds import WireProtocol


class Operation(StrEnum):
    GENERATE = "generate"  # a model turn: messages, chat, responses, (stream)generateContent
    COUNT_TOKENS = "count_tokens"
    LIST_MODELS = "list_models"
    OTHER = "other"  # anything else under the protocol's API root, forwarded as is


@dataclass(frozen=True, slots=True)
class Endpoint:
    protocol: WireProtocol
    operation: Operation
    # Gemini names the model in the path; the others carry it in the body.
    path_model: str | None = None
    # Gemini says "stream" in the path (method name); the others in the body.
    path_streams: bool = False


_GEMINI_MODEL_PREFIXES = ("/v1beta/models/", "/v1/models/", "/v1alpha/models/")


def classify(path: str, default_protocol: WireProtocol) -> Endpoint:
    """Map a request path (without query) to an endpoint.

    ``default_protocol`` is the calling tool's protocol: it decides paths several protocols
    share, such as ``/v1/models``.
    """
    if path == "/v1/messages":
        return Endpoint(WireProtocol.ANTHROPIC, Operation.GENERATE)
    if path == "/v1/messages/count_tokens":
        return Endpoint(WireProtocol.ANTHROPIC, Operation.COUNT_TOKENS)
    if path == "/v1/chat/completions":
        return Endpoint(WireProtocol.OPENAI_CHAT, Operation.GENERATE)
    if path == "/v1/responses":
        return Endpoint(WireProtocol.OPENAI_RESPONSES, Operation.GENERATE)
    for prefix in _GEMINI_MODEL_PREFIXES:
        if path.startswith(prefix) and ":" in path:
            model, _, method = path[len(prefix) :].rpartition(":")
            if method in ("generateContent", "streamGenerateContent"):
                return Endpoint(
                    WireProtocol.GEMINI,
                    Operation.GENERATE,
                    path_model=model,
                    path_streams=method == "streamGenerateContent",
                )
            if method == "countTokens":
                return Endpoint(WireProtocol.GEMINI, Operation.COUNT_TOKENS, path_model=model)
            return Endpoint(WireProtocol.GEMINI, Operation.OTHER, path_model=model)
    if path in ("/v1/models", "/v1beta/models"):
        protocol = WireProtocol.GEMINI if path == "/v1beta/models" else default_protocol
        return Endpoint(protocol, Operation.LIST_MODELS)
    return Endpoint(default_protocol, Operation.OTHER)
