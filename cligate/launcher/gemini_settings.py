"""Placeholder until verified."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def gemini_settings_overlay(env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    yield {}
