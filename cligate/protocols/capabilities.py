"""Capability profiles: what a target (provider and model) can honour, and the record of every
field a translation had to drop or rewrite because the target cannot.

An encoder never drops a field silently: it calls ``Decisions.degrade(RULE, detail)``. Each rule
is named and says whether it loses something the model would have used (lossy) or only
something the target has no use for (harmless, such as a prompt-cache hint). In strict mode a
lossy degradation is an error the client sees as a 400 instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cligate.protocols.ir import DecodeError


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
    reasoning_effort: bool = True  # takes reasoning_effort (OpenAI) / a thinking config
    max_output_tokens: int | None = None  # the output limit requests are clamped to
    max_tokens_param: TokenParam = TokenParam.MAX_TOKENS
    top_k: bool = False
    stop_sequences: bool = True
    structured_output: bool = True  # response_format json_schema
    stream_usage: bool = True  # stream_options.include_usage
    cache_control: bool = False  # takes Anthropic-style cache_control on Chat content parts
    user: bool = True  # takes an end-user id


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
    }
)


@dataclass(frozen=True, slots=True)
class Degradation:
    rule: Rule
    detail: str

    def __str__(self) -> str:
        return f"{self.rule.value}: {self.detail}"


class StrictModeError(DecodeError):
    """Strict mode refused a lossy degradation; the message names the rule."""


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
