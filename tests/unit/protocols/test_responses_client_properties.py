"""Property tests: any valid Responses request becomes a valid Chat or Anthropic body (or a
named refusal); garbage is a DecodeError, never a crash; any sequence of neutral events becomes
a stream the official SDK reads."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_request import encode_request as to_anthropic
from cligate.protocols.capabilities import CapabilityProfile, Decisions, StrictModeError
from cligate.protocols.codecs import ClientView
from cligate.protocols.openai_chat.encode_request import encode_request as to_chat
from cligate.protocols.openai_responses.decode_request import decode_request
from cligate.protocols.openai_responses.encode_stream import ResponsesStreamEncoder
from tests.unit.protocols.test_chat_to_anthropic_properties import PROFILE as ANTHROPIC
from tests.unit.protocols.test_chat_to_anthropic_properties import check_anthropic_body
from tests.unit.protocols.test_claude_to_chat_properties import PROFILE as CHAT_PROFILES
from tests.unit.protocols.test_claude_to_chat_properties import assert_valid_chat_body

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(max_size=10)
IDS = st.sampled_from(["call_1", "call_2", "functions.f:0", "call|x"])
NAMES = st.sampled_from(["exec_command", "apply_patch", "tool_search"])


def part(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}


USER_PART = st.one_of(
    st.builds(lambda t: part("input_text", text=t), TEXT),
    st.sampled_from(
        [
            part("input_image", image_url="data:image/png;base64,AAAA"),
            part("input_image", image_url="https://example.test/a.png", detail="low"),
            part("input_file", filename="a.pdf", file_data="data:application/pdf;base64,JVBE"),
        ]
    ),
)
OUTPUT = st.one_of(
    TEXT, st.lists(USER_PART.filter(lambda p: p["type"] != "input_file"), max_size=2)
)
ITEM = st.one_of(
    st.builds(lambda c: {"type": "message", "role": "user", "content": c},
              st.one_of(TEXT, st.lists(USER_PART, max_size=3))),
    st.builds(lambda r, t: {"role": r, "content": [part("input_text", text=t)]},
              st.sampled_from(["developer", "system"]), TEXT),
    st.builds(lambda t: {"type": "message", "role": "assistant",
                         "content": [part("output_text", text=t, annotations=[])]}, TEXT),
    st.builds(lambda i, n, a: part("function_call", call_id=i, name=n, arguments=a),
              IDS, NAMES, st.sampled_from(['{"cmd": "ls"}', "", "not json", "[1]"])),
    st.builds(lambda i, t: part("custom_tool_call", call_id=i, name="apply_patch", input=t),
              IDS, TEXT),
    st.builds(lambda i, o: part("function_call_output", call_id=i, output=o), IDS, OUTPUT),
    st.builds(lambda i, o: part("custom_tool_call_output", call_id=i, output=o), IDS, OUTPUT),
    st.builds(lambda t, e: {"type": "reasoning", "summary": [part("summary_text", text=t)],
                            **({"encrypted_content": e} if e else {})},
              TEXT, st.sampled_from([None, "gAAA", "cligate:signature:S", "cligate:redacted:R"])),
)  # fmt: skip
TOOLS = st.lists(
    st.sampled_from(
        [
            {"type": "function", "name": "exec_command", "strict": False,
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
            {"type": "custom", "name": "apply_patch", "description": "patch",
             "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
            {"type": "tool_search", "execution": "client", "parameters": {"type": "object"}},
            {"type": "web_search", "external_web_access": True},
            {"type": "namespace", "name": "ns", "description": "", "tools": []},
        ]
    ),
    max_size=4,
    unique_by=lambda t: t["type"],
)  # fmt: skip
OPTIONS: dict[str, Any] = {
    "instructions": TEXT,
    "tools": TOOLS,
    "tool_choice": st.one_of(
        st.sampled_from(["auto", "none", "required"]),
        st.just({"type": "function", "name": "exec_command"}),
        st.just({"type": "allowed_tools", "mode": "auto", "tools": []}),
    ),
    "parallel_tool_calls": st.booleans(),
    "reasoning": st.fixed_dictionaries(
        {},
        optional={
            "effort": st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh"]),
            "summary": st.sampled_from(["auto", "concise", "detailed"]),
        },
    ),
    "text": st.fixed_dictionaries(
        {},
        optional={
            "format": st.sampled_from(
                [
                    {"type": "text"},
                    {"type": "json_object"},
                    {"type": "json_schema", "name": "o", "schema": {"type": "object"}},
                ]
            ),
            "verbosity": st.sampled_from(["low", "high"]),
        },
    ),
    "max_output_tokens": st.integers(1, 50_000),
    "temperature": st.floats(0, 2),
    "top_p": st.floats(0, 1),
    "stream": st.booleans(),
    "store": st.booleans(),
    "include": st.just(["reasoning.encrypted_content"]),
    "prompt_cache_key": TEXT,
    "user": st.sampled_from(["u1", "x" * 80]),
}
BODY = st.fixed_dictionaries(
    {"model": st.just("gpt-5"), "input": st.one_of(TEXT, st.lists(ITEM, min_size=1, max_size=7))},
    optional=OPTIONS,
)


@SETTINGS
@given(body=BODY, profile=CHAT_PROFILES, strict=st.booleans())
def test_valid_requests_become_valid_chat_bodies(
    body: dict[str, Any], profile: CapabilityProfile, strict: bool
) -> None:
    try:
        request = decode_request(body)
        out = to_chat(request, "m", profile, Decisions(strict=strict))
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        # The generator repeats call ids, which no protocol takes twice in one turn.
        assert "duplicate call_id" in str(exc)
        return
    assert_valid_chat_body(out)


@SETTINGS
@given(body=BODY, strict=st.booleans())
def test_valid_requests_become_valid_anthropic_bodies(body: dict[str, Any], strict: bool) -> None:
    try:
        request = decode_request(body)
        out = to_anthropic(request, "m", ANTHROPIC, Decisions(strict=strict))
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        # The generator repeats call ids, which Anthropic cannot take twice in one turn.
        assert "duplicate call_id" in str(exc) or "duplicate tool_use id" in str(exc)
        return
    check_anthropic_body(out)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["model", "input", "instructions", "tools", "tool_choice", "reasoning", "text",
     "max_output_tokens", "temperature", "stream", "user", "parallel_tool_calls"]
)  # fmt: skip
ITEM_KEYS = st.sampled_from(
    ["type", "role", "content", "call_id", "name", "arguments", "output", "input", "summary",
     "encrypted_content"]
)  # fmt: skip


@SETTINGS
@given(
    st.one_of(
        JSON,
        st.dictionaries(KEYS, JSON, max_size=5),
        st.builds(lambda items: {"input": items},
                  st.lists(st.dictionaries(ITEM_KEYS, JSON, max_size=4), max_size=3)),
        BODY.flatmap(lambda b: st.builds(lambda k, v: {**b, k: v}, KEYS, JSON)),
    )
)  # fmt: skip
def test_garbage_is_a_decode_error(garbage: Any) -> None:
    try:
        request = decode_request(garbage)
    except ir.DecodeError:
        return
    # What decodes also encodes (strict refusals and Anthropic's duplicate ids aside).
    to_chat(request, "m", CapabilityProfile(), Decisions())
    try:
        to_anthropic(request, "m", ANTHROPIC, Decisions())
    except ir.DecodeError as exc:
        assert "duplicate tool_use id" in str(exc)


EVENT = st.one_of(
    st.builds(ir.TextDelta, TEXT),
    st.builds(ir.ThinkingDelta, TEXT),
    st.builds(ir.ThinkingSignature, st.just("sig")),
    st.builds(ir.EncryptedReasoning, st.just("enc")),
    st.builds(ir.RedactedThinking, st.just("red")),
    st.builds(
        ir.ToolCallDelta,
        st.integers(0, 2),
        st.one_of(st.none(), IDS),
        st.one_of(st.none(), NAMES),
        st.sampled_from(["", '{"in', 'put": "x"}', "{}"]),
        st.sampled_from(["function", "custom"]),
    ),
    st.builds(ir.UsageUpdate, st.builds(ir.Usage, st.integers(0, 9), st.integers(0, 9))),
)
END = st.one_of(
    st.builds(ir.StreamFinished, st.one_of(st.none(), st.sampled_from(ir.StopReason))),
    st.builds(ir.StreamFailed, st.builds(ir.ErrorInfo, st.sampled_from([429, 500]), TEXT)),
)
VIEW = ClientView(model="gpt-5", created=1, custom_tools=frozenset({"apply_patch"}))


def sdk_events(body: bytes) -> list[Any]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    with client.responses.stream(model="gpt-5", input="hi") as stream:
        return list(stream)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENT, max_size=10), END, st.booleans())
def test_any_event_sequence_is_a_stream_the_sdk_reads(
    events: list[ir.StreamEvent], end: ir.StreamEvent, started: bool
) -> None:
    encoder = ResponsesStreamEncoder(VIEW)
    head: list[ir.StreamEvent] = [ir.StreamStarted("chatcmpl-1", "m")] if started else []
    out = b"".join(encoder.encode(e) for e in [*head, *events, end])
    assert encoder.finished
    assert encoder.encode(ir.TextDelta("late")) == b""
    parsed = sdk_events(out)
    assert [e.sequence_number for e in parsed] == list(range(len(parsed)))
    last = parsed[-1]
    if isinstance(end, ir.StreamFailed):
        assert last.type == "response.failed"
        return
    assert last.type in ("response.completed", "response.incomplete")
    output = last.response.output
    assert output, "never an empty answer"
    texts = "".join(e.text for e in events if isinstance(e, ir.TextDelta))
    assert (
        "".join(c.text for item in output if item.type == "message" for c in item.content) == texts
    )
    call_ids = [
        item.call_id for item in output if item.type in ("function_call", "custom_tool_call")
    ]
    assert len(call_ids) == len(set(call_ids)) or any(
        isinstance(e, ir.ToolCallDelta) and e.id is not None for e in events
    )
    json.dumps([item.to_dict() for item in output])
