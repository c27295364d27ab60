"""The neutral ``ir.Request`` → an OpenAI Chat Completions request body.

Writes only what the target's ``CapabilityProfile`` says it takes; everything else is dropped
or rewritten through ``Decisions.degrade`` so the log (or strict mode) sees it. Chat providers
are strict about message order, so tool calls and results are paired here: every ``tool``
message follows the assistant message that made the call, and every call gets an answer.
"""

from __future__ import annotations

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
from cligate.protocols.system_prompt import without_billing_header
from cligate.protocols.thinking import openai_effort, record_without_thinking, requested_effort
from cligate.protocols.tool_ids import from_anthropic_id

MAX_STOP_SEQUENCES = 4  # OpenAI's limit; more is a 400
UNANSWERED_RESULT = "(no result: the tool call was not answered)"
_SEPARATOR = "\n\n"
_CACHE = {"type": "ephemeral"}

Json = dict[str, Any]
# An end-user id is a short opaque string; a longer value is something else.
MAX_USER_ID = 64


def encode_request(
    request: ir.Request, model: str, profile: CapabilityProfile, decisions: Decisions
) -> dict[str, Any]:
    encoder = _Encoder(profile, decisions)
    body: Json = {"model": model, "messages": encoder.messages(request)}
    encoder.tools(request, body)
    _limits(request, profile, decisions, body)
    _thinking(request.thinking, profile, decisions, body)
    _output_format(request.output_format, profile, decisions, body)
    if request.user is not None:
        if not profile.user:
            decisions.degrade(Rule.USER_DROPPED, "the target takes no end-user id")
        elif len(request.user) > MAX_USER_ID or request.user.startswith("{"):
            # Claude Code's user_id is a JSON record of its device and session ids, not an
            # end-user id: another vendor has no use for it.
            decisions.degrade(Rule.USER_DROPPED, "not a plain end-user id")
        else:
            body["user"] = request.user
    for key, value in request.extras.items():
        _drop_extra(key, value, decisions)
    if request.stream:
        body["stream"] = True
        if profile.stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body


class _Encoder:
    def __init__(self, profile: CapabilityProfile, decisions: Decisions) -> None:
        self.profile = profile
        self.decisions = decisions
        self.out: list[Json] = []
        self.pending: list[str] = []  # call ids of the last assistant message, not yet answered
        self.held: list[Json] = []  # system messages waiting for pending calls to be answered

    # --- messages ------------------------------------------------------------------------

    def messages(self, request: ir.Request) -> list[Json]:
        system = without_billing_header(request.system, self.decisions)
        if system:
            self.out.append({"role": "system", "content": self._text_content(system)})
        for message in request.messages:
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
        texts = [p for p in parts if isinstance(p, ir.Text)]
        if not any(t.text for t in texts):
            return  # nothing to say; some providers reject an empty message
        message: Json = {"role": "system", "content": self._text_content(texts)}
        if not self.profile.mid_conversation_system:
            # Some chat templates (local servers') refuse a system message after the first:
            # it becomes a user message in the tags Claude Code itself uses for reminders.
            self.decisions.degrade(Rule.SYSTEM_MESSAGE_MOVED, "into a user message")
            text = "\n\n".join(t.text for t in texts if t.text)
            message = {"role": "user", "content": f"<system-reminder>\n{text}\n</system-reminder>"}
        if self.pending:
            # Chat wants tool results right after the calls: the system message waits.
            self.decisions.degrade(
                Rule.SYSTEM_MESSAGE_MOVED, "a system message between tool calls and results"
            )
            self.held.append(message)
        else:
            self.out.append(message)

    def _assistant(self, parts: Iterable[ir.Part]) -> None:
        texts: list[ir.Text] = []
        reasoning: list[str] = []
        calls: list[Json] = []
        for part in parts:
            if isinstance(part, ir.Text):
                texts.append(part)
            elif isinstance(part, ir.Thinking):
                self._thinking_history(part, reasoning)
            elif isinstance(part, ir.ToolCall):
                call = self._tool_call(part, texts)
                if call is not None:
                    calls.append(call)
            else:
                self._misplaced(part, "assistant")
        texts = [t for t in texts if t.text]
        if not texts and not calls:
            if reasoning:
                # Chat rejects an assistant message with neither content nor tool calls.
                self.decisions.degrade(
                    Rule.REASONING_HISTORY_DROPPED, "an assistant turn with only thinking"
                )
            return
        message: Json = {"role": "assistant"}
        message["content"] = self._text_content(texts) if texts else None
        if reasoning:
            message[self.profile.reasoning_field] = _SEPARATOR.join(reasoning)
        if calls:
            message["tool_calls"] = calls
            self.pending = [call["id"] for call in calls]
        self.out.append(message)

    def _thinking_history(self, part: ir.Thinking, reasoning: list[str]) -> None:
        if part.redacted is not None:
            self.decisions.degrade(
                Rule.REASONING_HISTORY_DROPPED, "redacted thinking is only readable by Anthropic"
            )
            return
        if not self.profile.reasoning_field:
            self.decisions.degrade(
                Rule.REASONING_HISTORY_DROPPED, "the target takes no reasoning in history"
            )
            return
        if part.signature:
            self.decisions.degrade(
                Rule.SIGNATURE_DROPPED, "thinking signatures are only valid for Anthropic"
            )
        if part.text:
            reasoning.append(part.text)

    def _tool_call(self, part: ir.ToolCall, texts: list[ir.Text]) -> Json | None:
        if not self.profile.tools:
            # Without tools the provider rejects tool_calls: the model reads what it did.
            texts.append(ir.Text(f"[called tool {part.name} with {part.arguments}]"))
            return None
        arguments = part.arguments
        if part.kind == "custom":
            self.decisions.degrade(Rule.CUSTOM_TOOL_AS_FUNCTION, part.name)
            arguments = custom_tools.wrap_input(arguments)
        function = {"name": part.name, "arguments": arguments}
        return {"id": from_anthropic_id(part.id), "type": "function", "function": function}

    def _user(self, parts: Iterable[ir.Part]) -> None:
        answers: dict[str, Json] = {}
        moved: list[Json] = []  # images out of tool results
        content: list[Json] = []
        for part in parts:
            if isinstance(part, ir.ToolResult):
                call_id = from_anthropic_id(part.call_id)
                if call_id in self.pending and call_id not in answers:
                    answers[call_id] = self._tool_message(call_id, part, moved)
                else:
                    self.decisions.degrade(
                        Rule.ORPHAN_TOOL_RESULT, f"no open tool call has id {call_id!r}"
                    )
                    content.extend(self._orphan(call_id, part))
            else:
                content.extend(self._user_part(part))
        self._close_calls(answers)
        user = moved + content
        if user:
            self.out.append({"role": "user", "content": self._user_content(user)})

    def _close_calls(self, answers: dict[str, Json] | None = None) -> None:
        """Write a tool message for each pending call, in call order; the unanswered get a
        stand-in, as Chat providers reject a call without a result."""
        answers = answers or {}
        for call_id in self.pending:
            message = answers.get(call_id)
            if message is None:
                self.decisions.degrade(Rule.UNANSWERED_TOOL_CALL, f"tool call {call_id!r}")
                message = {"role": "tool", "tool_call_id": call_id, "content": UNANSWERED_RESULT}
            self.out.append(message)
        self.pending = []
        self.out.extend(self.held)
        self.held = []

    def _tool_message(self, call_id: str, result: ir.ToolResult, moved: list[Json]) -> Json:
        texts = [p for p in result.content if isinstance(p, ir.Text)]
        images = [p for p in result.content if isinstance(p, ir.Image)]
        if images:
            self.decisions.degrade(
                Rule.TOOL_RESULT_IMAGE_MOVED, "Chat tool messages take text only"
            )
            moved.append(_text_part(f"Image from the result of tool call {call_id}:"))
            for image in images:
                moved.extend(self._image(image))
        text = _SEPARATOR.join(t.text for t in texts)
        if not text and images:
            text = "(the tool returned an image; it follows in the next message)"
        if result.is_error:
            self.decisions.degrade(Rule.ERROR_FLAG_AS_TEXT, "Chat has no tool error flag")
            text = "Error: " + text
        content: str | list[Json] = text
        cached = result.cache or any(t.cache for t in texts)
        if cached and self._keep_cache("a tool result"):
            content = [_text_part(text, cache=True)]
        return {"role": "tool", "tool_call_id": call_id, "content": content}

    def _orphan(self, call_id: str, result: ir.ToolResult) -> list[Json]:
        label = "Error result" if result.is_error else "Result"
        parts = [_text_part(f"{label} of tool call {call_id}:")]
        for item in result.content:
            parts.extend(self._user_part(item))
        return parts

    def _user_part(self, part: ir.Part) -> list[Json]:
        if isinstance(part, ir.Text):
            keep = part.cache and self._keep_cache("a text block")
            return [_text_part(part.text, cache=keep)]
        if isinstance(part, ir.Image):
            return self._image(part)
        if isinstance(part, ir.Document):
            return self._document(part)
        return self._misplaced(part, "user")

    def _misplaced(self, part: ir.Part, role: str) -> list[Json]:
        # The Anthropic decoder never makes these; another client's IR might.
        self.decisions.degrade(Rule.FIELD_DROPPED, f"a {type(part).__name__} in a {role} turn")
        return []

    def _image(self, image: ir.Image) -> list[Json]:
        if image.cache:
            self._keep_cache("an image")  # records the drop; Chat images take no hint
        if not self.profile.images:
            self.decisions.degrade(Rule.IMAGES_DROPPED, "the target takes no images")
            return [_text_part("[image omitted: this model does not take images]")]
        if image.url is not None:
            if not self.profile.image_urls:
                self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, "images by URL")
                return [_text_part(f"[image omitted: {image.url}]")]
            return [{"type": "image_url", "image_url": {"url": image.url}}]
        if image.media_type not in self.profile.image_types:
            self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, str(image.media_type))
            return [_text_part(f"[image omitted: {image.media_type} is not supported]")]
        url = f"data:{image.media_type};base64,{image.data}"
        return [{"type": "image_url", "image_url": {"url": url}}]

    def _document(self, document: ir.Document) -> list[Json]:
        title = document.title or "document"
        if document.text is not None:
            self.decisions.degrade(Rule.DOCUMENT_AS_TEXT, title)
            keep = document.cache and self._keep_cache("a document")
            text = document.text
            if document.title:
                text = document.title + _SEPARATOR + text
            return [_text_part(text, cache=keep)]
        if document.cache:
            self._keep_cache("a document")
        if document.data is not None and self.profile.documents:
            file = {
                "filename": document.title or "document.pdf",
                "file_data": f"data:{document.media_type};base64,{document.data}",
            }
            return [{"type": "file", "file": file}]
        self.decisions.degrade(Rule.DOCUMENT_DROPPED, title)
        where = f": {document.url}" if document.url else ""
        return [_text_part(f"[document omitted{where}]")]

    # --- content helpers -------------------------------------------------------------------

    def _keep_cache(self, where: str) -> bool:
        """Whether a cache hint survives; each drop is recorded (once per rule in the log)."""
        if self.profile.cache_control:
            return True
        self.decisions.degrade(Rule.CACHE_HINT_DROPPED, f"cache_control on {where}")
        return False

    def _text_content(self, texts: list[ir.Text]) -> str | list[Json]:
        """Plain text when no cache hint survives; parts when one must stay on its block."""
        keep = any(t.cache for t in texts) and self._keep_cache("a text block")
        if not keep:
            return _SEPARATOR.join(t.text for t in texts)
        return [_text_part(t.text, cache=t.cache) for t in texts]

    @staticmethod
    def _user_content(parts: list[Json]) -> str | list[Json]:
        # Text only: one string, which every provider takes (some reject part lists).
        if all(p["type"] == "text" and "cache_control" not in p for p in parts):
            return _SEPARATOR.join(p["text"] for p in parts)
        return parts

    # --- tools ---------------------------------------------------------------------------

    def tools(self, request: ir.Request, body: Json) -> None:
        choice = request.tool_choice
        if request.tools and not self.profile.tools:
            self.decisions.degrade(Rule.TOOLS_DROPPED, f"{len(request.tools)} tools")
            return
        if not request.tools:
            if choice is not None:
                self.decisions.degrade(Rule.FIELD_DROPPED, "tool_choice (no tools to choose)")
            return
        tools = []
        for tool in request.tools:
            if tool.cache:
                self._keep_cache("a tool definition")
            parameters = dict(tool.parameters)
            if tool.kind == "custom":
                self.decisions.degrade(Rule.CUSTOM_TOOL_AS_FUNCTION, tool.name)
                parameters = custom_tools.function_schema(tool)
            function: Json = {"name": tool.name}
            if tool.description:
                function["description"] = tool.description
            function["parameters"] = parameters
            tools.append({"type": "function", "function": function})
        body["tools"] = tools
        if choice is None:
            return
        if choice.mode is ir.ToolChoiceMode.TOOL:
            body["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
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


def _text_part(text: str, cache: bool = False) -> Json:
    part: Json = {"type": "text", "text": text}
    if cache:
        part["cache_control"] = dict(_CACHE)
    return part


def _limits(
    request: ir.Request, profile: CapabilityProfile, decisions: Decisions, body: Json
) -> None:
    max_tokens = request.max_tokens
    limit = profile.max_output_tokens
    if max_tokens is not None:
        if limit is not None and max_tokens > limit:
            decisions.degrade(Rule.MAX_TOKENS_CLAMPED, f"{max_tokens} → {limit}")
            max_tokens = limit
        body[profile.max_tokens_param.value] = max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.top_k is not None:
        if profile.top_k:
            body["top_k"] = request.top_k
        else:
            decisions.degrade(Rule.TOP_K_DROPPED, f"top_k={request.top_k}")
    if request.stop:
        if not profile.stop_sequences:
            decisions.degrade(Rule.STOP_SEQUENCES_DROPPED, f"all {len(request.stop)}")
            return
        body["stop"] = list(request.stop[:MAX_STOP_SEQUENCES])
        if len(request.stop) > MAX_STOP_SEQUENCES:
            extra = len(request.stop) - MAX_STOP_SEQUENCES
            decisions.degrade(Rule.STOP_SEQUENCES_DROPPED, f"{extra} beyond the first 4")


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
        body["reasoning_effort"] = openai_effort(effort)
    else:
        record_without_thinking(config, effort, decisions)


def _output_format(
    fmt: ir.OutputFormat | None, profile: CapabilityProfile, decisions: Decisions, body: Json
) -> None:
    if fmt is None:
        return
    if fmt.schema is None:
        body["response_format"] = {"type": "json_object"}
        return
    if not profile.structured_output:
        decisions.degrade(Rule.STRUCTURED_OUTPUT_AS_JSON_MODE, "a JSON schema")
        body["response_format"] = {"type": "json_object"}
        return
    schema: Json = {"name": fmt.name or "output", "schema": dict(fmt.schema)}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    body["response_format"] = {"type": "json_schema", "json_schema": schema}


def _drop_extra(key: str, value: Any, decisions: Decisions) -> None:
    if key in HOSTED_TOOL_EXTRAS and isinstance(value, list):
        for tool in value:
            kind = tool.get("type") if isinstance(tool, dict) else None
            # A tool the model would have used: lossy, unlike a vendor field.
            what = "server tool" if key == "server_tools" else "hosted tool"
            decisions.degrade(Rule.TOOLS_DROPPED, f"{what} {kind}")
        return
    if key in STATEFUL_OPTIONS and value:
        decisions.degrade(Rule.OPTION_NOT_HONOURED, f"{key}: cligate keeps no state")
        return
    decisions.degrade(Rule.FIELD_DROPPED, key)
