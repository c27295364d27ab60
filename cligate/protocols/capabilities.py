"""Capability profiles: what a target (provider and model) can honour, and the record of every
field a translation had to drop or rewrite because the target cannot.

An encoder never drops a field silently: it calls ``Decisions.degrade(RULE, detail)``. Each rule
is named and says whether it loses something the model would have used (lossy) or only
something the target has no use for (harmless, such as a prompt-cache hint). In strict mode a
lossy degradation is an error the client sees as a 400 instead.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from cligate.protocols.failures import StrictModeError as StrictModeError  # raised by degrade
from cligate.protocols.kinds import WireProtocol


class TokenParam(StrEnum):
    """The Chat Completions field a provider reads the output limit from."""

    MAX_TOKENS = "max_tokens"
    MAX_COMPLETION_TOKENS = "max_completion_tokens"


@dataclass(frozen=True, slots=True)
class CapabilityProfile:
    """What one target can take. The defaults describe a capable OpenAI-compatible provider."""

    name: str = "default"  # "provider:model", for messages
    tools: bool = True
    parallel_tool_calls: bool = True  # takes parallel_tool_calls / disable_parallel_tool_use
    images: bool = True
    image_urls: bool = True  # takes images by URL, not only inline data
    image_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp")
    documents: bool = False  # takes PDF documents
    # Where the provider's Chat answers carry thinking text, and where it wants it back in
    # assistant history: "reasoning_content" (DeepSeek, Qwen), "reasoning" (OpenRouter), "" none.
    reasoning_field: str = "reasoning_content"
    # Takes reasoning_effort (Chat) or a thinking config. Off unless the preset or the user
    # says so: non-reasoning models of several providers refuse the field.
    reasoning_effort: bool = False
    max_output_tokens: int | None = None  # the output limit requests are clamped to
    # Input tokens the model takes at most, when known ("auto" leaves it out of longer requests).
    context_window: int | None = None
    max_tokens_param: TokenParam = TokenParam.MAX_TOKENS
    top_k: bool = False
    stop_sequences: bool = True
    structured_output: bool = True  # response_format json_schema
    stream_usage: bool = True  # stream_options.include_usage
    cache_control: bool = False  # takes Anthropic-style cache_control on Chat content parts
    user: bool = True  # takes an end-user id
    # Takes role "system" after the first message (Claude Code sends such messages).
    mid_conversation_system: bool = True


class Rule(StrEnum):
    """Every way a translation may degrade a request or an answer, by name."""

    # harmless: nothing the model would have used is lost
    CACHE_HINT_DROPPED = "cache-hint-dropped"
    BILLING_HEADER_DROPPED = "billing-header-dropped"
    SIGNATURE_DROPPED = "thinking-signature-dropped"
    UNSIGNED_THINKING_DROPPED = "unsigned-thinking-dropped"
    REASONING_HISTORY_DROPPED = "reasoning-history-dropped"
    MAX_TOKENS_CLAMPED = "max-tokens-clamped"
    USER_DROPPED = "user-id-dropped"
    FIELD_DROPPED = "vendor-field-dropped"
    TOOL_RESULT_IMAGE_MOVED = "tool-result-image-moved"
    ERROR_FLAG_AS_TEXT = "tool-error-flag-as-text"
    ORPHAN_TOOL_RESULT = "orphan-tool-result-as-text"
    UNANSWERED_TOOL_CALL = "unanswered-tool-call-closed"
    TOOL_ID_MAPPED = "tool-id-mapped"
    SYSTEM_MESSAGE_MOVED = "system-message-moved"
    USER_TURN_INSERTED = "user-turn-inserted"  # the target needs a conversation to open so
    THINKING_LEFT_TO_MODEL = "thinking-left-to-model"  # adaptive thinking, model cannot think
    SCHEMA_SIMPLIFIED = "tool-schema-simplified"  # keywords the target refuses; arguments intact
    # lossy: the model sees less than the client sent, or an option is not honoured
    TOP_K_DROPPED = "top-k-dropped"
    STOP_SEQUENCES_DROPPED = "stop-sequences-dropped"
    THINKING_NOT_SUPPORTED = "thinking-not-supported"
    IMAGES_DROPPED = "images-dropped"
    IMAGE_TYPE_UNSUPPORTED = "image-type-unsupported"
    DOCUMENT_AS_TEXT = "document-as-text"
    DOCUMENT_DROPPED = "document-dropped"
    TOOLS_DROPPED = "tools-dropped"
    PARALLEL_CONTROL_DROPPED = "parallel-tool-control-dropped"
    STRUCTURED_OUTPUT_AS_JSON_MODE = "structured-output-as-json-mode"
    STRUCTURED_OUTPUT_DROPPED = "structured-output-dropped"
    CUSTOM_TOOL_AS_FUNCTION = "custom-tool-as-function"
    SAMPLING_DROPPED = "sampling-option-dropped"
    ARGUMENTS_NOT_JSON = "tool-arguments-not-json"  # the target takes only a JSON object
    OPTION_NOT_HONOURED = "option-not-honoured"  # several choices, logprobs, other tools…

    @property
    def lossy(self) -> bool:
        return self not in _HARMLESS


_HARMLESS = frozenset(
    {
        Rule.CACHE_HINT_DROPPED,
        Rule.BILLING_HEADER_DROPPED,
        Rule.SIGNATURE_DROPPED,
        Rule.UNSIGNED_THINKING_DROPPED,
        Rule.REASONING_HISTORY_DROPPED,
        Rule.MAX_TOKENS_CLAMPED,
        Rule.USER_DROPPED,
        Rule.FIELD_DROPPED,
        Rule.TOOL_RESULT_IMAGE_MOVED,
        Rule.ERROR_FLAG_AS_TEXT,
        Rule.ORPHAN_TOOL_RESULT,
        Rule.UNANSWERED_TOOL_CALL,
        Rule.TOOL_ID_MAPPED,
        Rule.SYSTEM_MESSAGE_MOVED,
        Rule.USER_TURN_INSERTED,
        Rule.THINKING_LEFT_TO_MODEL,
        Rule.SCHEMA_SIMPLIFIED,
    }
)


# Request extras (set by client decoders) listing tools the client's vendor runs itself:
# Anthropic's server tools, the Responses API's hosted tools (web_search, file_search, …).
HOSTED_TOOL_EXTRAS = frozenset({"server_tools", "hosted_tools"})
# Options that ask a provider to keep state (Responses' store, background): a stateless
# gateway cannot honour them for another protocol.
STATEFUL_OPTIONS = frozenset({"store", "background"})


@dataclass(frozen=True, slots=True)
class Degradation:
    rule: Rule
    detail: str

    def __str__(self) -> str:
        return f"{self.rule.value}: {self.detail}"


@dataclass(slots=True)
class Decisions:
    """Collects the degradations of one translation. A rule is recorded once per request
    (with the first detail and a count), so a long history does not flood the log."""

    strict: bool = False
    recorded: list[Degradation] = field(default_factory=list)
    counts: dict[Rule, int] = field(default_factory=dict)

    def degrade(self, rule: Rule, detail: str) -> None:
        if self.strict and rule.lossy:
            raise StrictModeError(
                f"strict mode: the target cannot honour this request ({rule.value}: {detail})"
            )
        seen = self.counts.get(rule, 0)
        self.counts[rule] = seen + 1
        if not seen:
            self.recorded.append(Degradation(rule, detail))

    def summary(self) -> tuple[str, ...]:
        """One line per rule, with how many times it applied when more than once."""
        lines = []
        for item in self.recorded:
            times = self.counts[item.rule]
            lines.append(str(item) + (f" (x{times})" if times > 1 else ""))
        return tuple(lines)


# --- building profiles from data ---------------------------------------------------------

_REASONING_FIELDS = ("", "reasoning_content", "reasoning")
# Fields a preset or a config file may set; "name" is the profile's label, not a capability.
SETTABLE = tuple(name for name in CapabilityProfile.__dataclass_fields__ if name != "name")


def _checked(key: str, value: object) -> object:
    """``value`` as the profile field ``key`` holds it; ``ValueError`` says what is wrong."""
    if key not in SETTABLE:
        raise ValueError(f"'{key}' is not a capability (known: {', '.join(SETTABLE)})")
    if key == "reasoning_field":
        if value not in _REASONING_FIELDS:
            raise ValueError('must be one of "", "reasoning_content", "reasoning"')
        return value
    if key in ("max_output_tokens", "context_window"):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError("must be a positive integer")
        return value
    if key == "max_tokens_param":
        try:
            return TokenParam(str(value))
        except ValueError:
            raise ValueError(f"must be one of {', '.join(p.value for p in TokenParam)}") from None
    if key == "image_types":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of media types")
        return tuple(value)
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


class CapabilityValueError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def check_capabilities(values: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """Validate capability settings read from a file; errors name the key."""
    checked = []
    for key, value in values.items():
        try:
            checked.append((key, _checked(key, value)))
        except ValueError as exc:
            raise CapabilityValueError(key, str(exc)) from None
    return tuple(checked)


def with_capabilities(
    profile: CapabilityProfile, values: tuple[tuple[str, object], ...]
) -> CapabilityProfile:
    """``profile`` with already-checked settings applied."""
    changes: dict[str, Any] = dict(values)  # each value was checked against its field
    return replace(profile, **changes) if changes else profile


@dataclass(frozen=True, slots=True)
class ModelCapabilities:
    """Capability settings for the models whose id matches a wildcard pattern."""

    pattern: str
    settings: tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class CapabilitySettings:
    """A ``capabilities`` table of a preset or a provider entry: settings for every model,
    then settings for models matching a pattern (applied in file order, later ones win)."""

    settings: tuple[tuple[str, object], ...] = ()
    by_model: tuple[ModelCapabilities, ...] = ()

    def apply(self, profile: CapabilityProfile, model: str | None) -> CapabilityProfile:
        profile = with_capabilities(profile, self.settings)
        for entry in self.by_model:
            if model is not None and fnmatch.fnmatchcase(model, entry.pattern):
                profile = with_capabilities(profile, entry.settings)
        return profile

    @staticmethod
    def parse(table: Mapping[str, object]) -> CapabilitySettings:
        """Read ``{key = value, ..., models = {"glob" = {key = value}}}``; ``ValueError``
        (a ``CapabilityValueError``) names the key."""
        models = table.get("models", {})
        if not isinstance(models, Mapping):
            raise CapabilityValueError("models", "must be a table of wildcard = {settings}")
        by_model = []
        for pattern, values in models.items():
            if not isinstance(values, Mapping):
                raise CapabilityValueError(f"models.{pattern}", "must be a table")
            try:
                by_model.append(ModelCapabilities(str(pattern), check_capabilities(values)))
            except CapabilityValueError as exc:
                raise CapabilityValueError(f"models.{pattern}.{exc.key}", exc.problem) from None
        settings = check_capabilities({k: v for k, v in table.items() if k != "models"})
        return CapabilitySettings(settings, tuple(by_model))


def protocol_defaults(protocol: WireProtocol, name: str) -> CapabilityProfile:
    """What a provider of ``protocol`` is assumed to take before its preset or config say more."""
    if protocol is WireProtocol.ANTHROPIC:
        return CapabilityProfile(
            name=name,
            documents=True,
            top_k=True,
            cache_control=True,
            reasoning_field="",
            reasoning_effort=True,
        )
    if protocol is WireProtocol.GEMINI:
        return CapabilityProfile(
            name=name,
            documents=True,
            top_k=True,
            reasoning_field="",
            reasoning_effort=True,
            # Gemini refuses GIF ("Unsupported MIME type"); it takes HEIC and HEIF too.
            image_types=("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"),
        )
    return CapabilityProfile(name=name)
