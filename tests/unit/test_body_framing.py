"""The hand-written body decoders against h11's own reading of the same bytes: every split,
odd but legal framing, broken framing."""

from __future__ import annotations

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cligate.upstream.body_framing import (
    ChunkedBody,
    FramingError,
    LengthBody,
    UntilCloseBody,
    body_reader,
)


def chunked(*pieces: bytes, trailer: bytes = b"") -> bytes:
    return b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailer + b"\r\n"


def decode(decoder: ChunkedBody | LengthBody, parts: list[bytes]) -> bytes:
    out = b""
    for part in parts:
        out += decoder.feed(part)
        if decoder.done:
            break
    assert decoder.done
    return out


def h11_body(wire_body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[(b"host", b"x")]))
    client.send(h11.EndOfMessage())
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n"
    client.receive_data(head + wire_body)
    body = b""
    while True:
        event = client.next_event()
        if type(event) is h11.Data:
            body += bytes(event.data)
        elif type(event) is h11.EndOfMessage:
            return body
        elif event is not None and type(event) is not h11.Response:
            raise AssertionError(event)


CASES = [
    chunked(b"data: one\n\n", b"data: two\n\n"),
    chunked(b"x" * 70000),
    chunked(b"a", b"b", b"c", trailer=b"x-checksum: 1\r\n"),
    b"5;ext=1\r\nhello\r\n0\r\n\r\n",  # a chunk extension
    b"A\r\n0123456789\r\n0\r\n\r\n",  # upper-case hex
    b"0\r\n\r\n",  # an empty body
]


@pytest.mark.parametrize("wire", CASES)
def test_chunked_bodies_read_as_h11_reads_them_at_every_split(wire: bytes) -> None:
    expected = h11_body(wire, [(b"transfer-encoding", b"chunked")])
    assert decode(ChunkedBody(), [wire]) == expected
    step = max(1, len(wire) // 300)
    for cut in range(1, len(wire), step):
        assert decode(ChunkedBody(), [wire[:cut], wire[cut:]]) == expected, cut
    if len(wire) < 200:
        assert decode(ChunkedBody(), [wire[i : i + 1] for i in range(len(wire))]) == expected


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=20), st.data())
def test_any_chunking_of_any_payload_round_trips(pieces: list[bytes], data: st.DataObject) -> None:
    wire = chunked(*pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    parts = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    decoder = ChunkedBody()
    assert decode(decoder, [p for p in parts if p] or [wire]) == b"".join(pieces)
    assert decoder.leftover == b""


@pytest.mark.parametrize(
    "wire",
    [b"zz\r\nhello\r\n", b"5\r\nhelloXX0\r\n\r\n", b"-5\r\nhello\r\n", b"1" * 2000],
    ids=["bad-size", "no-crlf-after-data", "negative", "endless-size-line"],
)
def test_broken_chunked_framing_is_a_framing_error(wire: bytes) -> None:
    with pytest.raises(FramingError):
        ChunkedBody().feed(wire)


def test_bytes_after_the_body_are_kept_apart() -> None:
    decoder = ChunkedBody()
    assert decoder.feed(chunked(b"hi") + b"HTTP/1.1 200") == b"hi"
    assert decoder.done and decoder.leftover == b"HTTP/1.1 200"


def test_a_known_length_body() -> None:
    decoder = LengthBody(10)
    assert decoder.feed(b"01234") == b"01234" and not decoder.done
    assert decoder.feed(b"56789extra") == b"56789"
    assert decoder.done and decoder.leftover == b"extra"
    assert LengthBody(0).done


@pytest.mark.parametrize(
    ("status", "headers", "method", "kind"),
    [
        (200, [(b"transfer-encoding", b"chunked")], "POST", ChunkedBody),
        (200, [(b"content-length", b"12")], "POST", LengthBody),
        (200, [(b"transfer-encoding", b"gzip, chunked")], "POST", ChunkedBody),
        (200, [(b"transfer-encoding", b"gzip")], "POST", UntilCloseBody),
        (200, [], "POST", UntilCloseBody),
        (
            200,
            [(b"content-length", b"12"), (b"transfer-encoding", b"chunked")],
            "POST",
            ChunkedBody,
        ),
    ],
)
def test_how_each_body_is_framed(
    status: int, headers: list[tuple[bytes, bytes]], method: str, kind: type
) -> None:
    assert type(body_reader(status, headers, method)) is kind


@pytest.mark.parametrize(
    ("status", "method"), [(200, "HEAD"), (204, "POST"), (304, "GET"), (101, "GET")]
)
def test_answers_that_have_no_body(status: int, method: str) -> None:
    reader = body_reader(status, [(b"content-length", b"12")], method)
    assert isinstance(reader, LengthBody) and reader.done


@pytest.mark.parametrize("value", [b"twelve", b"-1", b"1, 2"])
def test_a_bad_content_length_is_a_framing_error(value: bytes) -> None:
    with pytest.raises(FramingError):
        body_reader(200, [(b"content-length", value)], "POST")
