"""Routing: pure functions from (settings, calling tool, requested model) to targets."""
