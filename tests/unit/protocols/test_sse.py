"""The incremental SSE parser: whole events out, whatever the chunk boundaries."""

from __future__ import annotations

import pytest

from cligate.protocols.sse import SseEvent, SseParser, encode_event

STREAM = (
    ": a comment\n"
    "event: message_start\n"
    'data: {"a": "é😀"}\n'
    "\n"
    "data: line one\n"
    "data:line two\n"
    "\n"
    "event: ping\n"
    "data: {}\n"
    "\n"
).encode()
EXPECTED = [
    SseEvent("message_start", '{"a": "é😀"}'),
    SseEvent("message", "line one\nline two"),
    SseEvent("ping", "{}"),
]


def parse(pieces: list[bytes]) -> list[SseEvent]:
    parser = SseParser()
    events = [event for piece in pieces for event in parser.feed(piece)]
    return events + parser.finish()


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_every_split_of_every_line_ending_gives_the_same_events(ending: bytes) -> None:
    stream = STREAM.replace(b"\n", ending)
    assert parse([stream]) == EXPECTED
    for cut in range(1, len(stream)):  # includes cuts inside "é", "😀" and "\r\n"
        assert parse([stream[:cut], stream[cut:]]) == EXPECTED, cut
    assert parse([bytes([b]) for b in stream]) == EXPECTED


def test_an_event_without_its_blank_line_is_not_dispatched_at_the_end() -> None:
    parser = SseParser()
    assert parser.feed(b"data: whole\n\ndata: half") == [SseEvent("message", "whole")]
    assert parser.pending
    assert parser.finish() == []


def test_a_line_without_data_dispatches_nothing_and_empty_chunks_are_harmless() -> None:
    parser = SseParser()
    assert parser.feed(b"") == []
    assert parser.feed(b"event: x\n\n") == []  # an event with no data is not dispatched
    assert parser.feed(b"data:\n\n") == [SseEvent("message", "")]


def test_encode_event_round_trips() -> None:
    raw = encode_event('{"k":1}', "ping") + encode_event("[DONE]")
    assert parse([raw]) == [SseEvent("ping", '{"k":1}'), SseEvent("message", "[DONE]")]
