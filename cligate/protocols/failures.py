"""The errors of translation, apart from ``ir`` so that importing them costs nothing."""

from __future__ import annotations


class DecodeError(ValueError):
    """A request or answer is not valid in its protocol; the message says what and where."""


class StrictModeError(DecodeError):
    """Strict mode refused a lossy degradation; the message names the rule."""
