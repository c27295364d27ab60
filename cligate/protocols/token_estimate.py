"""A local, tokenizer-free estimate of a request's input tokens, for ``count_tokens`` when the
provider has no such endpoint (Chat Completions has none).

It counts what the model reads — system prompt, messages, tool calls and results, and the tool
definitions with their schemas — at a fixed number of UTF-8 bytes per token, plus the small
per-message and per-tool framing that chat templates add. Text (3.6 bytes a token) and JSON
(schemas, arguments: 3.0) are counted apart because tokenizers split JSON punctuation finely.
How close it comes to a real tokenizer is measured by ``bench/token_estimate.py``.
"""

from __future__ import annotations

import orjson

from cligate.protocols import ir

TEXT_BYTES_PER_TOKEN = 3.6
JSON_BYTES_PER_TOKEN = 3.0
MESSAGE_OVERHEAD = 4  # role and turn markers
TOOL_OVERHEAD = 8  # a definition's framing in the system prompt
# Images cost by size (Anthropic: width x height / 750); the size is unknown here, so a typical
# screenshot scaled to the 1.15-megapixel limit is assumed.
IMAGE_TOKENS = 1_600
DOCUMENT_PAGE_TOKENS = 1_500


def estimate_input_tokens(request: ir.Request) -> int:
    text = sum(len(part.text.encode()) for part in request.system)
    structured = 0
    fixed = 0
    for message in request.messages:
        fixed += MESSAGE_OVERHEAD
        for part in message.parts:
            t, s, f = _part(part)
            text, structured, fixed = text + t, structured + s, fixed + f
    for tool in request.tools:
        fixed += TOOL_OVERHEAD
        text += len(tool.name.encode()) + len(tool.description.encode())
        structured += len(orjson.dumps(tool.parameters))
    estimate = text / TEXT_BYTES_PER_TOKEN + structured / JSON_BYTES_PER_TOKEN + fixed
    return max(1, round(estimate))


def _part(part: ir.Part) -> tuple[int, int, int]:
    """(text bytes, JSON bytes, fixed tokens) of one part."""
    if isinstance(part, ir.Text):
        return len(part.text.encode()), 0, 0
    if isinstance(part, ir.Thinking):
        return len(part.text.encode()), 0, 0
    if isinstance(part, ir.ToolCall):
        return len(part.name.encode()), len(part.arguments.encode()), MESSAGE_OVERHEAD
    if isinstance(part, ir.ToolResult):
        text = fixed = 0
        for item in part.content:
            t, _, f = _part(item)
            text, fixed = text + t, fixed + f
        return text, 0, fixed + MESSAGE_OVERHEAD
    if isinstance(part, ir.Image):
        return 0, 0, IMAGE_TOKENS
    # A document: its text when it has one, else a page's worth.
    if part.text is not None:
        return len(part.text.encode()), 0, 0
    return 0, 0, DOCUMENT_PAGE_TOKENS
