"""``cligate serve``: one persistent proxy for every client protocol and many clients.

Each request is served by the same handler ``cligate run`` uses, chosen by who calls and what
it speaks: the client is known by the key it presented (a named client key routes to its own
binding), else by its user-agent (Claude Code, Codex, Gemini CLI and friends each have their
binding), else by the protocol of the path (Anthropic → claude's binding, Responses → codex's,
Gemini → gemini's, Chat → the ``serve`` binding or claude's). One handler per (binding,
protocol) is made on first use; they share the key pool, so a rate-limited key rests for all.
``/v1/models`` is answered here, with the models and aliases the caller's binding offers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from cligate.config.settings import ResolvedKey, Settings, ToolBinding
from cligate.protocols.endpoints import Operation, classify
from cligate.protocols.kinds import WireProtocol
from cligate.server.error_answers import error_response
from cligate.server.handler import GatewayHandler, RunContext
from cligate.server.messages import IncomingRequest, OutgoingResponse
from cligate.upstream.key_pool import KeyPool
from cligate.upstream.types import UpstreamClient

if TYPE_CHECKING:
    from cligate.observe.trace import TraceSettings

# A word in a client's user-agent → the binding its requests use (when that binding exists).
# aider, OpenClaw and Hermes Agent send their SDK's user-agent (OpenAI/Python, OpenAI/JS), so
# they cannot be told apart this way: give each a serve client key of its own.
USER_AGENT_BINDINGS = (
    (b"claude-cli", "claude"),
    (b"codex", "codex"),
    (b"geminicli", "gemini"),
    (b"gemini-cli", "gemini"),
    (b"opencode", "opencode"),
    (b"qwencode", "qwen"),  # QwenCode/0.15.10 (linux; x64)
    (b"qwen-code", "qwen"),
    (b"aider", "aider"),
    (b"crush", "crush"),
    (b"cline", "cline"),
    (b"cursor", "cursor"),
    (b"openclaw", "openclaw"),
)
# With no binding of its own, a caller is served by the binding of the tool that speaks its
# protocol; Chat clients by a "serve" binding if there is one, else claude's.
PROTOCOL_BINDINGS = {
    WireProtocol.ANTHROPIC: ("claude",),
    WireProtocol.OPENAI_RESPONSES: ("codex",),
    WireProtocol.GEMINI: ("gemini",),
    WireProtocol.OPENAI_CHAT: ("serve", "claude"),
}
SERVE_BINDING = "serve"


# (binding name, protocol) → the record settings of that handler's requests.
TraceFactory = Callable[[str, WireProtocol], "TraceSettings"]


class ServeDispatcher:
    def __init__(
        self,
        settings: Settings,
        keys: dict[str, tuple[ResolvedKey, ...]],
        upstream: UpstreamClient,
        client_bindings: Mapping[str, str] | None = None,
        trace_for: TraceFactory | None = None,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._upstream = upstream
        self._client_bindings = dict(client_bindings or {})
        self._trace_for = trace_for
        self._pool = KeyPool(keys)
        self._handlers: dict[tuple[str, WireProtocol], GatewayHandler] = {}

    def error_for_path(self, status: int, message: str, path: str) -> OutgoingResponse:
        protocol = classify(path, WireProtocol.OPENAI_CHAT).protocol
        return error_response(protocol, status, message)

    async def __call__(self, request: IncomingRequest) -> OutgoingResponse:
        protocol = request_protocol(request)
        name = self.binding_name(request, protocol)
        binding = self._settings.tools.get(name) if name else None
        if name is None or binding is None or not binding.provider:
            return error_response(
                protocol,
                400,
                f"cligate serve: no binding for this client ({name or protocol.value}): add "
                f'[tools.{name or SERVE_BINDING}] with provider = "NAME" to the config '
                "(cligate config edit)",
            )
        endpoint = classify(request.path, protocol)
        if endpoint.operation is Operation.LIST_MODELS and request.method in ("GET", "HEAD"):
            from cligate.server.local_answers import model_list, offered_models

            return model_list(protocol, offered_models(self._settings, binding))
        return await self._handler(name, binding, protocol)(request)

    def binding_name(self, request: IncomingRequest, protocol: WireProtocol) -> str | None:
        """Which binding serves this caller (see the module's docstring)."""
        tools = self._settings.tools
        if request.client is not None:
            return self._client_bindings.get(request.client, request.client)
        agent = (request.header(b"user-agent") or b"").lower()
        for word, name in USER_AGENT_BINDINGS:
            if word in agent and name in tools:
                return name
        for name in PROTOCOL_BINDINGS[protocol]:
            if name in tools:
                return name
        return None

    def _handler(self, name: str, binding: ToolBinding, protocol: WireProtocol) -> GatewayHandler:
        handler = self._handlers.get((name, protocol))
        if handler is None:
            from cligate.launcher.tools import TOOLS

            spec = TOOLS.get(name)
            context = RunContext(
                tool=name,
                tool_protocol=protocol,
                settings=self._settings,
                binding=binding,
                keys=self._keys,
                background_hint=spec.background_hint if spec else None,
                trace=self._trace_for(name, protocol) if self._trace_for else None,
            )
            handler = self._handlers[(name, protocol)] = GatewayHandler(
                context, self._upstream, self._pool
            )
        return handler


def request_protocol(request: IncomingRequest) -> WireProtocol:
    """The protocol a request speaks, from its path; paths several protocols share (such as
    ``/v1/models``) by Anthropic's version header, else OpenAI's."""
    anthropic = request.header(b"anthropic-version") is not None
    default = WireProtocol.ANTHROPIC if anthropic else WireProtocol.OPENAI_CHAT
    return classify(request.path, default).protocol
