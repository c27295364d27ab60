"""The neutral ``ir.Request`` → a Gemini API ``generateContent`` request body.

The model and whether to stream are in the request path (the codec registry builds it), so
the body names neither. Writes only what the target's ``CapabilityProfile`` says it takes;
everything else is dropped or rewritten through ``Decisions.degrade``.

Choices where the protocol or the brief left room:
- Tool schemas go as ``parametersJsonSchema`` (see ``gemini/schema.py`` for why and for what
  the sanitiser changes; one SCHEMA_SIMPLIFIED record per tool whose schema changed).
- Every replayed ``functionCall`` part carries ``thoughtSignature``: the call's own, else the
  sentinel ``skip_thought_signature_validator`` (what Gemini CLI sends; Gemini 3 refuses a
  replayed call without a signature). Nothing is recorded: it is the documented way.
- Thinking in the history is dropped: Gemini takes no thought text back, and only its own
  signatures (which travel on the calls). Rule.SIGNATURE_DROPPED for another vendor's signed
  thinking, else Rule.REASONING_HISTORY_DROPPED.
- Calls and results are paired as the Chat encoder does: the user turn after a model turn
  with calls opens with one ``functionResponse`` per call, in call order (Gemini refuses a
  turn whose response count differs); a result without an open call becomes user text
  (Rule.ORPHAN_TOOL_RESULT), a call without a result gets an ``error`` response
  (Rule.UNANSWERED_TOOL_CALL). A result's ``name`` is looked up from its call.
- Images in a tool result go as ``inlineData`` parts after the turn's responses, with a line
  saying which call they came from (Rule.TOOL_RESULT_IMAGE_MOVED): ``functionResponse.parts``
  exists, but only Gemini 3 models take it.
- A system message after the first is written as user text in ``<system-reminder>`` tags,
  the tags Claude Code itself uses (Rule.SYSTEM_MESSAGE_MOVED): ``contents`` has no system
  role. One that comes between calls and their results waits until the results are written.
- Consecutive contents of one role are merged; a conversation that does not open with a user
  turn (or has no turns) gets a "Continue." user turn first (Rule.USER_TURN_INSERTED): Gemini
  wants a function call turn to follow a user turn.
- Inline images go only in the types Gemini reads (PNG, JPEG, WebP, HEIC, HEIF) and the
  profile allows: any other (a GIF pasted into Claude Code) is a 400 for the whole request,
  so it becomes a line of text (Rule.IMAGE_TYPE_UNSUPPORTED).
- Images by URL and documents by URL go as ``fileData`` (the media type guessed from the URL
  when the client gave none); PDFs as ``inlineData`` when the profile takes documents.
- Hosted tools (web search included) are dropped (Rule.TOOLS_DROPPED): ``googleSearch``
  answers differently from the client's own search tool, and not every model takes it next
  to function declarations.
- ``thinkingConfig``: ``thinkingBudget`` is the client's budget, -1 (dynamic) for adaptive
  thinking, the effort's budget for an effort alone, 0 when thinking is disabled;
  ``includeThoughts`` when the client asked for thinking. Only when the profile says the
  model reasons (``reasoning_effort``); else the Chat encoder's rules. A budget above the
  model's range is a 400 ("The thinking budget (N) is invalid"): it is clamped to 24576 for
  Flash models and 32768 for the others (Rule.MAX_TOKENS_CLAMPED).
- A tool choice's ``parallel: False`` has no Gemini field (Rule.PARALLEL_CONTROL_DROPPED).
- ``responseJsonSchema`` takes the client's schema as given: Gemini documents JSON Schema for
  it (``$ref``, ``additionalProperties`` and all), and structured output should keep them.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cligate.protocols import custom_tools, ir
from cligate.protocols.capabilities import (
    HOSTED_TOOL_EXTRAS,
    STATEFUL_OPTIONS,
    CapabilityProfile,
    Decisions,
    Rule,
)
from cligate.protocols.gemini.schema import sanitize_parameters
from cligate.protocols.system_prompt import without_billing_header
from cligate.protocols.thinking import budget_for_effort
from cligate.protocols.tool_ids import from_anthropic_id

SKIP_SIGNATURE = "skip_thought_signature_validator"
UNANSWERED_RESULT = "(no result: the tool call was not answered)"
OPENING_TURN = "Continue."
MAX_STOP_SEQUENCES = 5  # Gemini's limit; more is a 400
# Image types Gemini reads ("Unsupported MIME type" for others, image/gif included).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})
ADAPTIVE_BUDGET = -1  # the model decides how much to think
# The largest thinkingBudget Gemini takes: 32768 (Pro), 24576 (Flash and Flash-Lite).
MAX_THINKING_BUDGET = 32_768
MAX_FLASH_THINKING_BUDGET = 24_576
_SEPARATOR = "\n\n"

Json = dict[str, Any]
GeminiRole = Literal["user", "model"]


def encode_request(
    request: ir.Request, model: str, profile: CapabilityProfile, decisions: Decisions
) -> dict[str, Any]:
    encoder = _Encoder(profile, decisions)
    body: Json = {}
    system = encoder.system(request.system)
    body["contents"] = encoder.contents(request.messages)
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    encoder.tools(request, body)
    config: Json = {}
    _limits(request, profile, decisions, config)
    _output_format(request.output_format, profile, decisions, config)
    _thinking(request.thinking, model, profile, decisions, config)
    if config:
        body["generationConfig"] = config
    if request.user is not None:
        decisions.degrade(Rule.USER_DROPPED, "Gemini takes no end-user id")
    for key, value in request.extras.items():
        _drop_extra(key, value, decisions)
    return body


@dataclass(frozen=True, slots=True)
class _Pending:
    call_id: str
    name: str


class _Encoder:
    def __init__(self, profile: CapabilityProfile, decisions: Decisions) -> None:
        self.profile = profile
        self.decisions = decisions
        self.turns: list[tuple[GeminiRole, list[Json]]] = []
        self.pending: list[_Pending] = []  # calls of the last model turn, not yet answered
        self.held: list[Json] = []  # system text waiting for pending calls to be answered

    # --- system --------------------------------------------------------------------------

    def system(self, blocks: Iterable[ir.Text]) -> str:
        kept = []
        for block in without_billing_header(blocks, self.decisions):
            if block.cache:
                self._drop_cache("a system block")
            if block.text:
                kept.append(block.text)
        return _SEPARATOR.join(kept)

    # --- messages ------------------------------------------------------------------------

    def contents(self, messages: Iterable[ir.Message]) -> list[Json]:
        for message in messages:
            if message.role == "assistant":
                self._close_calls()
                self._model(message.parts)
            elif message.role == "system":
                self._mid_system(message.parts)
            else:
                self._user(message.parts)
        self._close_calls()
        merged: list[tuple[GeminiRole, list[Json]]] = []
        for role, parts in self.turns:
            if not parts:
                continue
            if merged and merged[-1][0] == role:
                merged[-1][1].extend(parts)
            else:
                merged.append((role, list(parts)))
        if not merged or merged[0][0] != "user":
            self.decisions.degrade(
                Rule.USER_TURN_INSERTED,
                f"the conversation did not start with a user turn: a {OPENING_TURN!r} user"
                " turn was put first",
            )
            merged.insert(0, ("user", [{"text": OPENING_TURN}]))
        return [{"role": role, "parts": parts} for role, parts in merged]

    def _mid_system(self, parts: Iterable[ir.Part]) -> None:
        texts = []
        for part in parts:
            if isinstance(part, ir.Text):
                if part.cache:
                    self._drop_cache("a system message")
                if part.text:
                    texts.append(part.text)
            else:
                self._misplaced(part, "system")
        if not texts:
            return
        self.decisions.degrade(Rule.SYSTEM_MESSAGE_MOVED, "into a user turn")
        text = _SEPARATOR.join(texts)
        reminder: Json = {"text": f"<system-reminder>\n{text}\n</system-reminder>"}
        if self.pending:
            self.held.append(reminder)
        else:
            self.turns.append(("user", [reminder]))

    def _model(self, parts: Iterable[ir.Part]) -> None:
        out: list[Json] = []
        for part in parts:
            if isinstance(part, ir.Text):
                if part.cache:
                    self._drop_cache("an assistant text block")
                if part.text:
                    out.append({"text": part.text})
            elif isinstance(part, ir.Thinking):
                self._thinking_history(part)
            elif isinstance(part, ir.ToolCall):
                out.append(self._tool_call(part))
            else:
                self._misplaced(part, "assistant")
        self.turns.append(("model", out))

    def _thinking_history(self, part: ir.Thinking) -> None:
        if part.signature and part.redacted is None and part.encrypted is None:
            self.decisions.degrade(
                Rule.SIGNATURE_DROPPED, "signed thinking is only readable by its vendor"
            )
        else:
            self.decisions.degrade(
                Rule.REASONING_HISTORY_DROPPED, "Gemini takes no thought text back"
            )

    def _tool_call(self, part: ir.ToolCall) -> Json:
        if not self.profile.tools:
            # Without tools the provider refuses calls: the model reads what it did.
            return {"text": f"[called tool {part.name} with {part.arguments}]"}
        call_id = from_anthropic_id(part.id)
        if any(p.call_id == call_id for p in self.pending):
            # Its result could not be told apart from the other's.
            raise ir.DecodeError(f"duplicate tool call id {call_id!r} in one assistant turn")
        self.pending.append(_Pending(call_id, part.name))
        arguments = part.arguments
        if part.kind == "custom":
            self.decisions.degrade(Rule.CUSTOM_TOOL_AS_FUNCTION, part.name)
            arguments = custom_tools.wrap_input(arguments)
        call: Json = {"id": call_id, "name": part.name, "args": self._arguments(part, arguments)}
        return {"functionCall": call, "thoughtSignature": part.signature or SKIP_SIGNATURE}

    def _arguments(self, part: ir.ToolCall, arguments: str) -> Json:
        if not arguments.strip():
            return {}
        try:
            value = json.loads(arguments)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            return value
        self.decisions.degrade(
            Rule.ARGUMENTS_NOT_JSON, f"tool call {part.name}: sent as {{}} (not a JSON object)"
        )
        return {}

    def _user(self, parts: Iterable[ir.Part]) -> None:
        names = {p.call_id: p.name for p in self.pending}
        answers: dict[str, ir.ToolResult] = {}
        content: list[Json] = []
        for part in parts:
            if isinstance(part, ir.ToolResult):
                call_id = from_anthropic_id(part.call_id)
                if call_id in names and call_id not in answers:
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
            self.turns.append(("user", content))

    def _close_calls(self, answers: dict[str, ir.ToolResult] | None = None) -> None:
        """A user turn opening with one response per pending call, in call order; the
        unanswered get an error response, as Gemini wants one for every call."""
        if not self.pending:
            return
        answers = answers or {}
        responses: list[Json] = []
        moved: list[Json] = []  # images out of the results, after all the responses
        for call in self.pending:
            result = answers.get(call.call_id)
            if result is None:
                self.decisions.degrade(Rule.UNANSWERED_TOOL_CALL, f"tool call {call.call_id!r}")
                response: Json = {"error": UNANSWERED_RESULT}
            else:
                response = self._response(call, result, moved)
            responses.append(
                {"functionResponse": {"id": call.call_id, "name": call.name, "response": response}}
            )
        self.turns.append(("user", responses + moved + self.held))
        self.pending = []
        self.held = []

    def _response(self, call: _Pending, result: ir.ToolResult, moved: list[Json]) -> Json:
        if result.cache:
            self._drop_cache("a tool result")
        texts = []
        images = []
        for item in result.content:
            if isinstance(item, ir.Text):
                if item.cache:
                    self._drop_cache("a tool result")
                texts.append(item.text)
            else:
                images.append(item)
        if images:
            self.decisions.degrade(
                Rule.TOOL_RESULT_IMAGE_MOVED, "into parts after the function responses"
            )
            moved.append({"text": f"Image from the result of tool call {call.call_id}:"})
            for image in images:
                moved.extend(self._image(image))
        text = _SEPARATOR.join(t for t in texts if t)
        if not text and images:
            text = "(the tool returned an image; it follows the function responses)"
        return {"error": text} if result.is_error else {"output": text}

    def _orphan(self, call_id: str, result: ir.ToolResult) -> list[Json]:
        label = "Error result" if result.is_error else "Result"
        parts = [{"text": f"{label} of tool call {call_id}:"}]
        for item in result.content:
            parts.extend(self._user_part(item))
        return parts

    def _user_part(self, part: ir.Part) -> list[Json]:
        if isinstance(part, ir.Text):
            if part.cache:
                self._drop_cache("a text block")
            return [{"text": part.text}] if part.text else []
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
            return [{"text": "[image omitted: this model does not take images]"}]
        if image.url is not None:
            if not self.profile.image_urls:
                self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, "images by URL")
                return [{"text": f"[image omitted: {image.url}]"}]
            mime = image.media_type or _guess_type(image.url, "image/jpeg")
            return [{"fileData": {"mimeType": mime, "fileUri": image.url}}]
        if image.media_type not in IMAGE_TYPES.intersection(self.profile.image_types):
            self.decisions.degrade(Rule.IMAGE_TYPE_UNSUPPORTED, str(image.media_type))
            return [{"text": f"[image omitted: {image.media_type} is not supported]"}]
        return [{"inlineData": {"mimeType": image.media_type, "data": image.data or ""}}]

    def _document(self, document: ir.Document) -> list[Json]:
        if document.cache:
            self._drop_cache("a document")
        title = document.title or "document"
        if document.text is not None:
            self.decisions.degrade(Rule.DOCUMENT_AS_TEXT, title)
            text = document.text
            if document.title:
                text = document.title + _SEPARATOR + text
            return [{"text": text}] if text else []
        mime = document.media_type or "application/pdf"
        if self.profile.documents and document.data is not None:
            return [{"inlineData": {"mimeType": mime, "data": document.data}}]
        if self.profile.documents and document.url is not None:
            mime = document.media_type or _guess_type(document.url, "application/pdf")
            return [{"fileData": {"mimeType": mime, "fileUri": document.url}}]
        self.decisions.degrade(Rule.DOCUMENT_DROPPED, title)
        where = f": {document.url}" if document.url else ""
        return [{"text": f"[document omitted{where}]"}]

    def _drop_cache(self, where: str) -> None:
        # Gemini caches prompt prefixes by itself; explicit caches are stored resources.
        self.decisions.degrade(Rule.CACHE_HINT_DROPPED, f"cache_control on {where}")

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
        declarations = []
        for tool in request.tools:
            if tool.cache:
                self._drop_cache("a tool definition")
            if tool.kind == "custom":
                self.decisions.degrade(Rule.CUSTOM_TOOL_AS_FUNCTION, tool.name)
                raw: object = custom_tools.function_schema(tool)
            else:
                raw = tool.parameters
            schema, changes = sanitize_parameters(raw)
            if changes:
                self.decisions.degrade(
                    Rule.SCHEMA_SIMPLIFIED,
                    f"tool {tool.name}: schema {changes.describe()} for Gemini",
                )
            declaration: Json = {"name": tool.name}
            if tool.description:
                declaration["description"] = tool.description
            declaration["parametersJsonSchema"] = schema
            declarations.append(declaration)
        body["tools"] = [{"functionDeclarations": declarations}]
        if choice is None:
            return
        if choice.mode is ir.ToolChoiceMode.TOOL and choice.name:
            calling: Json = {"mode": "ANY", "allowedFunctionNames": [choice.name]}
        else:
            modes = {ir.ToolChoiceMode.ANY: "ANY", ir.ToolChoiceMode.NONE: "NONE"}
            calling = {"mode": modes.get(choice.mode, "AUTO")}
        body["toolConfig"] = {"functionCallingConfig": calling}
        if choice.parallel is False:
            self.decisions.degrade(
                Rule.PARALLEL_CONTROL_DROPPED, "Gemini has no control of parallel calls"
            )


def _guess_type(url: str, fallback: str) -> str:
    guessed, _ = mimetypes.guess_type(url.split("?", 1)[0])
    return guessed or fallback


def _limits(
    request: ir.Request, profile: CapabilityProfile, decisions: Decisions, config: Json
) -> None:
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.top_k is not None:
        if profile.top_k:
            config["topK"] = request.top_k
        else:
            decisions.degrade(Rule.TOP_K_DROPPED, f"top_k={request.top_k}")
    max_tokens = request.max_tokens
    limit = profile.max_output_tokens
    if max_tokens is not None:
        if limit is not None and max_tokens > limit:
            decisions.degrade(Rule.MAX_TOKENS_CLAMPED, f"{max_tokens} → {limit}")
            max_tokens = limit
        config["maxOutputTokens"] = max_tokens
    if request.stop:
        if not profile.stop_sequences:
            decisions.degrade(Rule.STOP_SEQUENCES_DROPPED, f"all {len(request.stop)}")
            return
        config["stopSequences"] = list(request.stop[:MAX_STOP_SEQUENCES])
        if len(request.stop) > MAX_STOP_SEQUENCES:
            extra = len(request.stop) - MAX_STOP_SEQUENCES
            decisions.degrade(Rule.STOP_SEQUENCES_DROPPED, f"{extra} beyond the first 5")


def _output_format(
    fmt: ir.OutputFormat | None, profile: CapabilityProfile, decisions: Decisions, config: Json
) -> None:
    if fmt is None:
        return
    config["responseMimeType"] = "application/json"
    if fmt.schema is None:
        return
    if not profile.structured_output:
        decisions.degrade(Rule.STRUCTURED_OUTPUT_AS_JSON_MODE, "a JSON schema")
        return
    config["responseJsonSchema"] = dict(fmt.schema)


def _thinking(
    config: ir.ThinkingConfig | None,
    model: str,
    profile: CapabilityProfile,
    decisions: Decisions,
    out: Json,
) -> None:
    if config is None:
        return
    if not profile.reasoning_effort:
        if config.enabled and not config.adaptive:
            decisions.degrade(Rule.THINKING_NOT_SUPPORTED, f"a budget of {config.budget_tokens}")
        elif config.enabled or config.effort is not None:
            # The client left how much to think to the model: a model that does not think
            # honours that as it is.
            effort = config.effort.value if config.effort is not None else "adaptive"
            decisions.degrade(Rule.THINKING_LEFT_TO_MODEL, f"effort {effort}")
        return
    if config.enabled:
        if config.adaptive:
            budget = ADAPTIVE_BUDGET
        elif config.budget_tokens is not None:
            budget = config.budget_tokens
        elif config.effort is not None:
            budget = budget_for_effort(config.effort)
        else:
            budget = ADAPTIVE_BUDGET
        budget = _budget_in_range(budget, model, decisions)
        out["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": True}
    elif config.effort is not None:
        # No thinking asked for, but an effort: how hard to work, thoughts not shown.
        budget = _budget_in_range(budget_for_effort(config.effort), model, decisions)
        out["thinkingConfig"] = {"thinkingBudget": budget}
    else:
        # Gemini's Pro models refuse a zero budget (they only run thinking): leaving the
        # config out lets every model answer, thinking as it does by default.
        decisions.degrade(Rule.THINKING_LEFT_TO_MODEL, "thinking off: left to the model")


def _budget_in_range(budget: int, model: str, decisions: Decisions) -> int:
    """The budget, or the model's largest when it asks for more (Claude Code's 31999 on a
    Flash model, a budget of 64000): Gemini refuses the whole request over it."""
    limit = MAX_FLASH_THINKING_BUDGET if "flash" in model.lower() else MAX_THINKING_BUDGET
    if budget <= limit:
        return budget
    decisions.degrade(Rule.MAX_TOKENS_CLAMPED, f"thinkingBudget {budget} → {limit} for {model}")
    return limit


def _drop_extra(key: str, value: Any, decisions: Decisions) -> None:
    if key in HOSTED_TOOL_EXTRAS and isinstance(value, list):
        for tool in value:
            kind = tool.get("type") if isinstance(tool, dict) else None
            # A tool the model would have used: lossy, unlike a vendor field.
            what = "server tool" if key == "server_tools" else "hosted tool"
            decisions.degrade(Rule.TOOLS_DROPPED, f"{what} {kind}")
        return
    if key in STATEFUL_OPTIONS:
        if value:
            decisions.degrade(Rule.OPTION_NOT_HONOURED, f"{key}: cligate keeps no state")
        return  # off: what a stateless request is anyway
    decisions.degrade(Rule.FIELD_DROPPED, key)
