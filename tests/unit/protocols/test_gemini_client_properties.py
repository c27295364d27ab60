"""Property tests: any valid Gemini request becomes a valid Chat, Anthropic or Responses body
(or a named refusal); garbage is a DecodeError, never a crash; any sequence of neutral events
becomes a well-formed Gemini stream that ends once."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_request import encode_request as to_anthropic
from cligate.protocols.capabilities import CapabilityProfile, Decisions, StrictModeError
from cligate.protocols.codecs import ClientView
from cligate.protocols.gemini.decode_request import SENTINEL_SIGNATURE, decode_request
from cligate.protocols.gemini.encode_stream import GeminiStreamEncoder
from cligate.protocols.openai_chat.encode_request import encode_request as to_chat
from cligate.protocols.openai_responses.encode_request import encode_request as to_responses
from tests.unit.protocols.test_chat_to_anthropic_properties import PROFILE as ANTHROPIC
from tests.unit.protocols.test_chat_to_anthropic_properties import check_anthropic_body
from tests.unit.protocols.test_claude_to_chat_properties import PROFILE as PROFILES
from tests.unit.protocols.test_claude_to_chat_properties import assert_valid_chat_body
from tests.unit.protocols.test_responses_upstream_properties import assert_valid_responses_body

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(max_size=8)
NAMES = st.sampled_from(["run_shell_command", "read_file"])
IDS = st.one_of(st.none(), st.sampled_from(["c1", "c2", "run_shell_command_17_0", "x|y"]))
ARGS = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["command", "path"]), TEXT, max_size=2),
    st.just({"_raw_arguments": "{oops"}),
)


def drop_none(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


USER_PART = st.one_of(
    st.builds(lambda t: {"text": t}, TEXT),
    st.sampled_from(
        [
            {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.test/a.jpg"}},
            {"text": "thought", "thought": True},
        ]
    ),
    st.builds(
        lambda i, n, r: {"functionResponse": drop_none(id=i, name=n, response=r)},
        IDS,
        NAMES,
        st.sampled_from([{"output": "done"}, {"error": "failed"}, {"other": 1}, None]),
    ),
)
MODEL_PART = st.one_of(
    st.builds(lambda t: {"text": t}, TEXT),
    st.builds(
        lambda t, s: drop_none(text=t, thought=True, thoughtSignature=s),
        TEXT,
        st.sampled_from([None, "c2ln", SENTINEL_SIGNATURE]),
    ),
    st.builds(
        lambda i, n, a, s: drop_none(
            functionCall=drop_none(id=i, name=n, args=a), thoughtSignature=s
        ),
        IDS,
        NAMES,
        ARGS,
        st.sampled_from([None, SENTINEL_SIGNATURE]),
    ),
    st.just({"executableCode": {"language": "PYTHON", "code": "print(1)"}}),
)
CONTENT = st.one_of(
    st.builds(
        lambda r, p: drop_none(role=r, parts=p),
        st.sampled_from([None, "user"]),
        st.lists(USER_PART, min_size=1, max_size=3),
    ),
    st.builds(
        lambda p: {"role": "model", "parts": p}, st.lists(MODEL_PART, min_size=1, max_size=3)
    ),
)
DECLARATION = st.sampled_from(
    [
        {"name": "run_shell_command", "description": "shell",
         "parametersJsonSchema": {"type": "object", "properties": {"command": {"type": "string"}},
                                  "required": ["command"]}},
        {"name": "read_file",
         "parameters": {"type": "OBJECT", "properties": {"path": {"type": "STRING", "nullable": True}}}},
        {"name": "glob"},
    ]
)  # fmt: skip
TOOLS = st.lists(
    st.one_of(
        st.builds(
            lambda d: {"functionDeclarations": d}, st.lists(DECLARATION, max_size=3, unique_by=str)
        ),
        st.sampled_from([{"googleSearch": {}}, {"codeExecution": {}}]),
    ),
    max_size=2,
)
GENERATION = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0, 2),
        "topP": st.floats(0, 1),
        "topK": st.integers(1, 100),
        "maxOutputTokens": st.integers(1, 50_000),
        "stopSequences": st.lists(TEXT, max_size=2),
        "candidateCount": st.integers(1, 3),
        "seed": st.integers(0, 9),
        "responseMimeType": st.sampled_from(["application/json", "text/plain"]),
        "responseJsonSchema": st.sampled_from(
            [{"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}, {}]
        ),
        "thinkingConfig": st.one_of(
            st.fixed_dictionaries(
                {"thinkingBudget": st.sampled_from([-1, 0, 1024, 30_000])},
                optional={"includeThoughts": st.booleans()},
            ),
            st.fixed_dictionaries(
                {"thinkingLevel": st.sampled_from(["MINIMAL", "LOW", "MEDIUM", "HIGH"])},
                optional={"includeThoughts": st.booleans()},
            ),
        ),
    },
)
OPTIONS: dict[str, Any] = {
    "systemInstruction": st.builds(lambda t: {"parts": [{"text": t}]}, TEXT),
    "tools": TOOLS,
    "toolConfig": st.builds(
        lambda m, n: {"functionCallingConfig": drop_none(mode=m, allowedFunctionNames=n)},
        st.sampled_from(["AUTO", "ANY", "NONE", "VALIDATED"]),
        st.one_of(st.none(), st.lists(NAMES, min_size=1, max_size=2, unique=True)),
    ),
    "generationConfig": GENERATION,
    "safetySettings": st.just([{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]),
}
BODY = st.fixed_dictionaries(
    {"contents": st.lists(CONTENT, min_size=1, max_size=6)}, optional=OPTIONS
)


def refusal_allowed(exc: ir.DecodeError, strict: bool) -> bool:
    if isinstance(exc, StrictModeError):
        return strict
    # The generator repeats call ids in one turn, which no protocol takes.
    return "duplicate id" in str(exc) or "duplicate tool_use id" in str(exc)


def assert_no_sentinel(body: dict[str, Any]) -> None:
    assert SENTINEL_SIGNATURE not in json.dumps(body)


@SETTINGS
@given(body=BODY, profile=PROFILES, strict=st.booleans())
def test_valid_requests_become_valid_chat_bodies(
    body: dict[str, Any], profile: CapabilityProfile, strict: bool
) -> None:
    try:
        out = to_chat(decode_request(body), "m", profile, Decisions(strict=strict))
    except ir.DecodeError as exc:
        assert refusal_allowed(exc, strict), exc
        return
    assert_valid_chat_body(out)
    assert_no_sentinel(out)


@SETTINGS
@given(body=BODY, strict=st.booleans())
def test_valid_requests_become_valid_anthropic_bodies(body: dict[str, Any], strict: bool) -> None:
    try:
        out = to_anthropic(decode_request(body), "m", ANTHROPIC, Decisions(strict=strict))
    except ir.DecodeError as exc:
        assert refusal_allowed(exc, strict), exc
        return
    check_anthropic_body(out)
    assert_no_sentinel(out)


def without_hosted_tools(body: dict[str, Any]) -> dict[str, Any]:
    """The Responses encoder passes extras["hosted_tools"] on as Responses tools (see the
    xfail in test_gemini_client_request.py): leave Gemini's own tools out for it."""
    tools = [t for t in body.get("tools", []) if "functionDeclarations" in t]
    return {**body, "tools": tools}


@SETTINGS
@given(body=BODY.map(without_hosted_tools), profile=PROFILES, strict=st.booleans())
def test_valid_requests_become_valid_responses_bodies(
    body: dict[str, Any], profile: CapabilityProfile, strict: bool
) -> None:
    try:
        out = to_responses(decode_request(body), "m", profile, Decisions(strict=strict))
    except ir.DecodeError as exc:
        assert refusal_allowed(exc, strict), exc
        return
    assert_valid_responses_body(out)
    assert_no_sentinel(out)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings",
     "system_instruction", "generation_config"]
)  # fmt: skip
PART_KEYS = st.sampled_from(
    ["text", "thought", "thoughtSignature", "inlineData", "fileData", "functionCall",
     "functionResponse", "executableCode", "codeExecutionResult", "videoMetadata"]
)  # fmt: skip


@SETTINGS
@given(
    st.one_of(
        JSON,
        st.dictionaries(KEYS, JSON, max_size=4),
        st.builds(
            lambda r, parts: {"contents": [{"role": r, "parts": parts}]},
            st.sampled_from(["user", "model", None, 3]),
            st.lists(st.dictionaries(PART_KEYS, JSON, max_size=2), max_size=3),
        ),
        BODY.flatmap(lambda b: st.builds(lambda k, v: {**b, k: v}, KEYS, JSON)),
    )
)
def test_garbage_is_a_decode_error(garbage: Any) -> None:
    try:
        request = decode_request(garbage)
    except ir.DecodeError:
        return
    # What decodes also encodes (Anthropic's duplicate ids aside).
    to_chat(request, "m", CapabilityProfile(), Decisions())
    to_responses(request, "m", CapabilityProfile(), Decisions())
    try:
        to_anthropic(request, "m", ANTHROPIC, Decisions())
    except ir.DecodeError as exc:
        assert "duplicate tool_use id" in str(exc)


EVENT = st.one_of(
    st.builds(ir.TextDelta, TEXT),
    st.builds(ir.ThinkingDelta, TEXT),
    st.builds(ir.ThinkingSignature, st.sampled_from(["c2ln", "not base64!"])),
    st.builds(ir.EncryptedReasoning, st.just("enc")),
    st.builds(ir.RedactedThinking, st.just("red")),
    st.builds(
        ir.ToolCallDelta,
        st.integers(0, 2),
        IDS,
        st.one_of(st.none(), NAMES),
        st.sampled_from(["", '{"pa', 'th": "x"}', "{}"]),
    ),
    st.builds(ir.UsageUpdate, st.builds(ir.Usage, st.integers(0, 9), st.integers(0, 9))),
)
END = st.one_of(
    st.builds(ir.StreamFinished, st.one_of(st.none(), st.sampled_from(ir.StopReason))),
    st.builds(ir.StreamFailed, st.builds(ir.ErrorInfo, st.sampled_from([429, 500]), TEXT)),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(EVENT, max_size=10), END, st.booleans())
def test_any_event_sequence_is_a_well_formed_stream(
    events: list[ir.StreamEvent], end: ir.StreamEvent, started: bool
) -> None:
    encoder = GeminiStreamEncoder(ClientView(model="gemini-x", created=1))
    head: list[ir.StreamEvent] = [ir.StreamStarted("r1", "m")] if started else []
    out = b"".join(encoder.encode(e) for e in [*head, *events, end])
    assert encoder.finished and encoder.encode(ir.TextDelta("late")) == b""
    assert out.endswith(b"\n\n")
    parsed = [json.loads(raw[6:]) for raw in out[:-2].split(b"\n\n")]
    last = parsed[-1]
    if isinstance(end, ir.StreamFailed):
        assert set(last) == {"error"}
        return
    finishes = [e["candidates"][0].get("finishReason") for e in parsed]
    assert finishes[-1] is not None and not any(finishes[:-1])
    assert "usageMetadata" in last
    texts = "".join(e.text for e in events if isinstance(e, ir.TextDelta))
    said = [p for e in parsed for p in e["candidates"][0]["content"]["parts"]]
    assert "".join(p["text"] for p in said if "text" in p and not p.get("thought")) == texts
    calls = [p["functionCall"] for p in said if "functionCall" in p]
    assert len({c["id"] for c in calls}) == len(calls)
    assert all(isinstance(c["args"], dict) for c in calls)
