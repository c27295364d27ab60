"""The neutral representation every protocol codec decodes into and encodes from.

It is a superset of what the wire protocols say: a codec reads its protocol into these values
and writes them back out, and a codec for another protocol writes what its target can take,
recording each thing it cannot (see ``protocols/capabilities.py``). Nothing here does I/O.

Conventions:
- ``Usage.input_tokens`` is the whole prompt, cached tokens included (OpenAI's convention);
  ``cache_read_tokens`` and ``cache_write_tokens`` are parts of it. Anthropic counts the three
  separately, and its codec converts.
- Tool call ids travel as the model made them; a codec whose protocol restricts ids maps them
  reversibly (``protocols/tool_ids.py``), so a later turn finds the original again.
- ``ToolCall.arguments`` is the raw JSON text of the arguments: a model may produce text that
  does not parse, and it must reach the client as it was, not crash the translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from cligate.protocols.failures import DecodeError as DecodeError  # part of this interface

# --- content -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    cache: bool = False  # the client marked a prompt-cache breakpoint here (cache_control)


@dataclass(frozen=True, slots=True)
class Image:
    """Exactly one of ``data`` (base64, with ``media_type``) or ``url`` is set."""

    media_type: str | None = None
    data: str | None = None
    url: str | None = None
    cache: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """A PDF or plain-text document. ``data`` is base64 (PDF), ``text`` plain text, or ``url``."""

    media_type: str | None = None
    data: str | None = None
    text: str | None = None
    url: str | None = None
    title: str | None = None
    cache: bool = False


@dataclass(frozen=True, slots=True)
class Thinking:
    """Reasoning the model showed. A signature is only valid for the vendor that made it and
    is never invented; ``redacted`` is Anthropic's encrypted ``redacted_thinking`` data;
    ``encrypted`` is OpenAI Responses' ``encrypted_content`` (with ``text`` its summary)."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    encrypted: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text for function tools, the free text for custom tools
    kind: Literal["function", "custom"] = "function"
    # Gemini's thoughtSignature on the functionCall part, which Gemini wants back with it.
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    content: tuple[Text | Image, ...]
    is_error: bool = False
    cache: bool = False


Part = Text | Image | Document | Thinking | ToolCall | ToolResult

Role = Literal["user", "assistant", "system"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    parts: tuple[Part, ...]


# --- tools and options -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolDef:
    """A function tool (JSON arguments) or a freeform "custom" tool (text input, optionally
    bound by a grammar: ``format`` as the Responses API gives it). Targets without custom
    tools get a function with one string parameter (``protocols/custom_tools.py``)."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)  # a JSON schema object
    kind: Literal["function", "custom"] = "function"
    cache: bool = False
    format: Mapping[str, Any] | None = None


class ToolChoiceMode(StrEnum):
    AUTO = "auto"  # the model decides
    ANY = "any"  # some tool must be called ("required" in OpenAI's words)
    TOOL = "tool"  # this named tool must be called
    NONE = "none"  # no tool may be called


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: ToolChoiceMode = ToolChoiceMode.AUTO
    name: str | None = None  # for TOOL
    parallel: bool | None = None  # False: at most one call per turn; None: the default


class Effort(StrEnum):
    """Reasoning effort, the common scale of OpenAI's ``reasoning_effort`` and Anthropic's
    ``output_config.effort``; thinking budgets map onto it (``protocols/thinking.py``)."""

    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MAX = "max"


@dataclass(frozen=True, slots=True)
class ThinkingConfig:
    enabled: bool
    budget_tokens: int | None = None  # Anthropic's explicit budget
    effort: Effort | None = None
    adaptive: bool = False  # Anthropic's {type: adaptive}: the model decides how much


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """Structured output: a JSON schema, or any JSON object when ``schema`` is None."""

    schema: Mapping[str, Any] | None = None
    name: str | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class Request:
    model: str | None
    messages: tuple[Message, ...]
    system: tuple[Text, ...] = ()  # the leading system prompt; later ones are messages
    tools: tuple[ToolDef, ...] = ()
    tool_choice: ToolChoice | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] = ()
    stream: bool = False
    thinking: ThinkingConfig | None = None
    output_format: OutputFormat | None = None
    user: str | None = None  # end-user id (Anthropic metadata.user_id, OpenAI user)
    # Fields of the client's protocol that no other protocol has, by name (the encoder of
    # another protocol records each one it drops).
    extras: Mapping[str, Any] = field(default_factory=dict)


# --- answers -----------------------------------------------------------------------------


class StopReason(StrEnum):
    END = "end"  # the model finished its turn
    MAX_TOKENS = "max_tokens"
    TOOL_USE = "tool_use"
    STOP_SEQUENCE = "stop_sequence"
    CONTENT_FILTER = "content_filter"  # refused or filtered by the provider
    PAUSE = "pause"  # Anthropic pause_turn: a long turn the client should continue


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0  # the whole prompt, cached tokens included
    output_tokens: int = 0  # reasoning tokens included
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Response:
    id: str
    model: str
    parts: tuple[Text | Thinking | ToolCall, ...]
    stop_reason: StopReason | None
    usage: Usage | None = None
    stop_sequence: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A provider's error, read from its protocol's error body."""

    status: int
    message: str
    kind: str | None = None  # the provider's error type or code, when it names one
    # Not an error the provider sent: its answer could not be read (broken JSON, cut short).
    unreadable: bool = False


# --- stream events -----------------------------------------------------------------------
# A stream decoder turns a provider's SSE into these; an encoder writes them in its client's
# protocol. Content arrives as deltas; which block a delta belongs to is the encoder's to
# track, so decoders stay simple.


@dataclass(frozen=True, slots=True)
class StreamStarted:
    id: str
    model: str
    usage: Usage | None = None  # input tokens, when the provider says them up front


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ThinkingSignature:
    """The signature of the thinking just streamed (Anthropic's signature_delta)."""

    signature: str


@dataclass(frozen=True, slots=True)
class EncryptedReasoning:
    """OpenAI Responses' encrypted_content of the reasoning just streamed."""

    data: str


@dataclass(frozen=True, slots=True)
class RedactedThinking:
    data: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """Part of tool call number ``index`` (calls of one answer are numbered from 0 in the
    order they start). Its first delta carries ``id`` and ``name``; every delta may carry a
    fragment of the arguments."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    kind: Literal["function", "custom"] = "function"
    signature: str | None = None  # Gemini's thoughtSignature, with the call's first delta


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    usage: Usage


@dataclass(frozen=True, slots=True)
class StreamFinished:
    stop_reason: StopReason | None
    usage: Usage | None = None
    stop_sequence: str | None = None


@dataclass(frozen=True, slots=True)
class StreamFailed:
    """The provider reported an error inside the stream."""

    error: ErrorInfo


StreamEvent = (
    StreamStarted
    | TextDelta
    | ThinkingDelta
    | ThinkingSignature
    | EncryptedReasoning
    | RedactedThinking
    | ToolCallDelta
    | UsageUpdate
    | StreamFinished
    | StreamFailed
)
