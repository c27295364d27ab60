"""The scripted conversation: what the selftest's provider answers to each request.

Scripts are stateless: the answer depends on the request alone (a tool result in its latest
message means the tool ran), so retries and side calls need no bookkeeping.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from cligate.protocols.kinds import WireProtocol
from cligate.selftest.schema_instance import minimal_instance
from cligate.selftest.turns import ToolDecl, Turn

# What an answer was, as the judge reads it back from the upstream's record.
Step = Literal["text", "json", "call", "final", "wrong_result", "no_shell_tool"]

# Shell tools in order of preference: Claude Code, Codex, Gemini CLI and Qwen Code, generic
# names (opencode and Crush: "bash"), OpenClaw, Hermes Agent, the Cline CLI. The test suite's
# fake provider uses the same list.
SHELL_TOOL_NAMES = (
    "Bash",
    "exec_command",
    "shell",
    "run_shell_command",
    "shell_command",
    "bash",
    "exec",
    "terminal",
    "run_commands",
)
# Words of a name that mark some other shell tool; whole words only, so that a tool running
# code in another language ("execute_code") is never taken for the shell.
_SHELL_HINTS = ("bash", "shell", "exec")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_COMMAND_KEYS = ("command", "cmd")
_CALL_ID_PREFIX = {
    WireProtocol.ANTHROPIC: "toolu_selftest",
    WireProtocol.OPENAI_RESPONSES: "call_selftest",
    WireProtocol.OPENAI_CHAT: "call_selftest",
    WireProtocol.GEMINI: "selftest",
}
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    freeform_input: str | None = None  # set for a freeform (custom) tool instead of arguments


@dataclass(frozen=True, slots=True)
class Reply:
    step: Step
    text: str = ""
    call: ToolCall | None = None
    detail: str = ""  # for the judge: what was wrong (the tools offered, the result seen)


class Script(Protocol):
    @property
    def expected_answer(self) -> str:
        """The text the tool must print at the end for the check to pass."""
        ...

    def reply(self, turn: Turn) -> Reply: ...


@dataclass(frozen=True, slots=True)
class TextScript:
    """Answer every request with one line of text."""

    text: str

    @property
    def expected_answer(self) -> str:
        return self.text

    def reply(self, turn: Turn) -> Reply:
        return Reply("text", self.text)


@dataclass(frozen=True, slots=True)
class ShellRoundTrip:
    """Ask the tool to run ``command`` with its shell tool; once the result comes back, answer
    with ``token`` if the result carries it. The token is only in a file of the work dir, so
    the final answer proves the command really ran and its output really came back."""

    command: str
    token: str

    @property
    def expected_answer(self) -> str:
        return f"cligate selftest: the command printed {self.token}"

    def reply(self, turn: Turn) -> Reply:
        if turn.tool_results is not None:
            seen = " ".join(" ".join(turn.tool_results).split())
            if self.token in seen:
                return Reply("final", self.expected_answer)
            text = f"cligate selftest: the command's result lacks the token; it was: {seen[:200]}"
            return Reply("wrong_result", text, detail=seen[:200])
        if not turn.tools:  # a side call (a title, a summary): not part of the check
            return Reply("text", "OK")
        tool = find_shell_tool(turn.tools)
        if tool is None:
            names = ", ".join(t.name for t in turn.tools)
            text = f"cligate selftest: no shell tool among: {names}"
            return Reply("no_shell_tool", text, detail=names)
        return Reply("call", "Running the selftest command.", shell_call(turn, tool, self.command))


def answer(script: Script, turn: Turn) -> Reply:
    """A request asking for JSON output gets JSON that fits its schema; others the script's."""
    if turn.json_schema is not None:
        return Reply("json", json.dumps(minimal_instance(turn.json_schema)))
    return script.reply(turn)


def find_shell_tool(tools: tuple[ToolDecl, ...]) -> ToolDecl | None:
    functions = {t.name: t for t in tools if not t.freeform}
    for name in SHELL_TOOL_NAMES:
        if name in functions:
            return functions[name]
    for hint in _SHELL_HINTS:
        for tool in functions.values():
            if hint in (word.lower() for word in _WORDS.findall(tool.name)):
                return tool
    # A freeform tool takes the command as its text; codex's JavaScript "exec" would not.
    return next((t for t in tools if t.freeform and "shell" in t.name.lower()), None)


def shell_call(turn: Turn, tool: ToolDecl, command: str) -> ToolCall:
    call_id = f"{_CALL_ID_PREFIX[turn.protocol]}_{next(_ids):06d}"
    if tool.freeform:
        return ToolCall(call_id, tool.name, freeform_input=command)
    return ToolCall(call_id, tool.name, shell_arguments(tool.schema, command))


def shell_arguments(schema: dict[str, Any], command: str) -> dict[str, Any]:
    """Arguments for a shell tool, shaped by its schema: the command as a string (or an argv
    list where the schema wants one), plus a minimal value for any other required field."""
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = [r for r in schema.get("required") or () if isinstance(r, str)]
    key = next((k for k in _COMMAND_KEYS if k in props), None)
    if key is None:
        strings = [r for r in required if _type_of(props.get(r)) == "string"]
        key = strings[0] if len(strings) == 1 else "command"
    arguments: dict[str, Any] = {
        key: ["bash", "-lc", command] if _type_of(props.get(key)) == "array" else command
    }
    if "description" in props:
        arguments["description"] = "Run the cligate selftest command"
    for name in required:
        if name not in arguments:
            arguments[name] = minimal_instance(props.get(name))
    return arguments


def _type_of(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    raw = schema.get("type")
    if isinstance(raw, list):
        raw = next((t for t in raw if t != "null"), None)
    return raw.lower() if isinstance(raw, str) else None
