"""Typed access to a request's optional top-level fields: the value, None when absent, or a
``DecodeError`` naming the field when it has the wrong type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir


def optional_number(body: Mapping[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ir.DecodeError(f"{key}: must be a number")
    return float(value)


def optional_bool(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ir.DecodeError(f"{key}: must be true or false")
    return value


def optional_string(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ir.DecodeError(f"{key}: must be a string")
    return value
