"""Control-plane calls to providers (checks, model discovery): httpx, never the hot path."""
