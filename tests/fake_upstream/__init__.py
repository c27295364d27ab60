"""A scripted fake model provider (Anthropic, OpenAI Responses/Chat, Gemini) for tests.

with FakeUpstream(api_key="up-key", script=ShellRoundTrip("cat token.txt")) as up:
    ...  # point a client at up.base_url; inspect up.requests; up.set_fault(HttpError(503))
"""

from .model import (
    SKIP_SIGNATURE,
    CutStream,
    Fault,
    Hang,
    HttpError,
    Protocol,
    RecordedRequest,
    Reply,
    SlowFirstByte,
    ToolCall,
    ToolSpec,
    Turn,
    signature_call_id,
    thought_signature,
)
from .parse import chat_pairing_errors, gemini_problems, parse_turn
from .schema_instance import minimal_instance
from .scripts import (
    PatchFile,
    Script,
    ShellCommands,
    ShellRoundTrip,
    TextReply,
    answer,
    normalize_output,
)
from .server import FakeUpstream

__all__ = [
    "SKIP_SIGNATURE",
    "CutStream",
    "FakeUpstream",
    "Fault",
    "Hang",
    "HttpError",
    "PatchFile",
    "Protocol",
    "RecordedRequest",
    "Reply",
    "Script",
    "ShellCommands",
    "ShellRoundTrip",
    "SlowFirstByte",
    "TextReply",
    "ToolCall",
    "ToolSpec",
    "Turn",
    "answer",
    "chat_pairing_errors",
    "gemini_problems",
    "minimal_instance",
    "normalize_output",
    "parse_turn",
    "signature_call_id",
    "thought_signature",
]
