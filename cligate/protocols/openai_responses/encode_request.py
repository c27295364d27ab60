"""The neutral ``ir.Request`` → an OpenAI Responses request body (``POST /v1/responses``).

Writes only what the target's ``CapabilityProfile`` says it takes; everything else is dropped or
rewritten through ``Decisions.degrade``. cligate keeps no state, so every request is
``store: false`` and carries the whole conversation as ``input`` items; a reasoning model's
encrypted reasoning comes back in answers (``include``) and goes back in with the next turn.

Choices where the protocol or the brief left room:
- Tool calls and results are paired as the Chat encoder does: each call's output is written
  right after the assistant turn that made it (in call order), a result without an open call
  becomes user text (Rule.ORPHAN_TOOL_RESULT), and a call without a result gets a stand-in
  output (Rule.UNANSWERED_TOOL_CALL): the API refuses a call without an output when nothing is
  stored. A system message that came between calls and their results waits until the results
  are written (Rule.SYSTEM_MESSAGE_MOVED); any other stays in place as a ``developer`` message
  (the profile's ``mid_conversation_system`` is about Chat templates: Responses has the role).
- ``include: ["reasoning.encrypted_content"]`` is sent only when the profile says the model
  reasons (``reasoning_effort``): OpenAI refuses it for other models ("Encrypted content is not
  supported with this model"). For the same reason encrypted reasoning in the history is only
  sent back to such a model (else Rule.REASONING_HISTORY_DROPPED).
- Reasoning items go back without an ``id`` (as Codex sends them with ``store: false``); their
  ``summary`` is empty when the reasoning had no text.
- The reasoning summary is not requested (``reasoning.summary``): organisations that are not
  verified get a 400 for it.
- ``max_output_tokens`` below the API's minimum (16) is raised to it (Rule.MAX_TOKENS_CLAMPED):
  Claude Code probes its quota with ``max_tokens: 1``.
- A model that reasons (the profile's ``reasoning_effort``) gets no ``temperature`` or ``top_p``:
  OpenAI's reasoning models refuse ``top_p`` and any temperature but the default 1 (Gemini CLI
  sends both on every request). A value other than 1 is recorded (Rule.SAMPLING_DROPPED).
- Tool call arguments that are empty text are sent as ``{}`` (no arguments).
- Images keep ``detail: "auto"`` (the API's default, required by the message image type);
  PDFs go as ``input_file`` when the profile takes documents.
- ``extras["hosted_tools"]`` (the Responses API's own tools: web_search, file_search, …) are
  passed on as given; ``extras["stream_options"]`` is honoured by the answer's encoder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cligate.protocols import ir
from cligate.protocols.capabilities import (
    HOSTED_TOOL_EXTRAS,
    STATEFUL_OPTIONS,
    CapabilityProfile,
    Decisions,
    Rule,
)
from cligate.protocols.system_prompt import without_billing_header
from cligate.protocols.thinking import openai_effort, record_without_thinking, requested_effort
from cligate.protocols.tool_ids import from_anthropic_id

UNANSWERED_RESULT = "(no result: the tool call was not answered)"
ENCRYPTED_REASONING = "reasoning.encrypted_content"
MIN_OUTPUT_TOKENS = 16  # the API refuses less
# An end-user id is a short opaque string; a longer value is something else.
MAX_USER_ID = 64
_SEPARATOR = "\n\n"
_HONOURED_EXTRAS = frozenset({"hosted_tools", "stream_options"})
# The tool types the Responses API runs itself (openai/types/responses/tool.py).
RESPONSES_HOSTED_TOOLS = frozenset(
    {
        "web_search",
        "web_search_preview",
        "web_search_2025_08_26",
        "web_search_preview_2025_03_11",
        "file_search",
        "code_interpreter",
        "image_generation",
        "mcp",
        "local_shell",
        "computer_use_preview",
        "computer",
        "programmatic_tool_calling",
        "tool_search",
        "namespace",
        "shell",
        "apply_patch",
    }
)

Json = dict[str, Any]
CallKind = Literal["function", "custom"]


def encode_request(
    request: ir.Request, model: str, profile: CapabilityProfile, decisions: Decisions
) -> dict[str, Any]:
    encoder = _Encoder(profile, decisions)
    body: Json = {"model": model}
    instructions = encoder.instructions(request.system)
    if instructions:
        body["instructions"] = instructions
    body["input"] = encoder.input(request.messages)
    encoder.tools(request, body)
    _limits(request, profile, decisions, body)
    _thinking(request.thinking, profile, decisions, body)
    _output_format(request.output_format, profile, decisions, body)
    _user(request.user, profile, decisions, body)
    for key, value in request.extras.items():
        _drop_extra(key, value, decisions)
    body["store"] = False
    if profile.reasoning_effort:
        body["include"] = [ENCRYPTED_REASONING]
    if request.stream:
        body["stream"] = True
    return body


@dataclass(frozen=True, slots=True)
class _Pending:
    call_id: str
    kind: CallKind


class _Encoder:
    def __init__(self, profile: CapabilityProfile, decisions: Decisions) -> None:
        self.profile = profile
        self.decisions = decisions
        self.out: list[Json] = []
        self.pending: list[_Pending] = []  # calls of the last assistant turn, not yet answered
        self.held: list[Json] = []  # system messages waiting for pending calls to be answered

    # --- system --------------------------------------------------------------------------

    def instructions(self, blocks: Iterable[ir.Text]) -> str:
        kept = []
        for block in without_billing_header(blocks, self.decisions):
            if block.cache:
                self._drop_cache("a system block")
            if block.text:
                kept.append(block.text)
        return _SEPARATOR.join(kept)

    # --- messages ------------------------------------------------------------------------

    def input(self, messages: Iterable[ir.Message]) -> list[Json]:
        for message in messages:
            if message.role == "assistant":
                self._close_calls()
                self._assistant(message.parts)
            elif message.role == "system":
                self._mid_system(message.parts)
            else:
                self._user(message.parts)
        self._close_calls()
        return self.out

    def _mid_system(self, parts: Iterable[ir.Part]) -> None:
        content = []
        for part in parts:
            if isinstance(part, ir.Text):
                if part.cache:
                    self._drop_cache("a system message")
                if part.text:
                    content.append(_input_text(part.text))
            else:
                self._misplaced(part, "system")
        if not content:
            return  # nothing to say; an empty message is refused
        message = {"type": "message", "role": "developer", "content": content}
        if self.pending:
            self.decisions.degrade(
                Rule.SYSTEM_MESSAGE_MOVED, "a system message between tool calls and results"
            )
            self.held.append(message)
        else:
            self.out.append(message)

    def _assistant(self, parts: Iterable[ir.Part]) -> None:
        texts: list[Json] = []  # output_text parts of the message being gathered

        def flush() -> None:
            if texts:
                self.out.append({"type": "message", "role": "assistant", "content": list(texts)})
                texts.clear()

        for part in parts:
            if isinstance(part, ir.Text):
                if part.cache:
                    self._drop_cache("an assistant text block")
                if part.text:
                    texts.append(_output_text(part.text))
            elif isinstance(part, ir.Thinking):
                item = self._reasoning(part)
                if item is not None:
                    flush()
                    self.out.append(item)
            elif isinstance(part, ir.ToolCall):
                if not self.profile.tools:
                    # Without tools the provider refuses tool calls: the model reads what it did.
                    text = f"[called tool {part.name} with {part.arguments}]"
                    texts.append(_output_text(text))
                    continue
                flush()
                self.out.append(self._tool_call(part))
            else:
                self._misplaced(part, "assistant")
        flush()

    def _reasoning(self, part: ir.Thinking) -> Json | None:
        if part.redacted is not None:
            self.decisions.degrade(
                Rule.REASONING_HISTORY_DROPPED, "redacted thinking is only readable by Anthropic"
            )
            return None
        if part.encrypted is None:
            if part.signature:
                self.decisions.degrade(
                    Rule.SIGNATURE_DROPPED, "signed thinking is only readable by Anthropic"
                )
            else:
                self.decisions.degrade(
                    Rule.REASONING_HISTORY_DROPPED,
                    "reasoning without encrypted content: Responses takes only its own",
                )
            return None
        if not self.profile.reasoning_effort:
            self.decisions.degrade(
                Rule.REASONING_HISTORY_DROPPED,
                "encrypted reasoning, for a model that does not think",
            )
            return None
        summary = [{"type": "summary_text", "text": part.text}] if part.text else []
        return {"type": "reasoning", "summary": summary, "encrypted_content": part.encrypted}

    def _tool_call(self, part: ir.ToolCall) -> Json:
        call_id = from_anthropic_id(part.id)
        if any(p.call_id == call_id for p in self.pending):
            # Its result could not be told apart from the other's (Anthropic refuses it too).
            raise ir.DecodeError(f"duplicate tool call id {call_id!r} in one assistant turn")
        self.pending.append(_Pending(call_id, part.kind))
        if part.kind == "custom":
            return {
                "type": "custom_tool_call",
                "call_id": call_id,
                "name": part.name,
                "input": part.arguments,
            }
        return {
            "type": "function_call",
            "call_id": call_id,
            "name": part.name,
            "arguments": part.arguments if part.arguments.strip() else "{}",
        }

    def _user(self, parts: Iterable[ir.Part]) -> None:
        open_ids = {p.call_id for p in self.pending}
        answers: dict[str, ir.ToolResult] = {}
        content: list[Json] = []
        for part in parts:
            if isinstance(part, ir.ToolResult):
                call_id = from_anthropic_id(part.call_id)
                if call_id in open_ids and call_id not in answers:
                    answers[call_id] = part
                else:
                    self.decisions.degrade(
                        Rule.ORPHAN_TOOL_RESULT, f"no open tool call has id {call_id!r}"
                    )
                    content.extend(self._orphan(call_id, part))
            else:
                content.extend(self._user_part(part))
        self._close_calls(answers)
        if content:
            self.out.append({"type": "message", "role": "user", "content": content})

    def _close_calls(self, answers: dict[str, ir.ToolResult] | None = None) -> None:
        """Write an output for each pending call, in call order; the unanswered get a
        stand-in, as the API refuses a call without an output."""
        answers = answers or {}
        for call in self.pending:
            result = answers.get(call.call_id)
            if result is None:
                self.decisions.degrade(Rule.UNANSWERED_TOOL_CALL, f"tool call {call.call_id!r}")
                output: str | list[Json] = UNANSWERED_RESULT
            else:
                output = self._output(result)
            kind = "custom_tool_call_output" if call.kind == "custom" else "function_call_output"
            self.out.append({"type": kind, "call_id": call.call_id, "output": output})
        self.pending = []
        self.out.extend(self.held)
        self.held = []

    def _output(self, result: ir.ToolResult) -> str | list[Json]:
        """A tool result as output text, or a list of text and image parts when it holds an
        image (both output types take ``input_image`` parts)."""
        if result.cache:
            self._drop_cache("a tool result")
        parts: list[Json] = []
        for item in result.content:
            if isinstance(item, ir.Text):
                if item.cache:
                    self._drop_cache("a tool result")
                parts.append(_input_text(item.text))
            else:
                parts.extend(self._image(item))
        if result.is_error:
            self.decisions.degrade(Rule.ERROR_FLAG_AS_TEXT, "Responses has no tool error flag")
            if parts and parts[0]["type"] == "input_text":
                parts[0] = _input_text("Error: " + parts[0]["text"])
            else:
                parts.insert(0, _input_text("Error:"))
        if all(p["type"] == "input_text" for p in parts):
            return _SEPARATOR.join(p["text"] for p in parts)
        return [p for p in parts if p["type"] != "input_text" or p["text"]]

    def _orphan(self, call_id: str, result: ir.ToolResult) -> list[Json]:
        label = "Error result" if result.is_error else "Result"
        parts = [_input_text(f"{label} of tool call {call_id}:")]
        for item in result.content:
            parts.extend(self._user_part(item))
        return parts

    def _user_part(self, part: ir.Part) -> list[Json]:
        if isinstance(part, ir.Text):
            if part.cache:
                self._drop_cache("a text block")
            return [_input_text(part.text)] if part.text else []
        if isinstance(part, ir.Image):
            return self._image(part)
        if isinstance(part, ir.Document):
            return self._document(part)
        return self._misplaced(part, "user")

    def _misplaced(self, part: ir.Part, role: str) -> list[Json]:
        # The decoders never make these; another client's IR might.
        self.decisions.degrade(Rule.FIELD_DROPPED, f"a {type(part).__name__} in a {role} turn")
        return []

    def _image(self, image: ir.Image) -> list[Json]:
        if image.cache:
            self._drop_cache("an image")
        if not self.profile.images:
            self.decisions.degrade(Rule.IMAGES_DROPPED, "the target takes no images")
            return [_input_text("[image omitted: this model does not take images]")]
        if image.url is not None:
            if not self.profile.image_urls:
                self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, "images by URL")
                return [_input_text(f"[image omitted: {image.url}]")]
            return [{"type": "input_image", "image_url": image.url, "detail": "auto"}]
        if image.media_type not in self.profile.image_types:
            self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, str(image.media_type))
            return [_input_text(f"[image omitted: {image.media_type} is not supported]")]
        url = f"data:{image.media_type};base64,{image.data}"
        return [{"type": "input_image", "image_url": url, "detail": "auto"}]

    def _document(self, document: ir.Document) -> list[Json]:
        if document.cache:
            self._drop_cache("a document")
        title = document.title or "document"
        if document.text is not None:
            self.decisions.degrade(Rule.DOCUMENT_AS_TEXT, title)
            text = document.text
            if document.title:
                text = document.title + _SEPARATOR + text
            return [_input_text(text)] if text else []
        if self.profile.documents and document.data is not None:
            return [
                {
                    "type": "input_file",
                    "filename": document.title or "document.pdf",
                    "file_data": f"data:{document.media_type};base64,{document.data}",
                }
            ]
        if self.profile.documents and document.url is not None:
            return [{"type": "input_file", "file_url": document.url}]
        self.decisions.degrade(Rule.DOCUMENT_DROPPED, title)
        where = f": {document.url}" if document.url else ""
        return [_input_text(f"[document omitted{where}]")]

    def _drop_cache(self, where: str) -> None:
        # The Responses API caches prompt prefixes by itself; hints have no field.
        self.decisions.degrade(Rule.CACHE_HINT_DROPPED, f"cache_control on {where}")

    # --- tools ---------------------------------------------------------------------------

    def tools(self, request: ir.Request, body: Json) -> None:
        hosted = request.extras.get("hosted_tools")
        hosted = [t for t in hosted if isinstance(t, dict)] if isinstance(hosted, list) else []
        # Only the Responses API's own hosted tools are at home here; another vendor's (a
        # Gemini googleSearch) would be refused as an unknown tool.
        for tool in hosted:
            if tool.get("type") not in RESPONSES_HOSTED_TOOLS:
                self.decisions.degrade(Rule.TOOLS_DROPPED, f"hosted tool {tool.get('type')}")
        hosted = [t for t in hosted if t.get("type") in RESPONSES_HOSTED_TOOLS]
        choice = request.tool_choice
        if not self.profile.tools:
            if request.tools or hosted:
                count = len(request.tools) + len(hosted)
                self.decisions.degrade(Rule.TOOLS_DROPPED, f"{count} tools")
            elif choice is not None:
                self.decisions.degrade(Rule.FIELD_DROPPED, "tool_choice (no tools to choose)")
            return
        if not request.tools and not hosted:
            if choice is not None:
                self.decisions.degrade(Rule.FIELD_DROPPED, "tool_choice (no tools to choose)")
            return
        tools: list[Json] = []
        for tool in request.tools:
            if tool.cache:
                self._drop_cache("a tool definition")
            tools.append(_tool(tool))
        tools.extend(hosted)  # the Responses API's own tools: this is their home
        body["tools"] = tools
        if choice is None:
            return
        if choice.mode is ir.ToolChoiceMode.TOOL:
            custom = any(t.kind == "custom" and t.name == choice.name for t in request.tools)
            body["tool_choice"] = {"type": "custom" if custom else "function", "name": choice.name}
        else:
            words = {ir.ToolChoiceMode.ANY: "required", ir.ToolChoiceMode.NONE: "none"}
            body["tool_choice"] = words.get(choice.mode, "auto")
        if choice.parallel is False:
            if self.profile.parallel_tool_calls:
                body["parallel_tool_calls"] = False
            else:
                self.decisions.degrade(
                    Rule.PARALLEL_CONTROL_DROPPED, "the target takes no parallel_tool_calls"
                )


def _tool(tool: ir.ToolDef) -> Json:
    if tool.kind == "custom":
        custom: Json = {"type": "custom", "name": tool.name}
        if tool.description:
            custom["description"] = tool.description
        if tool.format is not None:
            custom["format"] = dict(tool.format)
        return custom
    function: Json = {"type": "function", "name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = dict(tool.parameters)
    # Strict mode would reject the schemas coding tools send (optional properties).
    function["strict"] = False
    return function


def _input_text(text: str) -> Json:
    return {"type": "input_text", "text": text}


def _output_text(text: str) -> Json:
    # ``annotations`` is required by the API's type for output text; strict servers check it.
    return {"type": "output_text", "text": text, "annotations": []}


def _limits(
    request: ir.Request, profile: CapabilityProfile, decisions: Decisions, body: Json
) -> None:
    max_tokens = request.max_tokens
    limit = profile.max_output_tokens
    if max_tokens is not None:
        if limit is not None and max_tokens > limit:
            decisions.degrade(Rule.MAX_TOKENS_CLAMPED, f"{max_tokens} → {limit}")
            max_tokens = limit
        if max_tokens < MIN_OUTPUT_TOKENS:
            decisions.degrade(
                Rule.MAX_TOKENS_CLAMPED, f"{max_tokens} → {MIN_OUTPUT_TOKENS}, the API's minimum"
            )
            max_tokens = MIN_OUTPUT_TOKENS
        body["max_output_tokens"] = max_tokens
    for name, value in (("temperature", request.temperature), ("top_p", request.top_p)):
        if value is None:
            continue
        if not profile.reasoning_effort:
            body[name] = value
        elif value != 1:  # 1 is the default: leaving it out loses nothing
            decisions.degrade(
                Rule.SAMPLING_DROPPED, f"{name} {value:g}: a reasoning model takes only the default"
            )
    if request.top_k is not None:
        decisions.degrade(Rule.TOP_K_DROPPED, f"top_k={request.top_k}")
    if request.stop:
        decisions.degrade(
            Rule.STOP_SEQUENCES_DROPPED, f"all {len(request.stop)}: Responses has no stop"
        )


def _thinking(
    config: ir.ThinkingConfig | None,
    profile: CapabilityProfile,
    decisions: Decisions,
    body: Json,
) -> None:
    effort = requested_effort(config)
    if config is None or effort is None:
        return
    if profile.reasoning_effort:
        body["reasoning"] = {"effort": openai_effort(effort)}
    else:
        record_without_thinking(config, effort, decisions)


def _output_format(
    fmt: ir.OutputFormat | None, profile: CapabilityProfile, decisions: Decisions, body: Json
) -> None:
    if fmt is None:
        return
    if fmt.schema is None:
        body["text"] = {"format": {"type": "json_object"}}
        return
    if not profile.structured_output:
        decisions.degrade(Rule.STRUCTURED_OUTPUT_AS_JSON_MODE, "a JSON schema")
        body["text"] = {"format": {"type": "json_object"}}
        return
    schema: Json = {"type": "json_schema", "name": fmt.name or "output", "schema": dict(fmt.schema)}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    body["text"] = {"format": schema}


def _user(user: str | None, profile: CapabilityProfile, decisions: Decisions, body: Json) -> None:
    if user is None:
        return
    if not profile.user:
        decisions.degrade(Rule.USER_DROPPED, "the target takes no end-user id")
    elif not user or len(user) > MAX_USER_ID or user.startswith("{"):
        # Claude Code's user_id is a JSON record of its device and session ids, not an
        # end-user id: another vendor has no use for it.
        decisions.degrade(Rule.USER_DROPPED, "not a plain end-user id")
    else:
        body["safety_identifier"] = user


def _drop_extra(key: str, value: Any, decisions: Decisions) -> None:
    if key in _HONOURED_EXTRAS:
        return
    if key in HOSTED_TOOL_EXTRAS and isinstance(value, list):  # Anthropic's server tools
        for tool in value:
            kind = tool.get("type") if isinstance(tool, dict) else None
            # A tool the model would have used: lossy, unlike a vendor field.
            decisions.degrade(Rule.TOOLS_DROPPED, f"server tool {kind}")
        return
    if key in STATEFUL_OPTIONS:
        if value:
            decisions.degrade(Rule.OPTION_NOT_HONOURED, f"{key}: cligate keeps no state")
        return  # off: what every request of this encoder says (store: false)
    decisions.degrade(Rule.FIELD_DROPPED, key)
