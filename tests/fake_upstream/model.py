"""Typed values shared by the fake upstream: recorded requests, faults, parsed turns, replies."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

Protocol = Literal["anthropic", "responses", "chat", "gemini"]
"""The provider protocol a request was routed to."""

PROTOCOLS: tuple[Protocol, ...] = ("anthropic", "responses", "chat", "gemini")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One HTTP request the fake received, as it arrived on the wire."""

    method: str
    path: str
    query: str
    """The raw query string (without the leading "?"); see `query_params`."""
    headers: tuple[tuple[str, str], ...]
    """Header pairs in arrival order, names lower-cased."""
    body: bytes
    json: Any
    """The parsed JSON body, or None when the body is empty or not JSON."""
    protocol: Protocol | None
    """None for requests that matched no model endpoint (preconnects, 404s)."""
    outcome: str = ""
    """What the fake answered: "text", "json", "tool_call:NAME", "tool_call:A,B" (several calls
    in one turn), "error:401", "fault:cut", ..."""
    turn: Turn | None = None
    """The request as the scripts saw it (None for requests that matched no model endpoint)."""
    reply: Reply | None = None
    """What the script answered (None for errors, faults other than a cut, count_tokens)."""

    @property
    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    @property
    def header_dict(self) -> dict[str, str]:
        """Headers as a dict (the last value wins for repeated names)."""
        return dict(self.headers)

    @property
    def stream(self) -> bool:
        """Whether the request asked for a streamed answer."""
        if self.protocol == "gemini":
            return ":streamGenerateContent" in self.path
        return isinstance(self.json, dict) and self.json.get("stream") is True


# ---------------------------------------------------------------------------- Gemini signatures

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""The sentinel Gemini accepts instead of a real thought signature (Gemini CLI sends it)."""
_SIGNATURE_PREFIX = b"fake-thought-signature:"


def thought_signature(call_id: str) -> str:
    """The (base64) thought signature the fake's Gemini side puts on a function call."""
    return base64.b64encode(_SIGNATURE_PREFIX + call_id.encode()).decode()


def signature_call_id(signature: str) -> str | None:
    """The call id a signature of `thought_signature` was made for, or None if it is not one."""
    try:
        raw = base64.b64decode(signature.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_SIGNATURE_PREFIX):
        return None
    return raw[len(_SIGNATURE_PREFIX) :].decode(errors="replace")


# ---------------------------------------------------------------------------- faults


@dataclass(frozen=True, slots=True)
class HttpError:
    """Answer with this HTTP status and the protocol's error JSON shape."""

    status: int
    message: str = "injected error"
    retry_after: float | None = None
    """When set, a `retry-after` header (seconds) is added."""


@dataclass(frozen=True, slots=True)
class CutStream:
    """Send the response head and `after_events` SSE events, then drop the connection.

    No terminating chunk is sent, so clients see an incomplete chunked body. For a
    non-streamed request the head (with the full content-length) and the first half of the
    body are sent instead.
    """

    after_events: int = 1


@dataclass(frozen=True, slots=True)
class Hang:
    """Read the request, send nothing for `seconds`, then close the connection."""

    seconds: float


@dataclass(frozen=True, slots=True)
class SlowFirstByte:
    """Wait `seconds` before the response head, then answer normally."""

    seconds: float


@dataclass(frozen=True, slots=True)
class StallStream:
    """A streamed answer that goes silent for `seconds` after `after_events` events, then
    goes on to its normal end. Whole answers are not affected."""

    after_events: int = 1
    seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class Reset:
    """Abort the connection with a TCP reset (RST, via SO_LINGER 0) instead of closing it.

    `after_events=0` resets right after reading the request, before any byte of the answer.
    With N > 0 the head and N SSE events are sent first (a non-streamed answer: the head, with
    the full content-length, and the first half of the body). Bytes the peer had no room for
    yet are lost, as with any reset; on loopback a few small events always arrive.
    """

    after_events: int = 0


@dataclass(frozen=True, slots=True)
class MalformedJson:
    """Answer 200 with a JSON content type and a body that is not JSON: the real (non-streamed)
    answer cut in the middle, its content-length matching, so the HTTP framing is sound and
    only the JSON is broken. Streamed requests get the same whole, broken answer."""


@dataclass(frozen=True, slots=True)
class BadSseData:
    """A streamed answer with one extra event after `after_events` events whose data line is
    not JSON (`data`); the stream then goes on to its normal end. The extra event copies the
    `event:` line of the event it precedes (if any). Whole answers are not affected."""

    after_events: int = 1
    data: str = "{this is not json"


@dataclass(frozen=True, slots=True)
class UnterminatedEvent:
    """A streamed answer in which one event (`index`, 0-based, negative from the end; by default
    the last) lacks the blank line that ends it. The HTTP body still ends cleanly. The last
    event unterminated is never dispatched by a strict SSE parser (like Chat's `data: [DONE]`
    without its blank line); an inner one runs into the next event, which a parser then reads
    as one event with two data lines. Whole answers are not affected."""

    index: int = -1


@dataclass(frozen=True, slots=True)
class CutMidUtf8:
    """Send the answer up to the first byte of its first multi-byte UTF-8 character, then close
    the connection (FIN; no terminating chunk, or fewer bytes than the content-length).

    The reply must contain a non-ASCII character (e.g. `TextReply("héllo")`); otherwise the
    fake answers 500 saying so.
    """


Fault = (
    HttpError
    | CutStream
    | Hang
    | SlowFirstByte
    | StallStream
    | Reset
    | MalformedJson
    | BadSseData
    | UnterminatedEvent
    | CutMidUtf8
)


# ---------------------------------------------------------------------------- parsed turns


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered in a request, in protocol-neutral form."""

    name: str
    kind: Literal["function", "custom"] = "function"
    """"custom" = a freeform (non-JSON input) tool, like codex's responses-lite `exec`."""
    schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Turn:
    """What a script needs to know about one request, independent of the protocol."""

    protocol: Protocol
    model: str
    stream: bool
    tools: tuple[ToolSpec, ...]
    tool_results: tuple[str, ...] | None
    """Texts of the tool results in the latest turn, or None if that turn has none."""
    json_schema: dict[str, Any] | None
    """The requested output schema when JSON output is requested ({} = any JSON object)."""
    wants_json: bool
    body_size: int
    tool_result_ids: tuple[str, ...] = ()
    """The call ids the latest turn's tool results answer, in the order of `tool_results`
    ("" where a result names none)."""
    call_ids: tuple[str, ...] = ()
    """The ids of every tool call the assistant made in the conversation, in order."""
    all_tool_results: tuple[str, ...] = ()
    """Texts of every tool result in the conversation, in order (multi-step tool loops)."""
    tool_pairing_errors: tuple[str, ...] = ()
    """Chat Completions only: where the conversation breaks OpenAI's rule that an assistant
    message with `tool_calls` is followed by one `tool` message per call id, and that every
    `tool` message answers such a call. Empty when the history is well formed."""
    call_signatures: tuple[str, ...] = ()
    """Gemini only: the `thoughtSignature` of each replayed `functionCall` part, parallel to
    `call_ids` ("" where a part carries none)."""
    wire_problems: tuple[str, ...] = ()
    """Gemini only: what the real API would refuse with a 400 (see `parse.gemini_problems`):
    unknown members, roles other than user/model, function responses that do not answer the
    calls just before them, a current-turn call without a valid thought signature, schema
    keywords a function declaration may not use. Empty when the request is well formed."""


# ---------------------------------------------------------------------------- replies


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the fake model makes.

    `arguments` is the JSON object for function tools; `input` the raw text for custom tools.
    """

    name: str
    call_id: str
    arguments: dict[str, Any] = field(default_factory=dict)
    kind: Literal["function", "custom"] = "function"
    input: str = ""

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments)


@dataclass(frozen=True, slots=True)
class Reply:
    """What the fake model says: optional reasoning, optional text, then optional tool calls.

    `tool_call` (one call) and `tool_calls` (several calls in one assistant turn) are two
    views of the same thing: give either; after construction `tool_call` is the first call of
    `tool_calls` (or None). `reasoning` is rendered by the Chat renderer (as
    `reasoning_content`) and the Gemini renderer (as thought parts), before the text; the
    others leave it out.
    """

    text: str = ""
    tool_call: ToolCall | None = None
    kind: Literal["text", "json", "tool_call"] = "text"
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str = ""
    chunks: tuple[str, ...] = ()
    """When set, the text deltas of a streamed answer, one per SSE event (else the text is split
    into a few deltas). `text` may be left empty; when given it must equal their join."""

    def __post_init__(self) -> None:
        if self.chunks:
            joined = "".join(self.chunks)
            if not self.text:
                object.__setattr__(self, "text", joined)
            elif self.text != joined:
                raise ValueError("Reply: text must equal the join of chunks")
        calls = tuple(self.tool_calls)
        if self.tool_call is not None:
            if not calls:
                calls = (self.tool_call,)
            elif calls[0] != self.tool_call:
                raise ValueError("Reply: tool_call must be the first of tool_calls")
        ids = [c.call_id for c in calls]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Reply: tool call ids repeat: {ids}")
        object.__setattr__(self, "tool_calls", calls)
        object.__setattr__(self, "tool_call", calls[0] if calls else None)

    @property
    def outcome(self) -> str:
        if self.tool_calls:
            return "tool_call:" + ",".join(c.name for c in self.tool_calls)
        return self.kind


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


def estimate_usage(turn: Turn, reply: Reply) -> Usage:
    """Cheap, deterministic token counts (about 4 bytes a token)."""
    out = len(reply.text) + len(reply.reasoning)
    for call in reply.tool_calls:
        out += len(call.arguments_json) + len(call.input)
    return Usage(input_tokens=max(1, turn.body_size // 4), output_tokens=max(1, out // 4))
