"""The proxy's listening socket, bound before anything else so the tool can start at once."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def bind_loopback() -> socket.socket:
    """A socket listening on 127.0.0.1 at a random free port.

    Bound (and listening) before the event loop exists: the tool is launched straight away and
    any connection it makes while cligate is still importing its server waits in the backlog.
    """
    # proto must say TCP: asyncio sets TCP_NODELAY only on accepted sockets whose proto does,
    # and without it small writes (an SSE event, a head then a body) wait 40 ms on Nagle.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener
