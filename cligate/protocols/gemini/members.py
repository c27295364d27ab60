"""Reading the members of a Gemini request: camelCase or snake_case keys, typed access, and
errors that name the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cligate.protocols import ir
from cligate.protocols.gemini.client_schema import camel_name


def camel_members(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The object's members by their camelCase names (protobuf JSON takes snake_case too)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ir.DecodeError(f"{where}: member names must be strings")
        name = camel_name(key) if "_" in key else key
        if name in out and key != name:
            raise ir.DecodeError(f"{where}: both {name!r} and {key!r} are set")
        out[name] = value
    return out


def member_object(raw: object, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ir.DecodeError(f"{where}: must be an object")
    return camel_members(raw, where)


def member_list(raw: object, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ir.DecodeError(f"{where}: must be a list")
    return raw


def member_string(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ir.DecodeError(f"{where}.{key}: must be a string")
    return value


def member_required(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = member_string(raw, key, where)
    if not value:
        raise ir.DecodeError(f"{where}: '{key}' is missing")
    return value


def compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
