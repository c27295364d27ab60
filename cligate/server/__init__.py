"""The local proxy: HTTP/1.1 on asyncio streams, guarded by the per-run secret."""
