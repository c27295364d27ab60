"""A scripted fake model provider (Anthropic, OpenAI Responses/Chat, Gemini) for tests.

with FakeUpstream(api_key="up-key", script=ShellRoundTrip("cat token.txt")) as up:
    ...  # point a client at up.base_url; inspect up.requests; up.set_fault(HttpError(503))
"""

from .model import (
    SKIP_SIGNATURE,
    BadSseData,
    CutMidUtf8,
    CutStream,
    Fault,
    Hang,
    HttpError,
    MalformedJson,
    Protocol,
    RecordedRequest,
    Reply,
    Reset,
    SlowFirstByte,
    StallStream,
    ToolCall,
    ToolSpec,
    Turn,
    UnterminatedEvent,
    signature_call_id,
    thought_signature,
)
from .parse import chat_pairing_errors, gemini_problems, parse_turn
from .schema_instance import minimal_instance
from .scripts import (
    CountedChunks,
    PatchFile,
    Script,
    ShellCommands,
    ShellRoundTrip,
    TextReply,
    answer,
    counted_chunks,
    counted_problems,
    normalize_output,
)
from .server import FakeUpstream

__all__ = [
    "SKIP_SIGNATURE",
    "BadSseData",
    "CountedChunks",
    "CutMidUtf8",
    "CutStream",
    "FakeUpstream",
    "Fault",
    "Hang",
    "HttpError",
    "MalformedJson",
    "PatchFile",
    "Protocol",
    "RecordedRequest",
    "Reply",
    "Reset",
    "Script",
    "ShellCommands",
    "ShellRoundTrip",
    "SlowFirstByte",
    "StallStream",
    "TextReply",
    "ToolCall",
    "ToolSpec",
    "Turn",
    "UnterminatedEvent",
    "answer",
    "chat_pairing_errors",
    "counted_chunks",
    "counted_problems",
    "gemini_problems",
    "minimal_instance",
    "normalize_output",
    "parse_turn",
    "signature_call_id",
    "thought_signature",
]
