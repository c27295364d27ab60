"""Parse a JSON object once and remember where each top-level member's value sits in the text.

Pass-through must send a 100 KB body unchanged except for the model name. Parsing it with the
C scanner and splicing the one value we change keeps key order, spacing and escapes as the client
wrote them, and costs one parse plus one string copy instead of a parse and a full re-serialise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_scan_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class JsonObjectText:
    """A JSON object: its text, its parsed value and the text span of each top-level value."""

    text: str
    value: dict[str, Any]
    spans: dict[str, tuple[int, int]]
    open_brace: int  # index of the object's "{"

    def with_member(self, key: str, new_value: object) -> str:
        """The text with one top-level member set; every other byte is untouched.

        An existing member's value is replaced in place; a new member goes first.
        """
        encoded = json.dumps(new_value, ensure_ascii=False)
        if key in self.spans:
            start, end = self.spans[key]
            return self.text[:start] + encoded + self.text[end:]
        at = self.open_brace + 1
        separator = "," if self.spans else ""
        return f"{self.text[:at]}{json.dumps(key)}:{encoded}{separator}{self.text[at:]}"


def _skip_ws(text: str, index: int) -> int:
    length = len(text)
    while index < length and text[index] in _WHITESPACE:
        index += 1
    return index


def parse_json_object(body: bytes) -> JsonObjectText:
    """Parse ``body`` as a JSON object. Raises ``ValueError`` with a readable reason."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    value: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] = {}
    index = _skip_ws(text, 0)
    if text.startswith("\ufeff"):
        index = _skip_ws(text, 1)
    if index >= len(text) or text[index] != "{":
        raise ValueError("body is not a JSON object")
    open_brace = index
    index = _skip_ws(text, index + 1)
    if index < len(text) and text[index] == "}":
        return _finish(text, index + 1, value, spans, open_brace)
    while True:
        if index >= len(text) or text[index] != '"':
            raise ValueError(f"expected a member name at character {index}")
        try:
            key, index = _scan_string(text, index + 1)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{exc.msg} at character {exc.pos}") from exc
        index = _skip_ws(text, index)
        if index >= len(text) or text[index] != ":":
            raise ValueError(f"expected ':' at character {index}")
        start = _skip_ws(text, index + 1)
        try:
            member, end = _scan_value(text, start)
        except StopIteration as exc:
            raise ValueError(f"expected a value at character {start}") from exc
        except json.JSONDecodeError as exc:
            raise ValueError(f"{exc.msg} at character {exc.pos}") from exc
        value[key] = member
        spans[key] = (start, end)
        index = _skip_ws(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_ws(text, index + 1)
            continue
        if index < len(text) and text[index] == "}":
            return _finish(text, index + 1, value, spans, open_brace)
        raise ValueError(f"expected ',' or '}}' at character {index}")


def _finish(
    text: str,
    index: int,
    value: dict[str, Any],
    spans: dict[str, tuple[int, int]],
    open_brace: int,
) -> JsonObjectText:
    if _skip_ws(text, index) != len(text):
        raise ValueError(f"extra data after the object at character {index}")
    return JsonObjectText(text, value, spans, open_brace)
