"""The hand-written HTTP/1.1 heads of the upstream pool: what is sent, what is read, what is
refused; arbitrary bytes never raise anything but the typed error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cligate.upstream.http1 import (
    MAX_HEAD_BYTES,
    RequestHeadError,
    ResponseHeadError,
    parse_response_head,
    request_head,
)


def test_a_request_head_is_exact() -> None:
    head = request_head(
        "POST", "/v1/messages?beta=true", b"api.example.com", [(b"x-api-key", b"k")], 17
    )
    assert head == (
        b"POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.example.com\r\n"
        b"x-api-key: k\r\ncontent-length: 17\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/x", [(b"x-extra", b"a\r\nx-injected: 1")]),
        ("/x", [(b"x-extra", b"a\nb")]),
        ("/x", [(b"x-extra", b"a\0b")]),
        ("/x", [(b"bad name", b"v")]),
        ("/x", [(b"", b"v")]),
        ("/x y", []),
        ("/x\r\nHost: evil", []),
        ("", []),
    ],
)
def test_nothing_can_split_a_request_head(target: str, headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(RequestHeadError):
        request_head("POST", target, b"h", headers, 0)


def test_a_response_head_is_read_with_lower_case_names() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id:  abc \r\n\r\nbody"
    parsed = parse_response_head(data)
    assert parsed is not None
    head, used = parsed
    assert head.status == 200 and head.keep_alive
    assert head.headers == [(b"content-type", b"text/event-stream"), (b"x-request-id", b"abc")]
    assert data[used:] == b"body"


@pytest.mark.parametrize(
    ("status_line", "connection", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK", b"", True),
        (b"HTTP/1.1 200 OK", b"close", False),
        (b"HTTP/1.1 429", b"Keep-Alive", True),  # no reason phrase is fine
        (b"HTTP/1.0 200 OK", b"", False),
        (b"HTTP/1.0 200 OK", b"keep-alive", True),
    ],
)
def test_whether_the_connection_may_be_reused(
    status_line: bytes, connection: bytes, keep_alive: bool
) -> None:
    extra = b"connection: " + connection + b"\r\n" if connection else b""
    parsed = parse_response_head(status_line + b"\r\n" + extra + b"\r\n")
    assert parsed is not None and parsed[0].keep_alive is keep_alive


def test_an_incomplete_head_waits_and_an_endless_one_is_refused() -> None:
    assert parse_response_head(b"HTTP/1.1 200 OK\r\ncontent-") is None
    with pytest.raises(ResponseHeadError):
        parse_response_head(b"HTTP/1.1 200 OK\r\nx: " + b"a" * MAX_HEAD_BYTES)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/2 200\r\n\r\n",
        b"SPDY/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad name: v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: v\r\n\r\n",
        b"<html>not http</html>\r\n\r\n",
    ],
)
def test_malformed_heads_are_refused(head: bytes) -> None:
    with pytest.raises(ResponseHeadError):
        parse_response_head(head)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_a_head_none_or_the_typed_error(data: bytes) -> None:
    try:
        parsed = parse_response_head(data)
    except ResponseHeadError:
        return
    if parsed is None:
        assert b"\r\n\r\n" not in data
    else:
        head, used = parsed
        assert 100 <= head.status <= 999 and data[used - 4 : used] == b"\r\n\r\n"


@given(
    st.integers(100, 599),
    st.lists(
        st.tuples(
            st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12),
            st.text("abcdefghijklmnopqrstuvwxyz0123456789 /;=,", max_size=30),
        ),
        max_size=8,
    ),
)
def test_any_well_formed_head_reads_back(status: int, headers: list[tuple[str, str]]) -> None:
    lines = [f"HTTP/1.1 {status} Whatever"] + [f"{n}: {v}" for n, v in headers]
    parsed = parse_response_head(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert parsed is not None
    assert parsed[0].status == status
    assert parsed[0].headers == [(n.encode(), v.strip().encode()) for n, v in headers]
