"""Property tests: any valid Anthropic request becomes a Chat body providers accept (or a
named refusal), and garbage is a DecodeError, never a crash."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import completion_create_params
from pydantic import TypeAdapter

from cligate.protocols import ir
from cligate.protocols.anthropic.decode_request import decode_request
from cligate.protocols.capabilities import CapabilityProfile, Decisions, StrictModeError
from cligate.protocols.openai_chat.encode_request import encode_request

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

IDS = st.sampled_from(["toolu_1", "call_2", "toolu_cgx_ZnVuY3Rpb25zLkE6MA"])
TEXT = st.text(max_size=12)
CACHE = st.sampled_from([{}, {"cache_control": {"type": "ephemeral"}}])
IMAGE_SOURCE = st.one_of(
    st.builds(
        lambda t: {"type": "base64", "media_type": t, "data": "AAAA"},
        st.sampled_from(["image/png", "image/jpeg", "image/bmp"]),
    ),
    st.just({"type": "url", "url": "https://example.test/a.png"}),
)
IMAGE = st.builds(lambda s, c: {"type": "image", "source": s, **c}, IMAGE_SOURCE, CACHE)
TEXT_BLOCK = st.builds(lambda t, c: {"type": "text", "text": t, **c}, TEXT, CACHE)
DOCUMENT = st.builds(
    lambda s, title: {"type": "document", "source": s, **({"title": title} if title else {})},
    st.sampled_from(
        [
            {"type": "text", "media_type": "text/plain", "data": "doc"},
            {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
            {"type": "url", "url": "https://example.test/d.pdf"},
            {"type": "content", "content": [{"type": "text", "text": "c"}]},
        ]
    ),
    st.one_of(st.none(), TEXT),
)
TOOL_RESULT = st.builds(
    lambda i, content, err, c: {
        "type": "tool_result",
        "tool_use_id": i,
        "content": content,
        "is_error": err,
        **c,
    },
    IDS,
    st.one_of(TEXT, st.lists(st.one_of(TEXT_BLOCK, IMAGE), max_size=3)),
    st.booleans(),
    CACHE,
)
USER_BLOCK = st.one_of(TEXT_BLOCK, IMAGE, DOCUMENT, TOOL_RESULT)
ASSISTANT_BLOCK = st.one_of(
    TEXT_BLOCK,
    st.builds(
        lambda i, n, args: {"type": "tool_use", "id": i, "name": n, "input": args},
        IDS,
        st.sampled_from(["Bash", "Read"]),
        st.dictionaries(st.sampled_from(["a", "b"]), st.one_of(st.integers(), TEXT), max_size=2),
    ),
    st.builds(
        lambda t, s: {"type": "thinking", "thinking": t, "signature": s},
        TEXT,
        st.sampled_from(["", "sig"]),
    ),
    st.just({"type": "redacted_thinking", "data": "opaque"}),
)
MESSAGE = st.one_of(
    st.builds(
        lambda c: {"role": "user", "content": c},
        st.one_of(TEXT, st.lists(USER_BLOCK, max_size=4)),
    ),
    st.builds(
        lambda c: {"role": "assistant", "content": c},
        st.one_of(TEXT, st.lists(ASSISTANT_BLOCK, max_size=4)),
    ),
    st.builds(lambda c: {"role": "system", "content": c}, TEXT),
)


@st.composite
def exchange(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An assistant turn with tool calls and a user turn answering some of them, in any
    order, mixed with other blocks: the shape that pairing must get right."""
    ids = draw(st.lists(IDS, min_size=1, max_size=3, unique=True))
    uses = [{"type": "tool_use", "id": i, "name": "Bash", "input": {}} for i in ids]
    before = draw(st.lists(st.one_of(TEXT_BLOCK, ASSISTANT_BLOCK.filter(_no_call)), max_size=2))
    answered = draw(st.permutations(ids))[: draw(st.integers(0, len(ids)))]
    results = [draw(TOOL_RESULT.map(lambda r, i=i: {**r, "tool_use_id": i})) for i in answered]
    extra = draw(st.lists(st.one_of(TEXT_BLOCK, IMAGE, TOOL_RESULT), max_size=2))
    user = draw(st.permutations(results + extra))
    return [{"role": "assistant", "content": before + uses}, {"role": "user", "content": user}]


def _no_call(block: dict[str, Any]) -> bool:
    return block["type"] != "tool_use"


MESSAGES = st.lists(st.one_of(MESSAGE.map(lambda m: [m]), exchange()), max_size=5).map(
    lambda groups: [m for group in groups for m in group]
)
TOOLS = st.lists(
    st.one_of(
        st.builds(
            lambda n: {"name": n, "description": "d", "input_schema": {"type": "object"}},
            st.sampled_from(["Bash", "Read", "Edit"]),
        ),
        st.just({"type": "web_search_20250305", "name": "web_search"}),
    ),
    max_size=3,
)
OPTIONALS: dict[str, Any] = {
    "system": st.one_of(TEXT, st.lists(TEXT_BLOCK, max_size=3)),
    "tools": TOOLS,
    "tool_choice": st.one_of(
        st.builds(
            lambda t, p: {"type": t, "disable_parallel_tool_use": p},
            st.sampled_from(["auto", "any", "none"]),
            st.booleans(),
        ),
        st.just({"type": "tool", "name": "Bash"}),
    ),
    "thinking": st.sampled_from(
        [
            {"type": "enabled", "budget_tokens": 2048},
            {"type": "enabled", "budget_tokens": 30000},
            {"type": "adaptive"},
            {"type": "disabled"},
        ]
    ),
    "output_config": st.fixed_dictionaries(
        {},
        optional={
            "effort": st.sampled_from(["low", "high", "max"]),
            "format": st.just({"type": "json_schema", "schema": {"type": "object"}}),
        },
    ),
    "temperature": st.floats(0, 1),
    "top_k": st.integers(1, 50),
    "stop_sequences": st.lists(TEXT, max_size=6),
    "stream": st.booleans(),
    "metadata": st.just({"user_id": "u"}),
    "context_management": st.just({"edits": []}),
}
BODY = st.fixed_dictionaries(
    {
        "model": st.just("claude-x"),
        "max_tokens": st.integers(1, 100_000),
        "messages": MESSAGES,
    },
    optional=OPTIONALS,
)
PROFILE = st.builds(
    CapabilityProfile,
    tools=st.booleans(),
    parallel_tool_calls=st.booleans(),
    images=st.booleans(),
    image_urls=st.booleans(),
    documents=st.booleans(),
    reasoning_field=st.sampled_from(["reasoning_content", "reasoning", ""]),
    reasoning_effort=st.booleans(),
    max_output_tokens=st.one_of(st.none(), st.integers(1, 10_000)),
    top_k=st.booleans(),
    stop_sequences=st.booleans(),
    structured_output=st.booleans(),
    stream_usage=st.booleans(),
    cache_control=st.booleans(),
    user=st.booleans(),
)


@cache
def _chat_params() -> TypeAdapter[Any]:
    return TypeAdapter(completion_create_params.CompletionCreateParamsBase)


def _materialise(value: Any) -> Any:
    """Pydantic validates ``Iterable`` fields lazily: walk them so every item is checked."""
    if isinstance(value, Mapping):
        return {k: _materialise(v) for k, v in value.items()}
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Iterable):
        return [_materialise(v) for v in value]
    return value


def assert_valid_chat_body(body: dict[str, Any]) -> None:
    _materialise(_chat_params().validate_python(body))
    open_calls: set[str] = set()
    for message in body["messages"]:
        role = message["role"]
        assert role in ("system", "user", "assistant", "tool")
        if role == "tool":
            # A tool message answers a call of the assistant message just before the tools.
            assert message["tool_call_id"] in open_calls
            open_calls.discard(message["tool_call_id"])
            continue
        assert not open_calls, f"calls left unanswered before a {role} message"
        if role == "assistant":
            assert message.get("content") or message.get("tool_calls")
            open_calls = {c["id"] for c in message.get("tool_calls", [])}
            assert len(open_calls) == len(message.get("tool_calls", []))
    assert not open_calls


@SETTINGS
@given(body=BODY, profile=PROFILE, strict=st.booleans())
def test_valid_requests_become_valid_chat_bodies(
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
        # The generator does not avoid one id twice in an assistant turn, which Anthropic
        # rejects too; any other DecodeError of a valid body is a bug.
        assert "duplicate tool_use id" in str(exc)
        return
    assert_valid_chat_body(out)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "metadata",
        "max_tokens",
        "stop_sequences",
        "stream",
        "temperature",
        "top_k",
    ]
)
GARBAGE = st.one_of(
    JSON,
    st.dictionaries(KEYS, JSON, max_size=5),
    st.fixed_dictionaries(
        {
            "messages": st.lists(
                st.dictionaries(
                    st.sampled_from(["role", "content"]),
                    st.one_of(
                        JSON,
                        st.sampled_from(["user", "assistant", "system"]),
                        st.lists(
                            st.dictionaries(
                                st.sampled_from(
                                    [
                                        "type",
                                        "text",
                                        "source",
                                        "id",
                                        "input",
                                        "content",
                                        "tool_use_id",
                                    ]
                                ),
                                st.one_of(
                                    JSON,
                                    st.sampled_from(
                                        [
                                            "text",
                                            "image",
                                            "tool_use",
                                            "tool_result",
                                            "thinking",
                                            "document",
                                        ]
                                    ),
                                ),
                            ),
                            max_size=3,
                        ),
                    ),
                ),
                max_size=3,
            )
        }
    ),
)


@SETTINGS
@given(body=GARBAGE)
def test_garbage_is_a_decode_error_only(body: Any) -> None:
    try:
        request = decode_request(body)
    except ir.DecodeError:
        return
    # What decodes must also encode, without any other exception.
    encode_request(request, "gpt-x", CapabilityProfile(), Decisions())
