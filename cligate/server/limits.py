"""Caps on what one client connection may send and how long it may stay silent."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 32 * 1024 * 1024
    # Between requests on a keep-alive connection.
    idle_timeout: float = 300.0
    # From the first byte of a request's head to its last, however the bytes trickle in: a
    # client sending a byte now and then (slowloris) cannot hold a connection open.
    header_timeout: float = 30.0
    # While a request's body is arriving: the longest silence between two reads.
    read_timeout: float = 60.0
    # A client that stops reading a response for this long is dropped.
    write_timeout: float = 600.0
