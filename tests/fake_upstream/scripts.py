"""Scripts decide what the fake model answers to a parsed `Turn`."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Protocol

# Tool names tried first, in order: the list cligate's own selftest provider uses.
from cligate.selftest.scripts import SHELL_TOOL_NAMES

from .model import Reply, ToolCall, ToolSpec, Turn
from .schema_instance import minimal_instance

_ids = itertools.count(1)

_SHELL_HINTS = ("bash", "shell", "exec")
_COMMAND_KEYS = ("command", "cmd", "commands")
TOOL_DESCRIPTION = "Run a shell command requested by the fake upstream"
OUTPUT_CAP = 500


def fresh_id(prefix: str) -> str:
    """A process-unique id such as `toolu_fake000000000007`."""
    return f"{prefix}fake{next(_ids):012x}"


class Script(Protocol):
    """Anything with `reply(turn) -> Reply` can script the fake."""

    def reply(self, turn: Turn) -> Reply: ...


@dataclass(frozen=True, slots=True)
class TextReply:
    """Always answer `text` (JSON-output requests still get schema-valid JSON).

    `reasoning`, when set, comes first as thinking (Chat: `reasoning_content` deltas; Gemini:
    thought parts).
    """

    text: str
    reasoning: str = ""

    def reply(self, turn: Turn) -> Reply:
        return Reply(text=self.text, reasoning=self.reasoning)


@dataclass(frozen=True, slots=True)
class CountedChunks:
    """Answer exactly `count` numbered chunks, "c0000 c0001 … ", one text delta (one SSE event)
    each, so a client can check that nothing was lost, duplicated or reordered
    (`counted_problems`). Whole answers carry the same text in one piece.

    `by_model=True` puts the requested model name and ":" before `prefix` ("m7:c0000 "), so
    concurrent clients asking for different model names get different chunks and any
    cross-talk between their streams shows.
    """

    count: int
    prefix: str = "c"
    by_model: bool = False

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("CountedChunks needs at least one chunk")

    @property
    def chunks(self) -> tuple[str, ...]:
        return counted_chunks(self.count, self.prefix)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def prefix_for(self, model: str) -> str:
        return f"{model}:{self.prefix}" if self.by_model else self.prefix

    def reply(self, turn: Turn) -> Reply:
        return Reply(chunks=counted_chunks(self.count, self.prefix_for(turn.model)))


def counted_chunks(count: int, prefix: str = "c") -> tuple[str, ...]:
    """The chunks of `CountedChunks(count, prefix)`: `f"{prefix}{i:04d} "` (wider if needed)."""
    width = max(4, len(str(count - 1)))
    return tuple(f"{prefix}{i:0{width}d} " for i in range(count))


def counted_problems(text: str, count: int, prefix: str = "c") -> str | None:
    """None when `text` is exactly the `CountedChunks(count, prefix)` text; else what is wrong
    first: a lost, duplicated or out-of-order chunk, something foreign, or a short/long text."""
    expected = counted_chunks(count, prefix)
    if text == "".join(expected):
        return None
    got = text.split(" ")
    if got and got[-1] == "":
        got.pop()
    wanted = [chunk[:-1] for chunk in expected]
    seen: set[str] = set()
    index = {name: i for i, name in enumerate(wanted)}
    for i, name in enumerate(got):
        if i < len(wanted) and name == wanted[i]:
            seen.add(name)
            continue
        if name not in index:
            return f"chunk {i}: {name[:40]!r} is not a counted chunk (expected {wanted[i : i + 1]})"
        if name in seen:
            return f"chunk {i}: {name!r} is a duplicate"
        if index[name] > i:
            lost = wanted[i] if i < len(wanted) else "?"
            return f"chunk {i}: {name!r} where {lost!r} was expected ({lost!r} lost or late)"
        return f"chunk {i}: {name!r} is out of order"
    if len(got) < len(wanted):
        return f"only {len(got)} of {len(wanted)} chunks (lost from {wanted[len(got)]!r} on)"
    return "the chunks are right but the spacing is not"


@dataclass(frozen=True, slots=True)
class ShellRoundTrip:
    """Ask for one shell command, then echo the tool output back as the final answer.

    The decision is made from the request content alone (stateless): if the latest turn carries
    a tool result the answer is `f"{final_prefix} {output}"`, otherwise a call to the shell
    tool found in the request. Requests without tools get `side_text`.
    """

    command: str
    final_prefix: str = "FINAL:"
    side_text: str = "OK"
    preamble: str = "I will run the command."

    def reply(self, turn: Turn) -> Reply:
        if turn.tool_results is not None:
            return Reply(text=f"{self.final_prefix} {normalize_output(turn.tool_results)}")
        if not turn.tools:
            return Reply(text=self.side_text)
        tool = find_shell_tool(turn.tools)
        if tool is None:
            names = ", ".join(t.name for t in turn.tools)
            return Reply(text=f"fake upstream: no shell tool among: {names}")
        return Reply(text=self.preamble, tool_call=shell_call(turn, tool, self.command))


@dataclass(frozen=True, slots=True)
class ShellCommands:
    """Run several shell commands, then answer `f"{final_prefix} {outputs}"`.

    parallel=True asks for every command in one assistant turn (one tool call each); once the
    latest turn carries all their results, the answer is the normalized results in call order.
    If the latest turn carries a different number of results, the answer says so instead of
    "FINAL:", so a test sees the mismatch.

    parallel=False is a multi-step tool loop: one command per turn. The step is the number of
    tool results in the whole conversation (stateless): with k results the next call is
    `commands[k]`; with all of them the answer carries every result in order.

    Requests without tools get `side_text`. `reasoning` goes before the text of every reply.
    """

    commands: tuple[str, ...]
    parallel: bool = True
    final_prefix: str = "FINAL:"
    side_text: str = "OK"
    preamble: str = "I will run the commands."
    reasoning: str = ""

    def __post_init__(self) -> None:
        if not self.commands:
            raise ValueError("ShellCommands needs at least one command")

    def reply(self, turn: Turn) -> Reply:
        if self.parallel:
            return self._parallel(turn)
        return self._sequential(turn)

    def _final(self, results: tuple[str, ...]) -> Reply:
        text = f"{self.final_prefix} {normalize_output(results)}"
        return Reply(text=text, reasoning=self.reasoning)

    def _parallel(self, turn: Turn) -> Reply:
        results = turn.tool_results
        if results is not None:
            if len(results) != len(self.commands):
                wanted = len(self.commands)
                text = f"fake upstream: expected {wanted} tool results, got {len(results)}"
                return Reply(text=text)
            return self._final(results)
        return self._calls(turn, self.commands)

    def _sequential(self, turn: Turn) -> Reply:
        done = turn.all_tool_results
        if len(done) >= len(self.commands):
            return self._final(done)
        return self._calls(turn, (self.commands[len(done)],))

    def _calls(self, turn: Turn, commands: tuple[str, ...]) -> Reply:
        if not turn.tools:
            return Reply(text=self.side_text)
        tool = find_shell_tool(turn.tools)
        if tool is None:
            names = ", ".join(t.name for t in turn.tools)
            return Reply(text=f"fake upstream: no shell tool among: {names}")
        calls = tuple(shell_call(turn, tool, command) for command in commands)
        return Reply(text=self.preamble, tool_calls=calls, reasoning=self.reasoning)


PATCH_TOOL_NAME = "apply_patch"
PATCH_INPUT_KEY = "input"
"""A freeform tool seen as a function (Chat, Anthropic, Gemini) takes its text in `input`."""


@dataclass(frozen=True, slots=True)
class PatchFile:
    """Edit a file with codex's `apply_patch` tool, then echo the tool result back.

    The patch is in Codex's "*** Begin Patch" format: an Add File hunk writing `text` (one
    `+` line per line of it), or, when `replace` is given, an Update File hunk replacing the
    line `replace` with `text`. On the Responses API the tool is freeform (custom) and gets the
    patch as its input; where freeform tools became functions (Chat, Anthropic, Gemini) it is
    a function with one string parameter `input`, called with `{"input": patch}`.

    Stateless like ShellRoundTrip: if the latest turn carries a tool result the answer is
    `f"{final_prefix} {normalized result}"`, otherwise the call. Requests without tools get
    `side_text`; requests without an apply_patch tool get a text naming the tools offered.
    """

    path: str = "notes.txt"
    text: str = "written by apply_patch"
    replace: str | None = None
    final_prefix: str = "FINAL:"
    side_text: str = "OK"
    preamble: str = "I will edit the file."

    @property
    def patch(self) -> str:
        added = "".join(f"+{line}\n" for line in self.text.split("\n"))
        if self.replace is None:
            hunk = f"*** Add File: {self.path}\n{added}"
        else:
            removed = "".join(f"-{line}\n" for line in self.replace.split("\n"))
            hunk = f"*** Update File: {self.path}\n@@\n{removed}{added}"
        return f"*** Begin Patch\n{hunk}*** End Patch\n"

    def reply(self, turn: Turn) -> Reply:
        if turn.tool_results is not None:
            return Reply(text=f"{self.final_prefix} {normalize_output(turn.tool_results)}")
        if not turn.tools:
            return Reply(text=self.side_text)
        tool = find_patch_tool(turn.tools)
        if tool is None:
            names = ", ".join(t.name for t in turn.tools)
            return Reply(text=f"fake upstream: no apply_patch tool among: {names}")
        return Reply(text=self.preamble, tool_call=patch_call(turn, tool, self.patch))


def find_patch_tool(tools: tuple[ToolSpec, ...]) -> ToolSpec | None:
    """The `apply_patch` tool: freeform, or a function whose `input` parameter is a string."""
    for tool in tools:
        if tool.name != PATCH_TOOL_NAME:
            continue
        if tool.kind == "custom":
            return tool
        props = tool.schema.get("properties")
        if isinstance(props, dict) and _type_name(props.get(PATCH_INPUT_KEY)) == "string":
            return tool
    return None


def patch_call(turn: Turn, tool: ToolSpec, patch: str) -> ToolCall:
    call_id = _call_id(turn, tool)
    if tool.kind == "custom":
        return ToolCall(name=tool.name, call_id=call_id, kind="custom", input=patch)
    return ToolCall(name=tool.name, call_id=call_id, arguments={PATCH_INPUT_KEY: patch})


def answer(script: Script, turn: Turn) -> Reply:
    """The reply to a turn: schema-valid JSON when JSON output is requested, else the script's."""
    if turn.wants_json:
        value = minimal_instance(turn.json_schema) if turn.json_schema else {}
        return Reply(text=json.dumps(value), kind="json")
    return script.reply(turn)


def normalize_output(results: tuple[str, ...]) -> str:
    """Tool outputs joined, whitespace collapsed, capped at OUTPUT_CAP characters."""
    return " ".join(" ".join(results).split())[:OUTPUT_CAP]


def find_shell_tool(tools: tuple[ToolSpec, ...]) -> ToolSpec | None:
    functions = [t for t in tools if t.kind == "function"]
    by_name = {t.name: t for t in functions}
    for name in SHELL_TOOL_NAMES:
        if name in by_name:
            return by_name[name]
    for hint in _SHELL_HINTS:
        for tool in functions:
            if hint in tool.name.lower():
                return tool
    for tool in tools:
        if tool.kind == "custom" and any(h in tool.name.lower() for h in _SHELL_HINTS):
            return tool
    return None


def _call_id(turn: Turn, tool: ToolSpec) -> str:
    if turn.protocol == "anthropic":
        return fresh_id("toolu_")
    if turn.protocol == "gemini":
        return fresh_id(f"{tool.name}_")
    return fresh_id("call_")


def shell_call(turn: Turn, tool: ToolSpec, command: str) -> ToolCall:
    call_id = _call_id(turn, tool)
    if tool.kind == "custom":
        text = command
        if tool.name == "exec":  # codex "responses lite": JavaScript that calls exec_command
            call = f"await tools.exec_command({{cmd: {json.dumps(command)}}})"
            text = f"const r = {call};\ntext(r);\n"
        return ToolCall(name=tool.name, call_id=call_id, kind="custom", input=text)
    arguments = shell_arguments(tool.schema, command)
    return ToolCall(name=tool.name, call_id=call_id, arguments=arguments)


def shell_arguments(schema: dict[str, Any], command: str) -> dict[str, Any]:
    """Arguments for a shell tool, shaped by its JSON schema."""
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    key = next((k for k in _COMMAND_KEYS if k in props), None)
    required = schema.get("required")
    required = required if isinstance(required, list) else []
    required_names = [r for r in required if isinstance(r, str)]
    if key is None:
        strings = [r for r in required_names if _type_name(props.get(r)) == "string"]
        key = strings[0] if len(strings) == 1 else "command"
    args: dict[str, Any] = {}
    if key == "commands":  # a list of whole commands (the Cline CLI's run_commands)
        args[key] = [command]
    elif _type_name(props.get(key)) == "array":  # an argv
        args[key] = ["bash", "-lc", command]
    else:
        args[key] = command
    if "description" in props:
        args["description"] = TOOL_DESCRIPTION
    for name in required_names:
        if name not in args:
            sub = props.get(name)
            args[name] = minimal_instance(sub if isinstance(sub, dict) else {})
    return args


def _type_name(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    raw = schema.get("type")
    if isinstance(raw, list):
        raw = next((t for t in raw if t != "null"), None)
    return raw.lower() if isinstance(raw, str) else None
