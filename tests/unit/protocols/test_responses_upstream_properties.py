"""Property tests: any request (an Anthropic body, or neutral values another client's decoder
could make) becomes a Responses body the API takes, or a named refusal; garbage stream bytes
never raise."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.responses import response_create_params
from pydantic import TypeAdapter

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_request import decode_request
from cligate.protocols.capabilities import CapabilityProfile, Decisions, StrictModeError
from cligate.protocols.openai_responses.decode_stream import ResponsesStreamDecoder
from cligate.protocols.openai_responses.encode_request import encode_request
from tests.unit.protocols.test_claude_to_chat_properties import BODY, PROFILE

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _params() -> TypeAdapter[Any]:
    return TypeAdapter(response_create_params.ResponseCreateParamsBase)


def _materialise(value: Any) -> Any:
    """Pydantic validates ``Iterable`` fields lazily: walk them so every item is checked."""
    if isinstance(value, Mapping):
        return {k: _materialise(v) for k, v in value.items()}
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Iterable):
        return [_materialise(v) for v in value]
    return value


def _as_sdk_declares(body: dict[str, Any]) -> dict[str, Any]:
    """The SDK's input types want ids on assistant messages and reasoning items, which the API
    itself does not need with ``store: false`` (Codex leaves them out): add stand-ins."""
    body = copy.deepcopy(body)
    for n, item in enumerate(body["input"]):
        if item["type"] == "reasoning":
            item["id"] = f"rs_{n}"
        elif item["type"] == "message" and item["role"] == "assistant":
            item.update(id=f"msg_{n}", status="completed")
    return body


def assert_valid_responses_body(body: dict[str, Any]) -> None:
    _materialise(_params().validate_python(_as_sdk_declares(body)))
    assert body["store"] is False
    calls: dict[str, str] = {}  # call id → output type it needs
    answered: set[str] = set()
    for item in body["input"]:
        kind = item["type"]
        if kind == "message":
            assert item["role"] in ("user", "assistant", "developer")
            assert item["content"], "an empty message"
            for part in item["content"]:
                if part["type"] in ("input_text", "output_text"):
                    assert part["text"], "an empty text part"
        elif kind in ("function_call", "custom_tool_call"):
            calls[item["call_id"]] = f"{kind}_output"
        elif kind in ("function_call_output", "custom_tool_call_output"):
            assert calls.get(item["call_id"]) == kind, "an output without its call"
            answered.add(item["call_id"])
        else:
            assert kind == "reasoning" and item["encrypted_content"]
    assert answered == set(calls), "a call without an output"
    if "instructions" in body:
        assert body["instructions"]
    if "max_output_tokens" in body:
        assert body["max_output_tokens"] >= 16


@SETTINGS
@given(body=BODY, profile=PROFILE, strict=st.booleans())
def test_anthropic_requests_become_valid_responses_bodies(
    body: dict[str, Any], profile: CapabilityProfile, strict: bool
) -> None:
    decisions = Decisions(strict=strict)
    try:
        request = decode_request(body)
        out = encode_request(request, "gpt-x", profile, decisions)
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        assert "duplicate tool_use id" in str(exc)
        return
    assert_valid_responses_body(out)


# --- neutral requests as any client's decoder could make them ---------------------------

TEXT = st.text(max_size=8)
IDS = st.sampled_from(["call_1", "call_2", "functions.A:0", "toolu_cgx_ZnVuY3Rpb25zLkE6MA"])
IMAGE = st.one_of(
    st.builds(ir.Image, media_type=st.sampled_from(["image/png", "image/bmp"]), data=st.just("AA")),
    st.builds(ir.Image, url=st.just("https://x.test/a.png"), cache=st.booleans()),
)
DOCUMENT = st.one_of(
    st.builds(ir.Document, text=TEXT, title=st.one_of(st.none(), TEXT)),
    st.builds(ir.Document, media_type=st.just("application/pdf"), data=st.just("JVBE")),
    st.builds(ir.Document, url=st.just("https://x.test/d.pdf")),
)
THINKING = st.one_of(
    st.builds(ir.Thinking, text=TEXT),
    st.builds(ir.Thinking, text=TEXT, signature=st.just("sig")),
    st.builds(ir.Thinking, redacted=st.just("opaque")),
    st.builds(ir.Thinking, text=TEXT, encrypted=st.just("gAAAenc")),
)
CALL = st.builds(
    ir.ToolCall,
    id=IDS,
    name=st.sampled_from(["A", "apply_patch"]),
    arguments=st.sampled_from(["{}", '{"a":1}', "", "free text"]),
    kind=st.sampled_from(["function", "custom"]),
)
RESULT = st.builds(
    ir.ToolResult,
    call_id=IDS,
    content=st.lists(st.one_of(st.builds(ir.Text, TEXT), IMAGE), max_size=3).map(tuple),
    is_error=st.booleans(),
    cache=st.booleans(),
)
ANY_PART = st.one_of(
    st.builds(ir.Text, TEXT, st.booleans()), IMAGE, DOCUMENT, THINKING, CALL, RESULT
)
MESSAGE = st.builds(
    ir.Message,
    role=st.sampled_from(["user", "assistant", "system"]),
    parts=st.lists(ANY_PART, max_size=4).map(tuple),
)
TOOLS = st.lists(
    st.one_of(
        st.builds(
            ir.ToolDef, name=st.sampled_from(["A", "B"]), parameters=st.just({"type": "object"})
        ),
        st.builds(
            ir.ToolDef,
            name=st.just("apply_patch"),
            kind=st.just("custom"),
            format=st.sampled_from([None, {"type": "text"}]),
        ),
    ),
    max_size=3,
).map(tuple)
REQUEST = st.builds(
    ir.Request,
    model=st.just("m"),
    messages=st.lists(MESSAGE, max_size=6).map(tuple),
    system=st.lists(st.builds(ir.Text, TEXT, st.booleans()), max_size=2).map(tuple),
    tools=TOOLS,
    tool_choice=st.one_of(
        st.none(),
        st.builds(
            ir.ToolChoice,
            mode=st.sampled_from(list(ir.ToolChoiceMode)),
            name=st.sampled_from(["A", "apply_patch"]),
            parallel=st.sampled_from([None, False]),
        ),
    ),
    max_tokens=st.one_of(st.none(), st.integers(1, 200_000)),
    temperature=st.one_of(st.none(), st.floats(0, 2)),
    top_k=st.one_of(st.none(), st.integers(1, 5)),
    stop=st.lists(TEXT, max_size=2).map(tuple),
    stream=st.booleans(),
    thinking=st.one_of(
        st.none(),
        st.builds(
            ir.ThinkingConfig,
            enabled=st.booleans(),
            budget_tokens=st.one_of(st.none(), st.integers(1024, 40_000)),
            effort=st.one_of(st.none(), st.sampled_from(list(ir.Effort))),
            adaptive=st.booleans(),
        ),
    ),
    output_format=st.one_of(
        st.none(),
        st.builds(ir.OutputFormat, schema=st.sampled_from([None, {"type": "object"}])),
    ),
    user=st.one_of(st.none(), st.sampled_from(["u-1", '{"device_id":"x"}', ""])),
    extras=st.sampled_from(
        [{}, {"hosted_tools": [{"type": "web_search"}]}, {"seed": 1}, {"server_tools": [{}]}]
    ),
)


@SETTINGS
@given(request=REQUEST, profile=PROFILE, strict=st.booleans())
def test_neutral_requests_become_valid_responses_bodies(
    request: ir.Request, profile: CapabilityProfile, strict: bool
) -> None:
    try:
        out = encode_request(request, "gpt-x", profile, Decisions(strict=strict))
    except StrictModeError:
        assert strict
        return
    except ir.DecodeError as exc:
        assert "duplicate tool call id" in str(exc)
        return
    assert_valid_responses_body(out)


# --- streams ------------------------------------------------------------------------------

EVENT_TYPES = st.sampled_from(
    [
        "response.created",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.delta",
        "response.reasoning_summary_text.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.custom_tool_call_input.delta",
        "response.completed",
        "response.incomplete",
        "response.failed",
        "error",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELD_VALUES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["function_call", "custom_tool_call", "reasoning", "message"])},
        optional={
            "id": TEXT,
            "call_id": TEXT,
            "name": TEXT,
            "arguments": JSON,
            "input": JSON,
            "encrypted_content": JSON,
            "summary": JSON,
            "content": JSON,
            "status": TEXT,
            "output": JSON,
            "error": JSON,
        },
    ),
)
EVENT = st.fixed_dictionaries(
    {"type": EVENT_TYPES},
    optional={
        key: FIELD_VALUES
        for key in ("item", "response", "delta", "item_id", "output_index", "code", "message")
    },
)


def _sse(payload: Any) -> bytes:
    import json

    return b"data: " + json.dumps(payload).encode() + b"\n\n"


@settings(SETTINGS, max_examples=80)
@given(
    chunks=st.lists(st.one_of(st.binary(max_size=40), EVENT.map(_sse), JSON.map(_sse)), max_size=8),
    cut=st.integers(0, 20),
)
def test_garbage_streams_never_raise(chunks: list[bytes], cut: int) -> None:
    data = b"".join(chunks)
    decoder = ResponsesStreamDecoder()
    events = decoder.feed(data[:cut]) + decoder.feed(data[cut:]) + decoder.finish()
    endings = [e for e in events if isinstance(e, ir.StreamFinished | ir.StreamFailed)]
    assert len(endings) == 1 and events[-1] is endings[0]
    calls = [e for e in events if isinstance(e, ir.ToolCallDelta)]
    starts = [e.index for e in calls if e.id is not None]
    assert starts == list(range(len(starts)))  # numbered 0, 1, … in the order they start
