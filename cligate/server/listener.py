"""The proxy's listening socket, bound before anything else so the tool can start at once."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def bind_loopback() -> socket.socket:
    """A socket listening on 127.0.0.1 at a random free port.

    Bound (and listening) before the event loop exists: the tool is launched straight away and
    any connection it makes while cligate is still importing its server waits in the backlog.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener
