"""A local, tokenizer-free estimate of a request's input tokens, for ``count_tokens`` when the
provider has no such endpoint (Chat Completions has none).

It counts what the model reads — system prompt, messages, tool calls and results, and the tool
definitions with their schemas — at a fixed number of UTF-8 bytes per token, plus the small
per-message and per-tool framing that chat templates add. ``bench/token_estimate.py`` measures
it against Claude's public (legacy) tokenizer: that tokenizer reads about 4.1 bytes a token in
Claude Code's prompts, prose, schemas and code alike, so 3.8 errs a little high (the safe side
for a client deciding when its context is full); text dense in digits, such as file listings,
is underestimated.
"""

from __future__ import annotations

import orjson

from cligate.protocols import ir

BYTES_PER_TOKEN = 3.8
MESSAGE_OVERHEAD = 4  # role and turn markers
TOOL_OVERHEAD = 8  # a definition's framing in the system prompt
# Images cost by size (Anthropic: width x height / 750); the size is unknown here, so a typical
# screenshot scaled to the 1.15-megapixel limit is assumed.
IMAGE_TOKENS = 1_600
DOCUMENT_PAGE_TOKENS = 1_500


def estimate_input_tokens(request: ir.Request) -> int:
    size = sum(len(part.text.encode()) for part in request.system)
    fixed = 0
    for message in request.messages:
        fixed += MESSAGE_OVERHEAD
        for part in message.parts:
            part_size, part_fixed = _part(part)
            size, fixed = size + part_size, fixed + part_fixed
    for tool in request.tools:
        fixed += TOOL_OVERHEAD
        size += len(tool.name.encode()) + len(tool.description.encode())
        size += len(orjson.dumps(tool.parameters))
    return max(1, round(size / BYTES_PER_TOKEN) + fixed)


def _part(part: ir.Part) -> tuple[int, int]:
    """(bytes to count, fixed tokens) of one part."""
    if isinstance(part, ir.Text | ir.Thinking):
        return len(part.text.encode()), 0
    if isinstance(part, ir.ToolCall):
        return len(part.name.encode()) + len(part.arguments.encode()), MESSAGE_OVERHEAD
    if isinstance(part, ir.ToolResult):
        size, fixed = 0, MESSAGE_OVERHEAD
        for item in part.content:
            item_size, item_fixed = _part(item)
            size, fixed = size + item_size, fixed + item_fixed
        return size, fixed
    if isinstance(part, ir.Image):
        return 0, IMAGE_TOKENS
    # A document: its text when it has one, else a page's worth.
    if part.text is not None:
        return len(part.text.encode()), 0
    return 0, DOCUMENT_PAGE_TOKENS
