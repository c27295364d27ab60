"""The codec of each wire protocol, behind one interface, loaded only when a run translates."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from cligate.protocols.kinds import TRANSLATABLE, WireProtocol

if TYPE_CHECKING:  # the codecs load these when they are first used
    from cligate.protocols import ir
    from cligate.protocols.capabilities import CapabilityProfile, Decisions


class StreamDecoder(Protocol):
    def feed(self, chunk: bytes) -> list[ir.StreamEvent]: ...

    def finish(self) -> list[ir.StreamEvent]: ...


class StreamEncoder(Protocol):
    @property
    def finished(self) -> bool: ...

    def encode(self, event: ir.StreamEvent) -> bytes: ...

    def fail(self, error: ir.ErrorInfo) -> bytes: ...

    def keepalive(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ClientView:
    """What an answer written for the client must echo: the model it asked for, the time of the
    answer (Chat's ``created``), and whether it asked for usage in its stream."""

    model: str
    created: int
    include_usage: bool = False
    input_tokens_estimate: int = 0  # for a stream's first event, until the provider tells
    # Names of the client's freeform tools: their calls go back as custom tool calls.
    custom_tools: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Codec:
    protocol: WireProtocol
    # Where a model turn for (model, stream) is sent, path and query, as a client of this
    # protocol sends it (Gemini names both in the path).
    generate_target: Callable[[str, bool], str]
    decode_request: Callable[[Mapping[str, Any]], ir.Request]
    encode_request: Callable[[ir.Request, str, CapabilityProfile, Decisions], dict[str, Any]]
    decode_response: Callable[[Mapping[str, Any]], ir.Response]
    encode_response: Callable[[ir.Response, ClientView], dict[str, Any]]
    decode_error: Callable[[int, bytes], ir.ErrorInfo]
    stream_decoder: Callable[[], StreamDecoder]
    stream_encoder: Callable[[ClientView], StreamEncoder]


def _anthropic() -> Codec:
    from cligate.protocols.anthropic.decode_request import decode_request
    from cligate.protocols.anthropic.decode_response import decode_error, decode_response
    from cligate.protocols.anthropic.decode_stream import AnthropicStreamDecoder
    from cligate.protocols.anthropic.encode_request import encode_request
    from cligate.protocols.anthropic.encode_response import encode_response
    from cligate.protocols.anthropic.encode_stream import AnthropicStreamEncoder

    return Codec(
        protocol=WireProtocol.ANTHROPIC,
        generate_target=lambda model, stream: "/v1/messages",
        decode_request=decode_request,
        encode_request=encode_request,
        decode_response=decode_response,
        encode_response=lambda response, view: encode_response(_as_asked(response, view)),
        decode_error=decode_error,
        stream_decoder=AnthropicStreamDecoder,
        stream_encoder=lambda view: AnthropicStreamEncoder(
            view.model, input_tokens_estimate=view.input_tokens_estimate
        ),
    )


def _openai_chat() -> Codec:
    from cligate.protocols.openai_chat.decode_request import decode_request
    from cligate.protocols.openai_chat.decode_response import decode_error, decode_response
    from cligate.protocols.openai_chat.decode_stream import ChatStreamDecoder
    from cligate.protocols.openai_chat.encode_request import encode_request
    from cligate.protocols.openai_chat.encode_response import encode_response
    from cligate.protocols.openai_chat.encode_stream import ChatStreamEncoder

    return Codec(
        protocol=WireProtocol.OPENAI_CHAT,
        generate_target=lambda model, stream: "/v1/chat/completions",
        decode_request=decode_request,
        encode_request=encode_request,
        decode_response=decode_response,
        encode_response=lambda response, view: encode_response(
            _as_asked(response, view), view.created
        ),
        decode_error=decode_error,
        stream_decoder=ChatStreamDecoder,
        stream_encoder=lambda view: ChatStreamEncoder(view.model, view.created, view.include_usage),
    )


def _as_asked(response: ir.Response, view: ClientView) -> ir.Response:
    """The answer names the model the client asked for, as a stream's first event does."""
    return replace(response, model=view.model)


def _openai_responses() -> Codec:
    from cligate.protocols.openai_responses.decode_request import decode_request
    from cligate.protocols.openai_responses.decode_response import decode_error, decode_response
    from cligate.protocols.openai_responses.decode_stream import ResponsesStreamDecoder
    from cligate.protocols.openai_responses.encode_request import encode_request
    from cligate.protocols.openai_responses.encode_response import encode_response
    from cligate.protocols.openai_responses.encode_stream import ResponsesStreamEncoder

    return Codec(
        protocol=WireProtocol.OPENAI_RESPONSES,
        generate_target=lambda model, stream: "/v1/responses",
        decode_request=decode_request,
        encode_request=encode_request,
        decode_response=decode_response,
        encode_response=lambda response, view: encode_response(_as_asked(response, view), view),
        decode_error=decode_error,
        stream_decoder=ResponsesStreamDecoder,
        stream_encoder=ResponsesStreamEncoder,
    )


def _gemini() -> Codec:
    from cligate.protocols.gemini.decode_request import decode_request
    from cligate.protocols.gemini.decode_response import decode_error, decode_response
    from cligate.protocols.gemini.decode_stream import GeminiStreamDecoder
    from cligate.protocols.gemini.encode_request import encode_request
    from cligate.protocols.gemini.encode_response import encode_response
    from cligate.protocols.gemini.encode_stream import GeminiStreamEncoder

    return Codec(
        protocol=WireProtocol.GEMINI,
        generate_target=_gemini_target,
        decode_request=decode_request,
        encode_request=encode_request,
        decode_response=decode_response,
        encode_response=lambda response, view: encode_response(_as_asked(response, view), view),
        decode_error=decode_error,
        stream_decoder=GeminiStreamDecoder,
        stream_encoder=GeminiStreamEncoder,
    )


def _gemini_target(model: str, stream: bool) -> str:
    if stream:
        return f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
    return f"/v1beta/models/{model}:generateContent"


_LOADERS: dict[WireProtocol, Callable[[], Codec]] = {
    WireProtocol.ANTHROPIC: _anthropic,
    WireProtocol.OPENAI_CHAT: _openai_chat,
    WireProtocol.OPENAI_RESPONSES: _openai_responses,
    WireProtocol.GEMINI: _gemini,
}


assert set(_LOADERS) == TRANSLATABLE, "kinds.TRANSLATABLE must list the protocols with a codec"


@functools.cache
def codec_for(protocol: WireProtocol) -> Codec:
    loader = _LOADERS.get(protocol)
    if loader is None:
        raise LookupError(f"no translation for {protocol.display_name} yet")
    return loader()
