"""Review of the Gemini codec against what the real clients and the real API do: the stream
parsers of google-genai (Python) and @google/genai (JavaScript, inside Gemini CLI), Gemini's
thinking budget ranges, array schemas, image types, and Gemini CLI's function responses that
carry a PDF."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import types

from cligate.protocols import ir
from cligate.protocols.capabilities import Decisions, protocol_defaults
from cligate.protocols.codecs import ClientView
from cligate.protocols.gemini.decode_request import decode_request
from cligate.protocols.gemini.encode_request import encode_request
from cligate.protocols.gemini.encode_stream import GeminiStreamEncoder
from cligate.protocols.gemini.schema import sanitize_parameters
from cligate.protocols.kinds import WireProtocol
from tests.unit.protocols.test_gemini_upstream_schema import assert_gemini_schema

Json = dict[str, Any]
VIEW = ClientView(model="gemini-2.5-pro", created=1, input_tokens_estimate=5)
GEMINI = replace(protocol_defaults(WireProtocol.GEMINI, "gemini:m"), max_output_tokens=65536)

# @google/genai's stream parser (src/_api_client.ts, 1.30), which Gemini CLI runs: one event
# is matched at the very start of the buffer; what never matches stays there, blocks every
# later event, and ends the stream with "Incomplete JSON segment at the end".
_JS_RESPONSE_LINE = re.compile(r"^\s*data: (.*)(?:\n\n|\r\r|\r\n\r\n)")


def js_sdk_events(body: bytes) -> list[str]:
    buffer, events = body.decode(), []
    while match := _JS_RESPONSE_LINE.match(buffer):
        events.append(match[1])
        buffer = buffer[match.end() :]
    if buffer.strip():
        raise AssertionError(f"Incomplete JSON segment at the end: {buffer[:40]!r}")
    return events


def python_sdk_texts(body: bytes) -> list[str]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    options = types.HttpOptions(base_url="http://test", httpx_client=client)
    sdk = genai.Client(api_key="x", http_options=options)
    chunks = sdk.models.generate_content_stream(model="gemini-2.5-pro", contents="hi")
    return [chunk.text or "" for chunk in chunks]


def slow_stream() -> bytes:
    """A stream whose provider went quiet twice: before its first word and in the middle."""
    encoder = GeminiStreamEncoder(VIEW)
    out = encoder.encode(ir.StreamStarted("r1", "m"))
    out += encoder.keepalive()
    out += encoder.encode(ir.TextDelta("Hello"))
    out += encoder.keepalive()
    out += encoder.encode(ir.TextDelta(" world"))
    out += encoder.encode(ir.StreamFinished(ir.StopReason.END, ir.Usage(10, 2)))
    return out


def test_keepalive_does_not_break_gemini_clis_stream_parser() -> None:
    events = js_sdk_events(slow_stream())
    assert len(events) == 3


def test_keepalive_does_not_break_the_python_sdk() -> None:
    assert "".join(python_sdk_texts(slow_stream())) == "Hello world"


# --- thinking budgets ----------------------------------------------------------------------


def thinking_config(request: ir.Request, model: str) -> tuple[Json, tuple[str, ...]]:
    decisions = Decisions()
    body = encode_request(request, model, GEMINI, decisions)
    return body["generationConfig"]["thinkingConfig"], decisions.summary()


def ask(thinking: ir.ThinkingConfig) -> ir.Request:
    return ir.Request(
        model=None, messages=(ir.Message("user", (ir.Text("hi"),)),), thinking=thinking
    )


@pytest.mark.parametrize(
    ("model", "budget", "sent"),
    [
        # Claude Code (Sonnet) asks for 31999: Gemini's Flash models take at most 24576.
        ("gemini-2.5-flash", 31_999, 24_576),
        ("gemini-2.5-flash-lite", 31_999, 24_576),
        ("models/gemini-3.8-flash", 31_999, 24_576),
        # No Gemini model takes more than 32768 ("The thinking budget (52428) is invalid").
        ("gemini-2.5-pro", 63_999, 32_768),
        ("gemini-3.1-pro-preview", 52_428, 32_768),
    ],
)
def test_thinking_budget_is_clamped_to_the_models_range(model: str, budget: int, sent: int) -> None:
    config, summary = thinking_config(ask(ir.ThinkingConfig(True, budget_tokens=budget)), model)
    assert config == {"thinkingBudget": sent, "includeThoughts": True}
    assert summary == (f"max-tokens-clamped: thinkingBudget {budget} → {sent} for {model}",)


def test_budgets_in_range_and_dynamic_budgets_pass_unchanged() -> None:
    config, summary = thinking_config(
        ask(ir.ThinkingConfig(True, budget_tokens=31_999)), "gemini-2.5-pro"
    )
    assert config["thinkingBudget"] == 31_999 and summary == ()
    config, summary = thinking_config(
        ask(ir.ThinkingConfig(True, adaptive=True)), "gemini-2.5-flash"
    )
    assert config["thinkingBudget"] == -1 and summary == ()
    # Codex's highest effort asks for 32768: a Flash model gets its own maximum.
    config, _ = thinking_config(
        ask(ir.ThinkingConfig(True, effort=ir.Effort.MAX)), "gemini-2.5-flash"
    )
    assert config["thinkingBudget"] == 24_576


# --- schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "items"),
    [
        # MCP servers declare arrays without items: Gemini says "items: missing field".
        ({"type": "array", "description": "d"}, {}),
        ({"type": ["array", "null"]}, {}),
        ({"anyOf": [{"type": "array"}, {"type": "null"}]}, {}),
        # A 2020-12 tuple (Pydantic, Zod) has prefixItems and no items: any of its positions.
        (
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}]},
            {"type": "integer"},
        ),
        (
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]},
            {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        ),
    ],
)
def test_every_array_has_items(schema: Json, items: Json) -> None:
    out, _ = sanitize_parameters({"type": "object", "properties": {"a": schema}})
    assert out["properties"]["a"]["type"] == "array"
    assert out["properties"]["a"]["items"] == items
    assert_gemini_schema(out)


def test_items_given_are_kept_and_prefix_items_beside_them_dropped() -> None:
    schema = {"type": "array", "items": {"type": "string"}, "prefixItems": [{"type": "integer"}]}
    out, changes = sanitize_parameters({"type": "object", "properties": {"a": schema}})
    assert out["properties"]["a"]["items"] == {"type": "string"}
    assert "prefixItems" in changes.dropped


# --- images --------------------------------------------------------------------------------


def test_gif_is_not_sent_to_gemini() -> None:
    # Gemini takes PNG, JPEG, WebP, HEIC and HEIF; a GIF is "Unsupported MIME type: image/gif"
    # for the whole request, and Claude Code lets the user paste one.
    request = ir.Request(
        model=None,
        messages=(ir.Message("user", (ir.Text("look"), ir.Image("image/gif", data="R0lG"))),),
    )
    decisions = Decisions()
    body = encode_request(request, "gemini-2.5-pro", GEMINI, decisions)
    assert body["contents"][0]["parts"] == [
        {"text": "look"},
        {"text": "[image omitted: image/gif is not supported]"},
    ]
    assert decisions.summary() == ("image-type-unsupported: image/gif",)


# --- Gemini CLI's function responses ---------------------------------------------------------


def test_a_pdf_in_a_function_response_follows_the_result() -> None:
    # Gemini CLI's read_file on a PDF, for a model it thinks takes multimodal function
    # responses: the PDF nested in functionResponse.parts, and the response empty. Refusing it
    # would refuse every later request of the session, which all carry it.
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "summarise a.pdf"}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"id": "c1", "name": "read_file", "args": {}}}],
            },
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "id": "c1",
                            "name": "read_file",
                            "response": {},
                            "parts": [
                                {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}}
                            ],
                        }
                    }
                ],
            },
        ]
    }
    request = decode_request(body)
    result, document = request.messages[2].parts
    assert isinstance(result, ir.ToolResult) and result.call_id == "c1"
    assert result.content == (
        ir.Text("(the tool returned a document; it follows the tool result)"),
    )
    assert document == ir.Document(media_type="application/pdf", data="JVBE")
