"""The proxy server: accept connections on its listening socket until told to stop.

``cligate run`` serves on 127.0.0.1 at a random port with one secret; ``cligate serve`` on a
fixed port with client keys, and on shutdown lets requests in hand finish for a grace period
before it cuts the rest (streams then end with their protocol's error event)."""

from __future__ import annotations

import asyncio
import socket

from cligate.server.connection import ClientConnection, ErrorResponder
from cligate.server.guard import Guard
from cligate.server.limits import ServerLimits
from cligate.server.listener import LOOPBACK, bind_loopback
from cligate.server.messages import Handler


class ProxyServer:
    def __init__(
        self,
        handler: Handler,
        error_responder: ErrorResponder,
        secret: str,
        limits: ServerLimits | None = None,
        *,
        clients: dict[str, str] | None = None,
        any_host: bool = False,
    ) -> None:
        self._handler = handler
        self._error = error_responder
        self._secret = secret
        self._clients = clients
        self._any_host = any_host
        self._limits = limits or ServerLimits()
        self._draining = False
        self._server: asyncio.Server | None = None
        self._guard: Guard | None = None
        self._connections: dict[asyncio.Task[None], ClientConnection] = {}
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self, listener: socket.socket | None = None) -> None:
        """Serve on ``listener`` (see ``bind_loopback``), or on a fresh loopback socket."""
        listener = listener or bind_loopback()
        self.port = listener.getsockname()[1]
        self._guard = Guard(self._secret, self.port, clients=self._clients, any_host=self._any_host)
        self._server = await asyncio.start_server(
            self._on_connection, sock=listener, limit=256 * 1024
        )

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self._guard is not None
        task = asyncio.current_task()
        assert task is not None
        connection = ClientConnection(
            reader,
            writer,
            guard=self._guard,
            handler=self._handler,
            error_responder=self._error,
            limits=self._limits,
            draining=lambda: self._draining,
        )
        self._connections[task] = connection
        try:
            await connection.serve()
        except asyncio.CancelledError:
            # Shut down by close(). Not re-raised: asyncio would log a cancelled connection
            # task as an error.
            pass
        finally:
            self._connections.pop(task, None)

    async def close(self, grace: float = 0.0) -> None:
        """Stop: take no new connections; give requests in hand up to ``grace`` seconds
        (each connection closes after its current answer), then cut what is left."""
        if self._server is None:
            return
        self._server.close()
        self._draining = True
        for task, connection in list(self._connections.items()):
            if not connection.busy:
                task.cancel()  # idle between requests: nothing to finish
        busy = set(self._connections)
        if grace > 0 and busy:
            await asyncio.wait(busy, timeout=grace)
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
