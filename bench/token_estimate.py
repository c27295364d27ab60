"""How close cligate's local token estimate (``count_tokens`` for providers without one) comes
to a real tokenizer, on the real Claude Code requests in tests/captures/claude and a few
hand-made ones.

    pip install tokenizers
    pip download --no-deps anthropic==0.34.2 && unzip -j anthropic-0.34.2-*.whl \\
        anthropic/tokenizer.json
    python bench/token_estimate.py tokenizer.json

The reference is Claude's legacy tokenizer, which the anthropic SDK shipped until 0.38 (newer
Claude models tokenize differently, and none of their tokenizers is public). It counts the same
content the estimate counts — system text, message text, tool calls and results, and each
tool's name, description and JSON schema — plus the estimate's fixed per-message, per-tool
and per-image allowances, so the ratio measures the bytes-per-token assumption, not how a
provider frames a prompt.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cligate.protocols import ir  # noqa: E402
from cligate.protocols.anthropic.decode_request import decode_request  # noqa: E402
from cligate.protocols.token_estimate import (  # noqa: E402
    DOCUMENT_PAGE_TOKENS,
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD,
    TOOL_OVERHEAD,
    estimate_input_tokens,
)

Count = Callable[[str], int]


def reference_tokens(request: ir.Request, count: Count) -> int:
    """The same content as the estimate, each piece counted by the tokenizer."""
    tokens = sum(count(part.text) for part in request.system)
    for message in request.messages:
        tokens += MESSAGE_OVERHEAD
        for part in message.parts:
            tokens += _part(part, count)
    for tool in request.tools:
        tokens += TOOL_OVERHEAD + count(tool.name) + count(tool.description)
        tokens += count(json.dumps(tool.parameters, separators=(",", ":")))
    return tokens


def _part(part: ir.Part, count: Count) -> int:
    if isinstance(part, ir.Text | ir.Thinking):
        return count(part.text)
    if isinstance(part, ir.ToolCall):
        return MESSAGE_OVERHEAD + count(part.name) + count(part.arguments)
    if isinstance(part, ir.ToolResult):
        return MESSAGE_OVERHEAD + sum(_part(item, count) for item in part.content)
    if isinstance(part, ir.Image):
        return IMAGE_TOKENS
    if isinstance(part, ir.Document) and part.text is not None:
        return count(part.text)
    return DOCUMENT_PAGE_TOKENS


def handmade() -> dict[str, dict[str, object]]:
    prose = (
        "Refactor the payment module so that retries use exponential back-off, and add a "
        "test that fails without the change. Keep the public interface as it is. "
    ) * 40
    code = (REPO / "cligate" / "routing" / "plan.py").read_text()
    listing = "\n".join(f"-rw-r--r-- 1 u u {i * 37} file_{i}.py" for i in range(60))
    call = {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls -la"}}
    return {
        "prose (English)": {"messages": [{"role": "user", "content": prose}]},
        "Python source": {"messages": [{"role": "user", "content": code}]},
        "tool loop": {
            "messages": [
                {"role": "user", "content": "list the files"},
                {"role": "assistant", "content": [call]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t1", "content": listing}],
                },
            ]
        },
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    from tokenizers import Tokenizer  # a bench-only dependency

    tokenizer = Tokenizer.from_file(sys.argv[1])

    def count(text: str) -> int:
        return len(tokenizer.encode(text).ids) if text else 0

    bodies: dict[str, dict[str, object]] = {}
    for path in sorted((REPO / "tests" / "captures" / "claude").glob("*__*.json")):
        bodies[f"Claude Code: {path.stem.split('_messages')[0]}"] = json.loads(path.read_text())[
            "request"
        ]["body"]
    bodies.update(handmade())
    print("| request | estimate | reference | estimate / reference |")
    print("|---|---|---|---|")
    ratios = []
    for label, body in bodies.items():
        request = decode_request({"model": "m", "max_tokens": 1, **body})
        estimate, reference = estimate_input_tokens(request), reference_tokens(request, count)
        ratios.append(estimate / reference)
        print(f"| {label} | {estimate} | {reference} | {estimate / reference:.2f} |")
    print(
        f"\nestimate / reference: median {statistics.median(ratios):.2f}, "
        f"range {min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} requests"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
