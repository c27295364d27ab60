"""Every decoder of every protocol survives arbitrary input.

A provider (or a client) can send anything: a decoder answers with neutral values of the right
types or a ``DecodeError``, never an exception the proxy would turn into a 500 or a dropped
stream. Inputs are arbitrary JSON built from the words the decoders look for (so the fuzzing
reaches past the first ``isinstance``), mutations of real requests, answers and streams (keys
deleted, types swapped, nulls inserted), and raw bytes fed in random chunkings.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import functools
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cligate.protocols import ir
from cligate.protocols.capabilities import CapabilityProfile, Decisions
from cligate.protocols.codecs import ClientView, Codec, codec_for
from cligate.protocols.error_shapes import error_body, stream_error_event
from cligate.protocols.kinds import WireProtocol
from cligate.protocols.sse import SseEvent, SseParser, encode_event

PROTOCOLS = sorted(WireProtocol)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CAPTURES = Path(__file__).parents[2] / "captures"
CAPTURED_PROTOCOL = {
    "claude": WireProtocol.ANTHROPIC,
    "codex": WireProtocol.OPENAI_RESPONSES,
    "gemini": WireProtocol.GEMINI,
}


# --- what a well-typed decoder output is ---------------------------------------------------


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(ir))


def assert_well_typed(value: object, hint: Any, where: str = "") -> None:
    """``value`` matches the ``ir`` annotation ``hint``: an encoder can rely on every field."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return
    if dataclasses.is_dataclass(hint):
        assert isinstance(value, hint), f"{where}: {value!r} is not {hint.__name__}"
        for name, field_hint in _hints(hint).items():
            assert_well_typed(getattr(value, name), field_hint, f"{where}.{name}")
    elif origin in (typing.Union, types.UnionType):
        failures = []
        for arm in typing.get_args(hint):
            try:
                assert_well_typed(value, arm, where)
                return
            except AssertionError as exc:
                failures.append(str(exc))
        raise AssertionError(f"{where}: {value!r} fits no arm of {hint}: {failures}")
    elif origin is typing.Literal:
        assert value in typing.get_args(hint), f"{where}: {value!r} not in {hint}"
    elif origin is tuple:
        assert isinstance(value, tuple), f"{where}: {value!r} is not a tuple"
        item = typing.get_args(hint)[0]
        for index, element in enumerate(value):
            assert_well_typed(element, item, f"{where}[{index}]")
    elif origin in (Mapping, dict):
        assert isinstance(value, Mapping), f"{where}: {value!r} is not a mapping"
        assert all(isinstance(key, str) for key in value), f"{where}: a key is not a string"
    elif hint is type(None):
        assert value is None, f"{where}: {value!r} is not None"
    elif hint is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif isinstance(hint, type) and issubclass(hint, Enum | str | bool):
        assert isinstance(value, hint), f"{where}: {value!r} is not {hint.__name__}"
    else:
        raise AssertionError(f"{where}: no check for {hint}")


TERMINAL = (ir.StreamFinished, ir.StreamFailed)


def assert_stream_events(events: list[ir.StreamEvent]) -> None:
    """Well-typed events, ending in exactly one finish or failure with nothing after it."""
    for index, event in enumerate(events):
        assert_well_typed(event, ir.StreamEvent, f"event {index}")
    terminal = [i for i, event in enumerate(events) if isinstance(event, TERMINAL)]
    assert terminal == [len(events) - 1], events


# --- arbitrary JSON, in the decoders' own words ---------------------------------------------


def _decoder_words() -> list[str]:
    """Every short string literal in the decoder modules: the keys and type names they read."""
    root = Path(ir.__file__).parent
    words: set[str] = set()
    for package in ("anthropic", "openai_chat", "openai_responses", "gemini"):
        for module in (root / package).glob("*.py"):
            if module.name.startswith(("decode", "vocabulary", "members")):
                for node in ast.walk(ast.parse(module.read_text())):
                    value = getattr(node, "value", None)
                    if (
                        isinstance(node, ast.Constant)
                        and isinstance(value, str)
                        and 0 < len(value) <= 40
                        and value.replace("_", "a").isalnum()
                    ):
                        words.add(value)
    return sorted(words)


WORDS = _decoder_words()
WORD = st.sampled_from(WORDS)
KEY = WORD | st.text(max_size=6)
SCALAR = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | WORD
    | st.text(max_size=10)
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=5),
    max_leaves=25,
)
OBJECT = st.dictionaries(KEY, JSON, max_size=8)


def dumps(value: object) -> str:
    """JSON text; the stdlib writes integers beyond 64 bits, as a provider may."""
    return json.dumps(value, ensure_ascii=False)


# --- mutated real inputs -------------------------------------------------------------------


def _paths(value: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _swapped(value: object) -> object:
    """The same content in another JSON type."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)} if value else "[]"
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return {}


MUTATIONS = ("delete", "null", "swap", "replace", "insert_null", "empty")


def mutated(document: object, draw: Callable[..., Any]) -> object:
    """``document`` with one to four random changes somewhere inside it."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(_paths(document))))
        mutation = draw(st.sampled_from(MUTATIONS))
        if not path:
            document = _swapped(document) if mutation == "swap" else document
            continue
        *parents, last = path
        parent: Any = document
        for step in parents:
            parent = parent[step]
        if mutation == "delete":
            del parent[last]
        elif mutation == "null":
            parent[last] = None
        elif mutation == "swap":
            parent[last] = _swapped(parent[last])
        elif mutation == "replace":
            parent[last] = draw(JSON)
        elif mutation == "insert_null" and isinstance(parent, list):
            parent.insert(last, None)
        elif mutation == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], list | dict) else ""
    return document


def _captured_requests() -> list[tuple[WireProtocol, dict[str, Any]]]:
    found = []
    for cli, protocol in CAPTURED_PROTOCOL.items():
        for path in sorted((CAPTURES / cli).glob("*__*.json")):
            body = json.loads(path.read_text())["request"].get("body")
            if isinstance(body, dict):
                found.append((protocol, body))
    return found


@functools.cache
def request_seeds(protocol: WireProtocol) -> list[dict[str, Any]]:
    """Real requests of ``protocol``: its CLI's captures, and every other CLI's captured
    requests as cligate writes them in ``protocol`` (the only Chat requests at hand)."""
    seeds = []
    for captured_protocol, body in _captured_requests():
        if captured_protocol is protocol:
            seeds.append(body)
            continue
        try:  # one codex capture is the "responses lite" shape, refused by design
            decoded = codec_for(captured_protocol).decode_request(body)
        except ir.DecodeError:
            continue
        else:
            encode = codec_for(protocol).encode_request
            seeds.append(encode(decoded, "m", CapabilityProfile(), Decisions()))
    return [orjson.loads(orjson.dumps(seed)) for seed in seeds]


VIEW = ClientView(model="m", created=1, include_usage=True, input_tokens_estimate=3)
USAGE = ir.Usage(10, 5, 2, 1, 3)
RESPONSE = ir.Response(
    id="resp_1",
    model="m",
    parts=(
        ir.Thinking("thought", signature="sig"),
        ir.Text("answer"),
        ir.ToolCall("call_1", "Bash", '{"command": "ls"}', signature="sig"),
        ir.ToolCall("call_2", "apply_patch", "*** Begin Patch", kind="custom"),
    ),
    stop_reason=ir.StopReason.TOOL_USE,
    usage=USAGE,
)
STREAM_EVENTS: list[ir.StreamEvent] = [
    ir.StreamStarted("resp_1", "m", ir.Usage(10)),
    ir.ThinkingDelta("thou"),
    ir.ThinkingDelta("ght"),
    ir.ThinkingSignature("sig"),
    ir.EncryptedReasoning("opaque"),
    ir.TextDelta("ans"),
    ir.TextDelta("wer"),
    ir.ToolCallDelta(0, "call_1", "Bash", '{"comm', signature="sig"),
    ir.ToolCallDelta(0, arguments='and": "ls"}'),
    ir.ToolCallDelta(1, "call_2", "apply_patch", "*** Begin", kind="custom"),
    ir.UsageUpdate(USAGE),
    ir.StreamFinished(ir.StopReason.TOOL_USE, USAGE),
]


@functools.cache
def response_seeds(protocol: WireProtocol) -> list[dict[str, Any]]:
    codec = codec_for(protocol)
    answers = [RESPONSE, dataclasses.replace(RESPONSE, parts=(), stop_reason=None, usage=None)]
    return [orjson.loads(orjson.dumps(codec.encode_response(a, VIEW))) for a in answers]


@functools.cache
def stream_seed(protocol: WireProtocol) -> tuple[SseEvent, ...]:
    """A real stream of ``protocol``, as its encoder writes it, parsed into SSE events."""
    encoder = codec_for(protocol).stream_encoder(VIEW)
    data = b"".join(encoder.encode(event) for event in STREAM_EVENTS)
    parser = SseParser()
    return tuple(parser.feed(data) + parser.finish())


def sse_bytes(events: list[SseEvent]) -> bytes:
    return b"".join(encode_event(e.data, None if e.event == "message" else e.event) for e in events)


# --- requests ------------------------------------------------------------------------------


def check_request(codec: Codec, body: object) -> None:
    try:
        request = codec.decode_request(body)  # type: ignore[arg-type]
    except ir.DecodeError:
        return
    assert_well_typed(request, ir.Request, "request")
    # What decodes also encodes, for every provider protocol (or is a named refusal).
    for protocol in PROTOCOLS:
        with contextlib.suppress(ir.DecodeError):
            codec_for(protocol).encode_request(request, "m", CapabilityProfile(), Decisions())


@pytest.mark.parametrize("protocol", PROTOCOLS)
@SETTINGS
@given(body=JSON | OBJECT)
def test_decode_request_on_arbitrary_json(protocol: WireProtocol, body: object) -> None:
    check_request(codec_for(protocol), body)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_decode_request_on_mutated_real_requests(
    protocol: WireProtocol, data: st.DataObject
) -> None:
    seed = data.draw(st.sampled_from(request_seeds(protocol)))
    check_request(codec_for(protocol), mutated(seed, data.draw))


def test_real_requests_decode() -> None:
    """The seeds themselves are valid: the mutations start from something that decodes."""
    for protocol in PROTOCOLS:
        decoded = 0
        for seed in request_seeds(protocol):
            try:
                assert_well_typed(codec_for(protocol).decode_request(seed), ir.Request)
                decoded += 1
            except ir.DecodeError:
                assert "responses lite" in json.dumps(seed) or protocol is not PROTOCOLS[0]
        assert decoded >= 8, protocol


# --- whole answers and errors --------------------------------------------------------------


def check_response(codec: Codec, body: object) -> None:
    try:
        response = codec.decode_response(body)  # type: ignore[arg-type]
    except ir.DecodeError:
        return
    assert_well_typed(response, ir.Response, "response")
    for protocol in PROTOCOLS:  # and reaches any client
        codec_for(protocol).encode_response(response, VIEW)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@SETTINGS
@given(body=JSON | OBJECT)
def test_decode_response_on_arbitrary_json(protocol: WireProtocol, body: object) -> None:
    check_response(codec_for(protocol), body)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_decode_response_on_mutated_real_answers(
    protocol: WireProtocol, data: st.DataObject
) -> None:
    seed = data.draw(st.sampled_from(response_seeds(protocol)))
    check_response(codec_for(protocol), mutated(seed, data.draw))


STATUS = st.sampled_from([400, 401, 403, 404, 413, 429, 500, 502, 503, 529]) | st.integers(100, 599)


@st.composite
def error_bodies(draw: Callable[..., Any]) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "real"]))
    if kind == "bytes":
        return bytes(draw(st.binary(max_size=200)))
    if kind == "json":
        return dumps(draw(JSON | OBJECT | st.builds(lambda v: {"error": v}, JSON))).encode()
    protocol = draw(st.sampled_from(PROTOCOLS))
    real = orjson.loads(error_body(protocol, draw(STATUS), "no"))
    return dumps(mutated(real, draw)).encode()


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(SETTINGS, max_examples=80)
@given(status=STATUS, body=error_bodies())
@example(status=500, body=b"\xff\xfe not utf-8")
@example(status=429, body=b"")
def test_decode_error_never_raises(protocol: WireProtocol, status: int, body: bytes) -> None:
    error = codec_for(protocol).decode_error(status, body)
    assert_well_typed(error, ir.ErrorInfo, "error")


# --- streams -------------------------------------------------------------------------------


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def decode_stream(protocol: WireProtocol, pieces: list[bytes]) -> list[ir.StreamEvent]:
    decoder = codec_for(protocol).stream_decoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.finish()


# A call id Chat's decoder makes up for an answer without an id is random by design.
_MADE_UP_ID = re.compile(r"call_[0-9a-f]{8}_[0-9]+")


def _same_ids(events: list[ir.StreamEvent]) -> list[ir.StreamEvent]:
    return [
        dataclasses.replace(e, id=_MADE_UP_ID.sub("call_made_up", e.id))
        if isinstance(e, ir.ToolCallDelta) and e.id
        else e
        for e in events
    ]


def check_stream(protocol: WireProtocol, data: bytes, cuts: list[int]) -> None:
    events = decode_stream(protocol, chunked(data, cuts))
    assert_stream_events(events)
    whole = decode_stream(protocol, [data])
    assert _same_ids(events) == _same_ids(whole), "the chunking changed the events"


CUTS = st.lists(st.integers(0, 4000), max_size=8)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@SETTINGS
@given(data=st.binary(max_size=400), cuts=CUTS)
def test_stream_decoder_on_arbitrary_bytes(
    protocol: WireProtocol, data: bytes, cuts: list[int]
) -> None:
    check_stream(protocol, data, cuts)


EVENT_NAME = st.none() | WORD | st.text(max_size=8).filter(lambda s: "\n" not in s)
PAYLOAD = st.one_of(
    JSON.map(dumps),
    OBJECT.map(dumps),
    st.sampled_from(["[DONE]", "", "{", "null", '{"type": null}']),
    st.text(max_size=20).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
)
SSE_EVENTS = st.lists(st.builds(encode_event, PAYLOAD, EVENT_NAME), max_size=8)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@SETTINGS
@given(events=SSE_EVENTS, cuts=CUTS, tail=st.sampled_from([b"", b"\n", b"data: {", b"\r\n"]))
def test_stream_decoder_on_arbitrary_sse_events(
    protocol: WireProtocol, events: list[bytes], cuts: list[int], tail: bytes
) -> None:
    check_stream(protocol, b"".join(events) + tail, cuts)


@st.composite
def mutated_streams(draw: Callable[..., Any], protocol: WireProtocol) -> bytes:
    """A real stream with some events' JSON mutated, some dropped, repeated or reordered, and
    maybe another protocol's events or an error event spliced in."""
    events = list(stream_seed(protocol))
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(events) - 1))
        action = draw(st.sampled_from(["mutate", "mutate", "drop", "repeat", "move", "foreign"]))
        event = events[index]
        if action == "mutate":
            try:
                value = json.loads(event.data)
            except ValueError:
                continue
            events[index] = SseEvent(event.event, dumps(mutated(value, draw)))
        elif action == "drop" and len(events) > 1:
            del events[index]
        elif action == "repeat":
            events.insert(index, event)
        elif action == "move":
            events.insert(draw(st.integers(0, len(events))), events.pop(index))
        elif action == "foreign":
            other = draw(st.sampled_from(PROTOCOLS))
            spliced = list(stream_seed(other))
            error = stream_error_event(other, draw(STATUS), "boom")
            parser = SseParser()
            spliced += parser.feed(error) + parser.finish()
            events.insert(index, draw(st.sampled_from(spliced)))
    return sse_bytes(events)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(SETTINGS, max_examples=60)
@given(data=st.data(), cuts=CUTS)
def test_stream_decoder_on_mutated_real_streams(
    protocol: WireProtocol, data: st.DataObject, cuts: list[int]
) -> None:
    check_stream(protocol, data.draw(mutated_streams(protocol)), cuts)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_real_streams_decode_to_a_finish(protocol: WireProtocol) -> None:
    events = decode_stream(protocol, [sse_bytes(list(stream_seed(protocol)))])
    assert_stream_events(events)
    assert isinstance(events[-1], ir.StreamFinished)


# --- the SSE parser ------------------------------------------------------------------------


def parse_sse(pieces: list[bytes]) -> list[SseEvent]:
    parser = SseParser()
    return [event for piece in pieces for event in parser.feed(piece)] + parser.finish()


@settings(SETTINGS, max_examples=200)
@given(
    data=st.binary(max_size=300)
    | st.lists(st.sampled_from([b"data:", b"event:", b" x", b":", b"\r", b"\n", b"\xc3"])).map(
        b"".join
    ),
    cuts=st.lists(st.integers(0, 300), max_size=10),
)
@example(data=b"data: a\r\r\n\n", cuts=[8])
@example(data=b"data: \xc3\xa9\n\n", cuts=[7])
def test_sse_parser_on_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    whole = parse_sse([data])
    assert parse_sse(chunked(data, cuts)) == whole
    assert parse_sse([bytes([b]) for b in data]) == whole
    for event in whole:
        assert isinstance(event.event, str) and isinstance(event.data, str)


# --- crashes the fuzzing found, pinned -----------------------------------------------------
# Each was a TypeError (an unhashable JSON value looked up in a set or dict): a 500 for a
# whole answer, a translated stream dropped without its error event.


def test_gemini_finish_reason_of_another_type_is_an_ordinary_end() -> None:
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}}]}
    body["candidates"][0]["finishReason"] = []
    response = codec_for(WireProtocol.GEMINI).decode_response(body)
    assert response.stop_reason is ir.StopReason.END


def test_responses_stream_item_types_of_another_type_are_skipped() -> None:
    stream = list(stream_seed(WireProtocol.OPENAI_RESPONSES))
    for kind in ("response.output_item.added", "response.output_item.done"):
        odd = SseEvent(kind, dumps({"type": kind, "output_index": 0, "item": {"type": []}}))
        events = decode_stream(WireProtocol.OPENAI_RESPONSES, [sse_bytes([stream[0], odd])])
        assert_stream_events(events)


def test_anthropic_stream_block_index_of_another_type_is_skipped() -> None:
    delta = {"type": "content_block_delta", "index": [0], "delta": {"type": "text_delta"}}
    stream = [*stream_seed(WireProtocol.ANTHROPIC)]
    stream.insert(1, SseEvent("content_block_delta", dumps(delta)))
    events = decode_stream(WireProtocol.ANTHROPIC, [sse_bytes(stream)])
    assert_stream_events(events)
    assert isinstance(events[-1], ir.StreamFinished)
