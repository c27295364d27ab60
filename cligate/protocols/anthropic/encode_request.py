"""Write a neutral request as an Anthropic Messages body, recording every degradation.

Anthropic is stricter than Chat Completions about the conversation's shape, so the messages go
through three passes: each message becomes blocks, same-role neighbours are merged (turns must
alternate and start with a user turn), then tool calls and results are paired (every tool_use
needs a tool_result in the next user turn, and a tool_result needs its tool_use).

Choices where the brief or the API left room:
- Mid-conversation system messages become user text in place, wrapped in ``<system>`` tags
  (Rule.SYSTEM_MESSAGE_MOVED). The SDK declares ``role: "system"`` messages but documents them
  only for "models that accept mid-conversation system messages", and no profile says which.
- A conversation that does not start with a user turn gets a "Continue." user turn first
  (Rule.USER_TURN_INSERTED).
- Tool arguments that are not a JSON object are sent as ``{}`` (Rule.ARGUMENTS_NOT_JSON).
- No ``max_tokens``: the profile's limit, else 4096 plus any thinking budget (Anthropic
  requires the field, and the budget must fit below it).
- Temperature above Anthropic's 1.0 is clamped to 1.0 (Rule.SAMPLING_DROPPED): OpenAI allows 2.
- Both temperature and top_p < 1: top_p is dropped (Rule.SAMPLING_DROPPED); current Claude
  models refuse the pair. top_p of 1 or more is the default and is left out.
- Thinking is turned off (Rule.THINKING_NOT_SUPPORTED) rather than breaking the request when
  Anthropic would refuse it: a forced tool_choice, a max_tokens below the minimum budget, or a
  tool loop whose assistant turn has no signed thinking (Chat clients never send signatures).
  With thinking on, temperature other than 1, top_k and top_p < 0.95 are dropped.
- JSON mode (``json_object``) has no Anthropic form: Rule.STRUCTURED_OUTPUT_DROPPED; the
  prompt's own request for JSON remains. A schema's name and strict flag have no field.
- Anthropic takes at most 4 cache breakpoints: the last 4 are kept (Rule.CACHE_HINT_DROPPED);
  a profile with ``cache_control`` off (a compatible provider that refuses it) gets none.
- ``extras["stream_options"]`` is honoured by the answer's encoder, so it is not recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cligate.protocols import custom_tools, ir
from cligate.protocols.capabilities import (
    HOSTED_TOOL_EXTRAS,
    STATEFUL_OPTIONS,
    CapabilityProfile,
    Decisions,
    Rule,
)
from cligate.protocols.thinking import MIN_BUDGET, budget_for_effort
from cligate.protocols.tool_ids import from_anthropic_id, to_anthropic_id

DEFAULT_MAX_TOKENS = 4096
MAX_CACHE_BREAKPOINTS = 4
OPENING_TURN = "Continue."
UNANSWERED_RESULT = "No result was sent for this tool call."
_HONOURED_EXTRAS = frozenset({"stream_options"})

Block = dict[str, Any]
Turn = tuple[str, list[Block]]


def encode_request(
    request: ir.Request, model: str, profile: CapabilityProfile, decisions: Decisions
) -> dict[str, Any]:
    return _Writer(profile, decisions).body(request, model)


def _cached(block: Block, cache: bool) -> Block:
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


class _Writer:
    def __init__(self, profile: CapabilityProfile, decisions: Decisions) -> None:
        self.profile = profile
        self.decisions = decisions

    def body(self, request: ir.Request, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model}
        max_tokens = self._max_tokens(request.max_tokens, request.thinking)
        body["max_tokens"] = max_tokens
        system = [_cached({"type": "text", "text": t.text}, t.cache) for t in request.system]
        system = [block for block in system if block["text"].strip()]
        if system:
            body["system"] = system
        turns = self._pair(self._opening(self._merge(self._turn(m) for m in request.messages)))
        _trim_final_assistant(turns)
        body["messages"] = [{"role": role, "content": blocks} for role, blocks in turns]
        forced = self._tools(request, body)
        thinking = self._thinking(request.thinking, max_tokens, forced, _unsigned_final(turns))
        if thinking is not None:
            body["thinking"] = thinking
        self._sampling(request, body, thinking is not None and thinking["type"] != "disabled")
        self._options(request, body)
        self._limit_cache_breakpoints(body)
        return body

    # --- messages --------------------------------------------------------------------------

    def _turn(self, message: ir.Message) -> Turn:
        if message.role == "system":
            text = "\n\n".join(
                p.text for p in message.parts if isinstance(p, ir.Text) and p.text.strip()
            )
            if not text:
                return "user", []
            self.decisions.degrade(
                Rule.SYSTEM_MESSAGE_MOVED, "a system message inside the conversation: user text"
            )
            cache = any(isinstance(p, ir.Text) and p.cache for p in message.parts)
            return "user", [
                _cached({"type": "text", "text": f"<system>\n{text}\n</system>"}, cache)
            ]
        blocks: list[Block] = []
        for part in message.parts:
            block = self._block(part, message.role)
            if block is not None:
                blocks.append(block)
        return message.role, blocks

    def _block(self, part: ir.Part, role: str) -> Block | None:
        if isinstance(part, ir.Text):
            # Anthropic refuses text blocks that are empty or only whitespace (models often
            # answer "\n\n" before their tool calls, and clients send it back).
            if not part.text.strip():
                return None
            return _cached({"type": "text", "text": part.text}, part.cache)
        if isinstance(part, ir.Image):
            return self._image(part)
        if isinstance(part, ir.Document):
            return self._document(part)
        if isinstance(part, ir.Thinking):
            return self._thinking_block(part, role)
        if isinstance(part, ir.ToolCall):
            if role == "assistant":
                return self._tool_use(part)
            text = f"[tool call {part.id}: {part.name}({part.arguments})]"
        else:
            if role == "user":
                return self._tool_result(part)
            output = "\n".join(p.text for p in part.content if isinstance(p, ir.Text))
            text = f"[result of tool call {part.call_id}]\n{output}"
        self.decisions.degrade(Rule.FIELD_DROPPED, f"a {role} turn held a tool part: sent as text")
        return {"type": "text", "text": text}

    def _image(self, image: ir.Image) -> Block | None:
        if not self.profile.images:
            self.decisions.degrade(Rule.IMAGES_DROPPED, f"{self.profile.name} takes no images")
            return None
        if image.data is None:
            if not self.profile.image_urls:
                self.decisions.degrade(
                    Rule.IMAGES_DROPPED, f"{self.profile.name} takes no image URLs"
                )
                return None
            source = {"type": "url", "url": image.url or ""}
        else:
            if image.media_type not in self.profile.image_types:
                self.decisions.degrade(
                    Rule.IMAGE_TYPE_UNSUPPORTED,
                    f"{self.profile.name} takes no {image.media_type} images",
                )
                return None
            source = {"type": "base64", "media_type": image.media_type, "data": image.data}
        return _cached({"type": "image", "source": source}, image.cache)

    def _document(self, document: ir.Document) -> Block | None:
        title = f"[{document.title}]\n" if document.title else ""
        if not self.profile.documents:
            if document.text is not None:
                self.decisions.degrade(
                    Rule.DOCUMENT_AS_TEXT, f"{self.profile.name} takes no documents"
                )
                return {"type": "text", "text": title + document.text}
            self.decisions.degrade(Rule.DOCUMENT_DROPPED, f"{self.profile.name} takes no documents")
            return None
        source: dict[str, Any]
        if document.text is not None:
            source = {"type": "text", "media_type": "text/plain", "data": document.text}
        elif document.data is not None and document.media_type == "application/pdf":
            source = {"type": "base64", "media_type": "application/pdf", "data": document.data}
        elif document.url is not None:
            source = {"type": "url", "url": document.url}
        else:
            self.decisions.degrade(
                Rule.DOCUMENT_DROPPED, f"Anthropic takes no {document.media_type} documents"
            )
            return None
        block: Block = {"type": "document", "source": source}
        if document.title:
            block["title"] = document.title
        return _cached(block, document.cache)

    def _thinking_block(self, thinking: ir.Thinking, role: str) -> Block | None:
        if role != "assistant":
            self.decisions.degrade(Rule.REASONING_HISTORY_DROPPED, f"thinking in a {role} turn")
            return None
        if thinking.redacted is not None:
            return {"type": "redacted_thinking", "data": thinking.redacted}
        if thinking.signature is None:
            # Anthropic rejects unsigned thinking, and a signature cannot be made up.
            self.decisions.degrade(
                Rule.UNSIGNED_THINKING_DROPPED, "reasoning without an Anthropic signature"
            )
            return None
        return {"type": "thinking", "thinking": thinking.text, "signature": thinking.signature}

    def _tool_use(self, call: ir.ToolCall) -> Block:
        tool_id = to_anthropic_id(call.id)
        if tool_id != call.id:
            self.decisions.degrade(Rule.TOOL_ID_MAPPED, f"tool call id {call.id!r}")
        if call.kind == "custom":
            self.decisions.degrade(
                Rule.CUSTOM_TOOL_AS_FUNCTION, f"custom tool call {call.name!r} as {{input}}"
            )
            arguments: Any = {custom_tools.INPUT: call.arguments}
            return {"type": "tool_use", "id": tool_id, "name": call.name, "input": arguments}
        arguments = {}
        if call.arguments.strip():
            try:
                arguments = json.loads(call.arguments)
            except ValueError:
                arguments = None
            if not isinstance(arguments, dict):
                arguments = {}
                self.decisions.degrade(
                    Rule.ARGUMENTS_NOT_JSON,
                    f"tool call {call.id!r} ({call.name}): arguments are not a JSON object,"
                    " sent as {}",
                )
        return {"type": "tool_use", "id": tool_id, "name": call.name, "input": arguments}

    def _tool_result(self, result: ir.ToolResult) -> Block:
        content = [b for b in (self._block(p, "user") for p in result.content) if b is not None]
        block: Block = {"type": "tool_result", "tool_use_id": to_anthropic_id(result.call_id)}
        if content:
            block["content"] = content
        if result.is_error:
            block["is_error"] = True
        return _cached(block, result.cache)

    def _merge(self, turns: Iterable[Turn]) -> list[Turn]:
        """Same-role neighbours become one turn; empty turns vanish."""
        merged: list[Turn] = []
        for role, blocks in turns:
            if not blocks:
                continue
            if merged and merged[-1][0] == role:
                merged[-1][1].extend(blocks)
            else:
                merged.append((role, list(blocks)))
        return merged

    def _opening(self, turns: list[Turn]) -> list[Turn]:
        if turns and turns[0][0] == "user":
            return turns
        self.decisions.degrade(
            Rule.USER_TURN_INSERTED,
            f"the conversation did not start with a user turn: a {OPENING_TURN!r} user turn"
            " was put first",
        )
        return [("user", [{"type": "text", "text": OPENING_TURN}]), *turns]

    def _pair(self, turns: list[Turn]) -> list[Turn]:
        """Every tool_use answered in the next user turn, every tool_result matched."""
        paired: list[Turn] = []
        pending: list[str] = []  # tool_use ids of the assistant turn just passed
        seen: set[str] = set()  # tool_use ids of the whole conversation so far
        renamed: dict[str, list[str]] = {}  # a repeated id -> its new ids, in call order
        for role, blocks in turns:
            if role == "assistant":
                renamed = self._unique_ids(blocks, seen)
                pending = [b["id"] for b in blocks if b["type"] == "tool_use"]
                paired.append((role, blocks))
                continue
            for block in blocks:
                new_ids = renamed.get(block.get("tool_use_id", ""))
                if block["type"] == "tool_result" and new_ids:
                    block["tool_use_id"] = new_ids.pop(0)
            paired.append(("user", self._answer(pending, blocks)))
            pending = []
        if pending:  # the conversation ends on tool calls
            paired.append(("user", self._answer(pending, [])))
        return paired

    def _unique_ids(self, blocks: list[Block], seen: set[str]) -> dict[str, list[str]]:
        """Renames tool_use ids already used earlier: Anthropic wants them unique in a request,
        and history made by another provider may repeat them (grok's ``call_0``). The new ids
        stay in this request, so they need not map back. Returns old id -> the ids its results
        should answer, in call order."""
        order: dict[str, list[str]] = {}
        for block in blocks:
            if block["type"] != "tool_use":
                continue
            old = tool_id = block["id"]
            number = 1
            while tool_id in seen:
                number += 1
                tool_id = f"{old}_{number}"
            if tool_id != old:
                self.decisions.degrade(Rule.TOOL_ID_MAPPED, f"repeated tool call id {old!r}")
                block["id"] = tool_id
            seen.add(tool_id)
            order.setdefault(old, []).append(tool_id)
        return {old: ids for old, ids in order.items() if ids != [old]}

    def _answer(self, pending: list[str], blocks: list[Block]) -> list[Block]:
        open_ids = set(pending)
        results: list[Block] = []
        others: list[Block] = []
        for block in blocks:
            if block["type"] != "tool_result":
                others.append(block)
            elif block["tool_use_id"] in open_ids:
                open_ids.discard(block["tool_use_id"])
                results.append(block)
            else:
                others.extend(self._orphan(block))
        for tool_id in pending:
            if tool_id in open_ids:
                self.decisions.degrade(
                    Rule.UNANSWERED_TOOL_CALL, f"tool call {from_anthropic_id(tool_id)!r}"
                )
                content = [{"type": "text", "text": UNANSWERED_RESULT}]
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_id,
                        "is_error": True,
                        "content": content,
                    }
                )
        # Anthropic wants the tool results first in their user turn.
        return results + others

    def _orphan(self, result: Block) -> list[Block]:
        call_id = from_anthropic_id(result["tool_use_id"])
        self.decisions.degrade(Rule.ORPHAN_TOOL_RESULT, f"no tool call {call_id!r} before it")
        content: list[Block] = result.get("content", [])
        texts = [b["text"] for b in content if b["type"] == "text"]
        error = " (error)" if result.get("is_error") else ""
        header = f"[result of tool call {call_id}{error}]"
        text = "\n".join([header, *texts]) if texts else f"{header} (no output)"
        return [{"type": "text", "text": text}, *(b for b in content if b["type"] != "text")]

    # --- tools and options -----------------------------------------------------------------

    def _tools(self, request: ir.Request, body: dict[str, Any]) -> bool:
        """Writes tools and tool_choice; whether a tool call is forced."""
        if not request.tools:
            choice = request.tool_choice
            if choice is not None and (
                choice.mode in (ir.ToolChoiceMode.ANY, ir.ToolChoiceMode.TOOL)
                or choice.parallel is False
            ):
                self.decisions.degrade(Rule.FIELD_DROPPED, "tool_choice without tools")
            return False
        if not self.profile.tools:
            self.decisions.degrade(Rule.TOOLS_DROPPED, f"{self.profile.name} takes no tools")
            return False
        for tool in request.tools:
            if tool.kind == "custom":
                self.decisions.degrade(Rule.CUSTOM_TOOL_AS_FUNCTION, tool.name)
        body["tools"] = [_tool(tool) for tool in request.tools]
        choice = request.tool_choice
        if choice is None:
            return False
        written: dict[str, Any] = {"type": choice.mode.value}
        if choice.mode is ir.ToolChoiceMode.TOOL:
            written["name"] = choice.name
        if choice.parallel is False and choice.mode is not ir.ToolChoiceMode.NONE:
            if self.profile.parallel_tool_calls:
                written["disable_parallel_tool_use"] = True
            else:
                self.decisions.degrade(
                    Rule.PARALLEL_CONTROL_DROPPED, f"{self.profile.name}: parallel_tool_calls"
                )
        body["tool_choice"] = written
        return choice.mode in (ir.ToolChoiceMode.ANY, ir.ToolChoiceMode.TOOL)

    def _max_tokens(self, requested: int | None, thinking: ir.ThinkingConfig | None) -> int:
        limit = self.profile.max_output_tokens
        default = DEFAULT_MAX_TOKENS
        thinks = thinking is not None and thinking.enabled and not thinking.adaptive
        if thinking is not None and thinks and self.profile.reasoning_effort:
            # Chat counts reasoning in the output limit; with none given, the thinking
            # budget comes on top of the answer's room, not out of it.
            default += thinking.budget_tokens or budget_for_effort(
                thinking.effort or ir.Effort.MEDIUM
            )
        max_tokens = requested or limit or default
        if limit is not None and max_tokens > limit:
            self.decisions.degrade(
                Rule.MAX_TOKENS_CLAMPED, f"{max_tokens} above {self.profile.name}'s {limit}"
            )
            max_tokens = limit
        return max_tokens

    def _thinking(
        self,
        config: ir.ThinkingConfig | None,
        max_tokens: int,
        forced_tool: bool,
        unsigned: str | None,
    ) -> dict[str, Any] | None:
        if config is None:
            return None
        if not self.profile.reasoning_effort:
            if config.enabled:
                self.decisions.degrade(
                    Rule.THINKING_NOT_SUPPORTED, f"{self.profile.name} takes no thinking"
                )
            return None
        if not config.enabled:
            return {"type": "disabled"}
        reason = None
        if forced_tool:
            reason = "Anthropic takes no thinking with a forced tool_choice"
        elif unsigned is not None:
            reason = f"{unsigned} has no signed thinking, which Anthropic needs"
        if config.adaptive and reason is None:
            return {"type": "adaptive"}
        budget = config.budget_tokens or budget_for_effort(
            config.effort or ir.Effort.MEDIUM, max_tokens
        )
        budget = min(budget, max_tokens - 1)
        if reason is None and budget < MIN_BUDGET:
            reason = f"max_tokens {max_tokens} leaves no room for a {MIN_BUDGET}-token budget"
        if reason is not None:
            self.decisions.degrade(Rule.THINKING_NOT_SUPPORTED, f"thinking off: {reason}")
            return None
        return {"type": "enabled", "budget_tokens": budget}

    def _sampling(self, request: ir.Request, body: dict[str, Any], thinking: bool) -> None:
        temperature, top_p = request.temperature, request.top_p
        if temperature is not None:
            if thinking and temperature != 1:
                self.decisions.degrade(
                    Rule.SAMPLING_DROPPED, f"temperature {temperature}: not allowed with thinking"
                )
                temperature = None
            elif temperature > 1:
                self.decisions.degrade(
                    Rule.SAMPLING_DROPPED, f"temperature {temperature} above Anthropic's 1: sent 1"
                )
                temperature = 1.0
        if temperature is not None:
            body["temperature"] = temperature
        if top_p is not None and top_p < 1:
            if thinking and top_p < 0.95:
                self.decisions.degrade(
                    Rule.SAMPLING_DROPPED, f"top_p {top_p}: below 0.95 is not allowed with thinking"
                )
            elif temperature is not None:
                self.decisions.degrade(
                    Rule.SAMPLING_DROPPED, f"top_p {top_p}: Anthropic takes it or temperature"
                )
            else:
                body["top_p"] = top_p
        if request.top_k is not None:
            if not self.profile.top_k:
                self.decisions.degrade(Rule.TOP_K_DROPPED, f"{self.profile.name} takes no top_k")
            elif thinking:
                self.decisions.degrade(Rule.TOP_K_DROPPED, "top_k is not allowed with thinking")
            else:
                body["top_k"] = request.top_k

    def _options(self, request: ir.Request, body: dict[str, Any]) -> None:
        if request.stop:
            # Anthropic refuses stop sequences that are only whitespace.
            stops = [s for s in request.stop if s.strip()]
            if not self.profile.stop_sequences:
                stops = []
            if len(stops) < len(request.stop):
                self.decisions.degrade(
                    Rule.STOP_SEQUENCES_DROPPED,
                    f"{len(request.stop) - len(stops)} of {len(request.stop)} stop sequences",
                )
            if stops:
                body["stop_sequences"] = stops
        output_format = request.output_format
        if output_format is not None:
            if not self.profile.structured_output:
                self.decisions.degrade(
                    Rule.STRUCTURED_OUTPUT_DROPPED, f"{self.profile.name} takes no output schema"
                )
            elif output_format.schema is None:
                self.decisions.degrade(
                    Rule.STRUCTURED_OUTPUT_DROPPED, "JSON mode without a schema has no equivalent"
                )
            else:
                schema = dict(output_format.schema)
                body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        if request.user is not None:
            if self.profile.user:
                body["metadata"] = {"user_id": request.user}
            else:
                self.decisions.degrade(Rule.USER_DROPPED, f"{self.profile.name} takes no user id")
        for key, value in request.extras.items():
            if key in _HONOURED_EXTRAS:
                continue
            rule = Rule.OPTION_NOT_HONOURED if _loses(key, value) else Rule.FIELD_DROPPED
            self.decisions.degrade(rule, f"{key!r} has no Anthropic equivalent")
        if request.stream:
            body["stream"] = True

    def _limit_cache_breakpoints(self, body: dict[str, Any]) -> None:
        marked = [b for b in body.get("tools", []) if "cache_control" in b]
        marked += [b for b in body.get("system", []) if "cache_control" in b]
        for message in body["messages"]:
            for block in message["content"]:
                marked += [b for b in block.get("content", []) if "cache_control" in b]
                if "cache_control" in block:
                    marked.append(block)
        if marked and not self.profile.cache_control:
            for block in marked:
                del block["cache_control"]
            self.decisions.degrade(
                Rule.CACHE_HINT_DROPPED, f"{self.profile.name} takes no cache_control"
            )
            return
        extra = len(marked) - MAX_CACHE_BREAKPOINTS
        if extra > 0:
            # Later breakpoints cover longer prefixes: keep those.
            for block in marked[:extra]:
                del block["cache_control"]
            self.decisions.degrade(
                Rule.CACHE_HINT_DROPPED,
                f"{len(marked)} cache breakpoints, Anthropic takes {MAX_CACHE_BREAKPOINTS}",
            )


def _tool(tool: ir.ToolDef) -> Block:
    if tool.kind == "custom":
        schema = custom_tools.function_schema(tool)
    elif tool.parameters:
        schema = dict(tool.parameters)
    else:
        schema = {"type": "object", "properties": {}}
    written: Block = {"name": tool.name}
    if tool.description:
        written["description"] = tool.description
    written["input_schema"] = schema
    return _cached(written, tool.cache)


def _loses(key: str, value: object) -> bool:
    """Whether leaving out a Chat option changes what the client gets back (several
    choices, log probabilities, tools of other kinds, audio, web search), rather than only
    how it is made (seed, penalties, store, service tier, predicted output)."""
    if key in ("tools", "tool_choice", "audio", "web_search_options", *HOSTED_TOOL_EXTRAS):
        return value is not None
    if key in STATEFUL_OPTIONS:
        return bool(value)
    if key == "n":
        return isinstance(value, int) and value > 1
    if key in ("logprobs", "top_logprobs"):
        return bool(value)
    if key == "modalities":
        return isinstance(value, list) and any(m != "text" for m in value)
    return False


def _unsigned_final(turns: list[Turn]) -> str | None:
    """Which assistant turn starts without thinking where Anthropic requires it to start with a
    thinking block when thinking is on: the one a tool loop continues, or a final (prefilled)
    one. None when there is no such turn."""
    if turns and turns[-1][0] == "assistant":
        first, what = turns[-1][1][0], "the final (prefilled) assistant turn"
    elif len(turns) >= 2 and turns[-2][0] == "assistant":
        if not any(b["type"] == "tool_result" for b in turns[-1][1]):
            return None
        first, what = turns[-2][1][0], "the tool loop's assistant turn"
    else:
        return None
    return None if first["type"] in ("thinking", "redacted_thinking") else what


def _trim_final_assistant(turns: list[Turn]) -> None:
    """A final assistant turn (prefill) may not end with whitespace."""
    if not turns or turns[-1][0] != "assistant":
        return
    blocks = turns[-1][1]
    if blocks[-1]["type"] == "text":
        blocks[-1]["text"] = blocks[-1]["text"].rstrip()
        if not blocks[-1]["text"]:
            blocks.pop()
    if not blocks:
        turns.pop()
