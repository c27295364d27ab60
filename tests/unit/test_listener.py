import asyncio
import socket

from cligate.server.listener import bind_loopback


def test_accepted_connections_have_nagle_disabled() -> None:
    """Small writes (an SSE event, a head then a body) must leave at once: with Nagle's
    algorithm on, each waits for the peer's delayed ACK (about 40 ms on Linux)."""
    seen: list[int] = []

    async def scenario() -> None:
        async def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = bind_loopback()
        assert listener.getsockname()[0] == "127.0.0.1"
        server = await asyncio.start_server(accepted, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
    assert seen == [1]
