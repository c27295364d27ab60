"""The ephemeral proxy: listen on 127.0.0.1, a random port, until told to stop."""

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
    ) -> None:
        self._handler = handler
        self._error = error_responder
        self._secret = secret
        self._limits = limits or ServerLimits()
        self._server: asyncio.Server | None = None
        self._guard: Guard | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self, listener: socket.socket | None = None) -> None:
        """Serve on ``listener`` (see ``bind_loopback``), or on a fresh loopback socket."""
        listener = listener or bind_loopback()
        self.port = listener.getsockname()[1]
        self._guard = Guard(self._secret, self.port)
        self._server = await asyncio.start_server(
            self._on_connection, sock=listener, limit=256 * 1024
        )

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self._guard is not None
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await ClientConnection(
                reader,
                writer,
                guard=self._guard,
                handler=self._handler,
                error_responder=self._error,
                limits=self._limits,
            ).serve()
        except asyncio.CancelledError:
            # Shut down by close(). Not re-raised: asyncio would log a cancelled connection
            # task as an error.
            pass
        finally:
            self._connections.discard(task)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
