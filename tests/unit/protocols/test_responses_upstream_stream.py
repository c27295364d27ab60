"""OpenAI Responses SSE → neutral events → Anthropic and Chat SSE: scripted transcripts, split
at every byte, read back by the official anthropic and openai SDKs."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from cligate.protocols import ir
from cligate.protocols.anthropic.encode_stream import AnthropicStreamEncoder
from cligate.protocols.openai_chat.encode_stream import ChatStreamEncoder
from cligate.protocols.openai_responses.decode_stream import ResponsesStreamDecoder
from cligate.protocols.sse import SseParser

Json = dict[str, Any]


class Script:
    """A Responses stream as the API writes it: typed events with sequence numbers."""

    def __init__(self) -> None:
        self.events: list[Json] = []

    def ev(self, kind: str, **fields: Any) -> Script:
        self.events.append({"type": kind, "sequence_number": len(self.events), **fields})
        return self

    def raw(self, data: bytes) -> Script:
        self.events.append({"raw": data})
        return self

    def bytes(self) -> bytes:
        out = []
        for event in self.events:
            if "raw" in event:
                out.append(event["raw"])
            else:
                data = json.dumps(event, ensure_ascii=False)
                out.append(f"event: {event['type']}\ndata: {data}\n\n".encode())
        return b"".join(out)

    # --- whole steps ------------------------------------------------------------------------

    def created(self) -> Script:
        return self.ev("response.created", response=response("in_progress"))

    def text(self, at: int, *pieces: str, item_id: str = "msg_1") -> Script:
        whole = "".join(pieces)
        self.ev("response.output_item.added", output_index=at, item=message(item_id, "", False))
        part = {"type": "output_text", "text": "", "annotations": []}
        self.ev(
            "response.content_part.added",
            item_id=item_id,
            output_index=at,
            content_index=0,
            part=part,
        )
        for piece in pieces:
            self.ev(
                "response.output_text.delta",
                item_id=item_id,
                output_index=at,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
        self.ev(
            "response.output_text.done",
            item_id=item_id,
            output_index=at,
            content_index=0,
            text=whole,
            logprobs=[],
        )
        return self.ev("response.output_item.done", output_index=at, item=message(item_id, whole))

    def reasoning(self, at: int, parts: list[list[str]], encrypted: str | None) -> Script:
        item_id = f"rs_{at}"
        self.ev("response.output_item.added", output_index=at, item=reasoning_item(item_id, []))
        for n, pieces in enumerate(parts):
            empty = {"type": "summary_text", "text": ""}
            self.ev(
                "response.reasoning_summary_part.added",
                item_id=item_id,
                output_index=at,
                summary_index=n,
                part=empty,
            )
            for piece in pieces:
                self.ev(
                    "response.reasoning_summary_text.delta",
                    item_id=item_id,
                    output_index=at,
                    summary_index=n,
                    delta=piece,
                )
            self.ev(
                "response.reasoning_summary_text.done",
                item_id=item_id,
                output_index=at,
                summary_index=n,
                text="".join(pieces),
            )
        texts = ["".join(p) for p in parts]
        done = reasoning_item(item_id, texts, encrypted)
        return self.ev("response.output_item.done", output_index=at, item=done)

    def call(self, at: int, call_id: str, name: str, *pieces: str, custom: bool = False) -> Script:
        item_id = f"fc_{at}"
        self.ev(
            "response.output_item.added",
            output_index=at,
            item=tool_item(item_id, call_id, name, "", custom),
        )
        kind = "custom_tool_call_input" if custom else "function_call_arguments"
        for piece in pieces:
            self.ev(f"response.{kind}.delta", item_id=item_id, output_index=at, delta=piece)
        whole = "".join(pieces)
        field = "input" if custom else "arguments"
        self.ev(f"response.{kind}.done", item_id=item_id, output_index=at, **{field: whole})
        done = tool_item(item_id, call_id, name, whole, custom)
        return self.ev("response.output_item.done", output_index=at, item=done)

    def completed(self, output: list[Json], usage: Json | None = None, **extra: Any) -> Script:
        status = extra.pop("status", "completed")
        kind = "response.incomplete" if status == "incomplete" else "response.completed"
        return self.ev(kind, response=response(status, output, usage, **extra))


def response(
    status: str, output: list[Json] | None = None, usage: Json | None = None, **extra: Any
) -> Json:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "model": "gpt-x",
        "status": status,
        "output": output or [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
        **extra,
    }


def message(item_id: str, text: str, done: bool = True) -> Json:
    content = [{"type": "output_text", "text": text, "annotations": []}] if done else []
    status = "completed" if done else "in_progress"
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": status,
        "content": content,
    }


def reasoning_item(item_id: str, texts: list[str], encrypted: str | None = None) -> Json:
    summary = [{"type": "summary_text", "text": t} for t in texts]
    return {"type": "reasoning", "id": item_id, "summary": summary, "encrypted_content": encrypted}


def tool_item(item_id: str, call_id: str, name: str, value: str, custom: bool) -> Json:
    if custom:
        return {
            "type": "custom_tool_call",
            "id": item_id,
            "call_id": call_id,
            "name": name,
            "input": value,
        }
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": value,
        "status": "completed",
    }


def usage(inputs: int, outputs: int, cached: int = 0, reasoning: int = 0) -> Json:
    return {
        "input_tokens": inputs,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": outputs,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inputs + outputs,
    }


TEXT = (
    Script()
    .created()
    .text(0, "Héllo, ", "wörld 😀")
    .completed([message("msg_1", "Héllo, wörld 😀")], usage(12, 5))
    .bytes()
)
REASONING_THEN_TEXT = (
    Script()
    .created()
    .reasoning(0, [["Let me think", " about é."], ["Second part."]], "gAAAenc")
    .text(1, "Answer: 42")
    .completed(
        [
            reasoning_item("rs_0", ["Let me think about é.", "Second part."], "gAAAenc"),
            message("msg_1", "Answer: 42"),
        ],
        usage(7, 9, cached=2, reasoning=5),
    )
    .bytes()
)
TEXT_THEN_TWO_TOOLS = (
    Script()
    .created()
    .text(0, "Let me check.")
    .call(1, "call_a", "Bash", '{"comm', 'and": "ls"}')
    .call(2, "call_b", "Read", '{"path"', ': "notes/é.txt"}')
    .completed(
        [
            message("msg_1", "Let me check."),
            tool_item("fc_1", "call_a", "Bash", '{"command": "ls"}', False),
            tool_item("fc_2", "call_b", "Read", '{"path": "notes/é.txt"}', False),
        ],
        usage(100, 20, cached=60),
    )
    .bytes()
)
CUSTOM_TOOL = (
    Script()
    .created()
    .call(0, "call_p", "apply_patch", "*** Begin", " Patch ✓", custom=True)
    .completed(
        [tool_item("fc_0", "call_p", "apply_patch", "*** Begin Patch ✓", True)], usage(10, 4)
    )
    .bytes()
)
INCOMPLETE = (
    Script()
    .created()
    .text(0, "cut")
    .completed(
        [message("msg_1", "cut")],
        usage(30, 1),
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
    )
    .bytes()
)
FAILED = (
    Script()
    .created()
    .ev("response.output_item.added", output_index=0, item=message("msg_1", "", False))
    .ev(
        "response.output_text.delta",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        delta="partial",
        logprobs=[],
    )
    .ev(
        "response.failed",
        response=response(
            "failed", error={"code": "rate_limit_exceeded", "message": "Slow down, please."}
        ),
    )
    .ev(
        "response.output_text.delta",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        delta="never",
        logprobs=[],
    )
    .bytes()
)
ERROR_EVENT = (
    Script()
    .created()
    .ev("error", code="server_error", message="The server had an error.", param=None)
    .bytes()
)
HOSTED_SEARCH = (
    Script()
    .created()
    .ev(
        "response.output_item.added",
        output_index=0,
        item={
            "type": "web_search_call",
            "id": "ws_1",
            "status": "in_progress",
            "action": {"type": "search", "query": "q"},
        },
    )
    .ev("response.web_search_call.searching", item_id="ws_1", output_index=0)
    .ev("response.web_search_call.completed", item_id="ws_1", output_index=0)
    .text(1, "Found it.")
    .completed([message("msg_1", "Found it.")], usage(50, 3))
    .bytes()
)
CUT_OFF = Script().created().text(0, "half an ans").bytes()
CUT_OFF = CUT_OFF[: CUT_OFF.rindex(b"event: response.output_text.done")]
MALFORMED = (
    Script()
    .created()
    .text(0, "a")
    .raw(b"event: response.output_text.delta\ndata: {not json\n\n")
    .text(1, "b", item_id="msg_2")
    .bytes()
)

TRANSCRIPTS = {
    "text": TEXT,
    "reasoning_then_text": REASONING_THEN_TEXT,
    "text_then_two_tools": TEXT_THEN_TWO_TOOLS,
    "custom_tool": CUSTOM_TOOL,
    "incomplete": INCOMPLETE,
    "failed": FAILED,
    "error_event": ERROR_EVENT,
    "hosted_search": HOSTED_SEARCH,
    "cut_off": CUT_OFF,
    "malformed": MALFORMED,
}


def decode(pieces: list[bytes]) -> list[ir.StreamEvent]:
    decoder = ResponsesStreamDecoder()
    events = [e for piece in pieces for e in decoder.feed(piece)]
    return events + decoder.finish()


def to_anthropic(pieces: list[bytes]) -> bytes:
    encoder = AnthropicStreamEncoder("claude-x", "msg_1")
    return b"".join(encoder.encode(e) for e in decode(pieces))


def to_chat(pieces: list[bytes]) -> bytes:
    encoder = ChatStreamEncoder("gpt-client", 1_700_000_000, include_usage=True)
    return b"".join(encoder.encode(e) for e in decode(pieces))


@cache
def _event_adapter() -> TypeAdapter[Any]:
    return TypeAdapter(ResponseStreamEvent)


@pytest.mark.parametrize("name", [n for n in TRANSCRIPTS if n != "malformed"])
def test_scripts_are_what_the_sdk_reads(name: str) -> None:
    """The scripted events are valid Responses events, as the openai SDK types them."""
    parser = SseParser()
    for sse in parser.feed(TRANSCRIPTS[name]) + parser.finish():
        _event_adapter().validate_python(json.loads(sse.data))


def both(pieces: list[bytes]) -> tuple[bytes, bytes]:
    """The Anthropic and the Chat output of one decoding."""
    events = decode(pieces)
    anthropic_out = AnthropicStreamEncoder("claude-x", "msg_1")
    chat_out = ChatStreamEncoder("gpt-client", 1_700_000_000, include_usage=True)
    return (
        b"".join(anthropic_out.encode(e) for e in events),
        b"".join(chat_out.encode(e) for e in events),
    )


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_gives_the_same_output(name: str) -> None:
    transcript = TRANSCRIPTS[name]
    whole = both([transcript])
    assert whole == (to_anthropic([transcript]), to_chat([transcript]))
    for at in range(len(transcript) + 1):
        assert both([transcript[:at], transcript[at:]]) == whole, f"split at {at}"
    assert both([transcript[i : i + 1] for i in range(len(transcript))]) == whole


# --- the decoder's events -----------------------------------------------------------------

STARTED = ir.StreamStarted("resp_1", "gpt-x")


def test_text_events() -> None:
    assert decode([TEXT]) == [
        STARTED,
        ir.TextDelta("Héllo, "),
        ir.TextDelta("wörld 😀"),
        ir.StreamFinished(ir.StopReason.END, ir.Usage(12, 5)),
    ]


def test_reasoning_events() -> None:
    assert decode([REASONING_THEN_TEXT]) == [
        STARTED,
        ir.ThinkingDelta("Let me think"),
        ir.ThinkingDelta(" about é."),
        ir.ThinkingDelta("\n\nSecond part."),
        ir.EncryptedReasoning("gAAAenc"),
        ir.TextDelta("Answer: 42"),
        ir.StreamFinished(
            ir.StopReason.END, ir.Usage(7, 9, cache_read_tokens=2, reasoning_tokens=5)
        ),
    ]


def test_tool_call_events() -> None:
    assert decode([TEXT_THEN_TWO_TOOLS]) == [
        STARTED,
        ir.TextDelta("Let me check."),
        ir.ToolCallDelta(0, "call_a", "Bash", ""),
        ir.ToolCallDelta(0, arguments='{"comm'),
        ir.ToolCallDelta(0, arguments='and": "ls"}'),
        ir.ToolCallDelta(1, "call_b", "Read", ""),
        ir.ToolCallDelta(1, arguments='{"path"'),
        ir.ToolCallDelta(1, arguments=': "notes/é.txt"}'),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(100, 20, cache_read_tokens=60)),
    ]


def test_custom_tool_call_events() -> None:
    assert decode([CUSTOM_TOOL]) == [
        STARTED,
        ir.ToolCallDelta(0, "call_p", "apply_patch", "", kind="custom"),
        ir.ToolCallDelta(0, arguments="*** Begin", kind="custom"),
        ir.ToolCallDelta(0, arguments=" Patch ✓", kind="custom"),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(10, 4)),
    ]


def test_incomplete_and_hosted_tools() -> None:
    assert decode([INCOMPLETE])[-1] == ir.StreamFinished(ir.StopReason.MAX_TOKENS, ir.Usage(30, 1))
    assert decode([HOSTED_SEARCH]) == [
        STARTED,
        ir.TextDelta("Found it."),
        ir.StreamFinished(ir.StopReason.END, ir.Usage(50, 3)),
    ]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("failed", ir.ErrorInfo(429, "Slow down, please.", "rate_limit_exceeded")),
        ("error_event", ir.ErrorInfo(500, "The server had an error.", "server_error")),
        (
            "cut_off",
            ir.ErrorInfo(
                502, "the provider's stream ended before the answer was complete", unreadable=True
            ),
        ),
        (
            "malformed",
            ir.ErrorInfo(502, "malformed JSON in the stream: {not json", unreadable=True),
        ),
    ],
)
def test_failures(name: str, error: ir.ErrorInfo) -> None:
    events = decode([TRANSCRIPTS[name]])
    assert events[-1] == ir.StreamFailed(error)
    assert sum(isinstance(e, ir.StreamFailed | ir.StreamFinished) for e in events) == 1
    assert ir.TextDelta("never") not in events and ir.TextDelta("b") not in events


def test_error_statuses() -> None:
    def failed(error: Json | None) -> ir.StreamEvent:
        return decode(
            [Script().ev("response.failed", response=response("failed", error=error)).bytes()]
        )[-1]

    assert failed({"code": "invalid_image_url", "message": "bad"}) == ir.StreamFailed(
        ir.ErrorInfo(400, "bad", "invalid_image_url")
    )
    assert failed({"code": "something_new", "message": "odd"}) == ir.StreamFailed(
        ir.ErrorInfo(502, "odd", "something_new")
    )
    assert failed(None) == ir.StreamFailed(ir.ErrorInfo(502, "the provider's answer failed"))
    nested = Script().ev("error", error={"type": "rate_limit_error", "code": 429, "message": "x"})
    assert decode([nested.bytes()])[-1] == ir.StreamFailed(
        ir.ErrorInfo(429, "x", "rate_limit_error")
    )


def test_whole_items_without_deltas() -> None:
    """A server that sends items only when done, or the answer only in its last event."""
    done_only = (
        Script()
        .ev("response.created", response=response("in_progress"))
        .ev(
            "response.output_item.done",
            output_index=0,
            item=reasoning_item("rs_0", ["Hm."], "gAAAx"),
        )
        .ev("response.output_item.done", output_index=1, item=message("msg_1", "Hi."))
        .ev(
            "response.output_item.done",
            output_index=2,
            item=tool_item("fc_2", "call_z", "Read", '{"path":"a"}', False),
        )
        .completed([], usage(5, 5))
        .bytes()
    )
    assert decode([done_only]) == [
        STARTED,
        ir.ThinkingDelta("Hm."),
        ir.EncryptedReasoning("gAAAx"),
        ir.TextDelta("Hi."),
        ir.ToolCallDelta(0, "call_z", "Read", '{"path":"a"}'),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(5, 5)),
    ]
    final_only = (
        Script()
        .completed(
            [
                message("msg_1", "All at once."),
                tool_item("fc_1", "call_y", "apply_patch", "P", True),
            ],
            usage(3, 2),
        )
        .bytes()
    )
    assert decode([final_only]) == [
        STARTED,
        ir.TextDelta("All at once."),
        ir.ToolCallDelta(0, "call_y", "apply_patch", "P", kind="custom"),
        ir.StreamFinished(ir.StopReason.TOOL_USE, ir.Usage(3, 2)),
    ]


def test_arguments_done_supplies_what_deltas_left_out() -> None:
    script = (
        Script()
        .created()
        .ev(
            "response.output_item.added",
            output_index=0,
            item=tool_item("fc_0", "c", "A", "", False),
        )
        .ev("response.function_call_arguments.delta", item_id="fc_0", output_index=0, delta='{"a"')
        .ev(
            "response.function_call_arguments.done",
            item_id="fc_0",
            output_index=0,
            arguments='{"a":1}',
        )
        .ev(
            "response.output_item.done",
            output_index=0,
            item=tool_item("fc_0", "c", "A", '{"a":1}', False),
        )
        .completed([])
    )
    assert decode([script.bytes()])[1:4] == [
        ir.ToolCallDelta(0, "c", "A", ""),
        ir.ToolCallDelta(0, arguments='{"a"'),
        ir.ToolCallDelta(0, arguments=":1}"),
    ]


def test_done_marker_unknown_events_and_nothing_after_the_end() -> None:
    raw = (
        b"data: \n\n"
        + b'data: {"type": "response.queued", "response": {"id": "r", "model": "m"}}\n\n'
        + b'data: {"type": "response.something_new", "x": 1}\n\n'
        + b'event: response.output_text.delta\ndata: {"delta": "typed by the event name"}\n\n'
        + b'data: {"type": "response.completed", "response": {"status": "completed"}}\n\n'
        + b'data: {"type": "response.output_text.delta", "delta": "late"}\n\n'
        + b"data: [DONE]\n\n"
    )
    assert decode([raw]) == [
        ir.StreamStarted("r", "m"),
        ir.TextDelta("typed by the event name"),
        ir.StreamFinished(ir.StopReason.END, None),
    ]
    assert decode([b"data: [1, 2]\n\n"])[-1] == ir.StreamFailed(
        ir.ErrorInfo(502, "a stream event is not a JSON object", unreadable=True)
    )


# --- the official SDKs read what the encoders write --------------------------------------


def anthropic_final(transcript: bytes) -> anthropic.types.Message:
    body = to_anthropic([transcript])

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = anthropic.Anthropic(api_key="x", base_url="http://test", http_client=http)
    with client.messages.stream(
        model="claude-x", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


def chat_final(transcript: bytes) -> Any:
    body = to_chat([transcript])

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = openai.OpenAI(
        api_key="x",
        base_url="http://test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    stream = client.chat.completions.create(
        model="gpt-client",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        state.handle_chunk(chunk)
    return state.current_completion_snapshot


def test_anthropic_sdk_reads_text_and_two_tool_calls() -> None:
    message = anthropic_final(TEXT_THEN_TWO_TOOLS)
    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use"]
    text, bash, read = message.content
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Let me check."
    assert isinstance(bash, anthropic.types.ToolUseBlock)
    assert isinstance(read, anthropic.types.ToolUseBlock)
    assert (bash.id, bash.name, bash.input) == ("call_a", "Bash", {"command": "ls"})
    assert (read.id, read.name, read.input) == ("call_b", "Read", {"path": "notes/é.txt"})
    assert message.stop_reason == "tool_use"
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (40, 60, 20)


def test_anthropic_sdk_reads_reasoning_then_text() -> None:
    message = anthropic_final(REASONING_THEN_TEXT)
    thinking, text = message.content
    assert isinstance(thinking, anthropic.types.ThinkingBlock)
    assert thinking.thinking == "Let me think about é.\n\nSecond part."
    assert thinking.signature == ""  # the encrypted content is OpenAI's: no Anthropic block
    assert isinstance(text, anthropic.types.TextBlock) and text.text == "Answer: 42"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (5, 2)
    assert message.usage.output_tokens == 9


def test_anthropic_sdk_reads_text_incomplete_and_custom_calls() -> None:
    message = anthropic_final(TEXT)
    assert [b.text for b in message.content if isinstance(b, anthropic.types.TextBlock)] == [
        "Héllo, wörld 😀"
    ]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 5)
    assert anthropic_final(INCOMPLETE).stop_reason == "max_tokens"
    custom = anthropic_final(CUSTOM_TOOL)
    (block,) = custom.content
    # Free text is not a JSON object: the Anthropic encoder keeps it whole under one key.
    assert isinstance(block, anthropic.types.ToolUseBlock)
    assert block.input == {"_raw_arguments": "*** Begin Patch ✓"}
    assert custom.stop_reason == "tool_use"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("failed", "Slow down"),
        ("error_event", "The server had an error."),
        ("cut_off", "ended before the answer"),
        ("malformed", "malformed JSON"),
    ],
)
def test_anthropic_sdk_raises_on_failures(name: str, needle: str) -> None:
    with pytest.raises(anthropic.APIStatusError, match=needle):
        anthropic_final(TRANSCRIPTS[name])


def test_chat_sdk_reads_tool_calls_and_reasoning() -> None:
    completion = chat_final(TEXT_THEN_TWO_TOOLS)
    choice = completion.choices[0]
    assert choice.message.content == "Let me check."
    assert [
        (c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls
    ] == [("call_a", "Bash", {"command": "ls"}), ("call_b", "Read", {"path": "notes/é.txt"})]
    assert choice.finish_reason == "tool_calls"
    assert completion.usage.prompt_tokens == 100
    assert completion.usage.prompt_tokens_details.cached_tokens == 60
    thinking = chat_final(REASONING_THEN_TEXT)
    message = thinking.choices[0].message
    assert message.content == "Answer: 42"
    assert getattr(message, "reasoning_content", None) == "Let me think about é.\n\nSecond part."
    assert thinking.usage.completion_tokens_details.reasoning_tokens == 5
    assert chat_final(INCOMPLETE).choices[0].finish_reason == "length"


def test_chat_sdk_raises_on_failure() -> None:
    with pytest.raises(openai.APIError, match="Slow down"):
        chat_final(FAILED)


def test_encrypted_reasoning_alone_is_not_repeated_at_the_end() -> None:
    script = (
        Script()
        .created()
        .ev(
            "response.output_item.done",
            output_index=0,
            item=reasoning_item("rs_0", [], "gAAAonly"),
        )
        .completed([reasoning_item("rs_0", [], "gAAAonly")], usage(1, 1))
    )
    assert decode([script.bytes()]) == [
        STARTED,
        ir.EncryptedReasoning("gAAAonly"),
        ir.StreamFinished(ir.StopReason.END, ir.Usage(1, 1)),
    ]


def test_a_stream_that_fails_at_once_is_only_an_error() -> None:
    raw = Script().ev("error", code="rate_limit_exceeded", message="Too many").bytes()
    assert decode([raw]) == [ir.StreamFailed(ir.ErrorInfo(429, "Too many", "rate_limit_exceeded"))]
    got = to_anthropic([raw])
    assert got.startswith(b"event: error\n") and got.count(b"event:") == 1
