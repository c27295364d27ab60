import json

import pytest

from cligate.protocols.endpoints import Operation, classify
from cligate.protocols.error_shapes import error_body, stream_error_event
from cligate.protocols.kinds import WireProtocol


@pytest.mark.parametrize(
    ("path", "protocol", "operation", "model", "streams"),
    [
        ("/v1/messages", WireProtocol.ANTHROPIC, Operation.GENERATE, None, False),
        ("/v1/messages/count_tokens", WireProtocol.ANTHROPIC, Operation.COUNT_TOKENS, None, False),
        ("/v1/chat/completions", WireProtocol.OPENAI_CHAT, Operation.GENERATE, None, False),
        ("/v1/responses", WireProtocol.OPENAI_RESPONSES, Operation.GENERATE, None, False),
        (
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
            WireProtocol.GEMINI,
            Operation.GENERATE,
            "gemini-2.5-pro",
            True,
        ),
        (
            "/v1beta/models/gemini-2.5-pro:generateContent",
            WireProtocol.GEMINI,
            Operation.GENERATE,
            "gemini-2.5-pro",
            False,
        ),
        ("/v1beta/models/m:countTokens", WireProtocol.GEMINI, Operation.COUNT_TOKENS, "m", False),
        ("/v1beta/models", WireProtocol.GEMINI, Operation.LIST_MODELS, None, False),
        ("/v1/models", WireProtocol.ANTHROPIC, Operation.LIST_MODELS, None, False),
        ("/", WireProtocol.ANTHROPIC, Operation.OTHER, None, False),
    ],
)
def test_classify(
    path: str, protocol: WireProtocol, operation: Operation, model: str | None, streams: bool
) -> None:
    endpoint = classify(path, WireProtocol.ANTHROPIC)
    assert (endpoint.protocol, endpoint.operation) == (protocol, operation)
    assert (endpoint.path_model, endpoint.path_streams) == (model, streams)


def test_error_bodies_have_each_protocols_shape() -> None:
    anthropic = json.loads(error_body(WireProtocol.ANTHROPIC, 401, "cligate: no"))
    assert anthropic == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "cligate: no"},
    }
    openai = json.loads(error_body(WireProtocol.OPENAI_RESPONSES, 502, "cligate: down"))
    assert openai["error"]["message"] == "cligate: down"
    assert openai["error"]["type"] == "server_error"
    gemini = json.loads(error_body(WireProtocol.GEMINI, 403, "cligate: host"))
    assert gemini == {
        "error": {"code": 403, "message": "cligate: host", "status": "PERMISSION_DENIED"}
    }


def _sse_data(event: bytes) -> dict[str, object]:
    lines = event.decode().strip().split("\n")
    data = [line[len("data: ") :] for line in lines if line.startswith("data: ")]
    assert event.endswith(b"\n\n") and len(data) == 1
    parsed: dict[str, object] = json.loads(data[0])
    return parsed


def test_stream_error_events() -> None:
    anthropic = stream_error_event(WireProtocol.ANTHROPIC, 502, "cligate: cut")
    assert anthropic.startswith(b"event: error\n")
    assert _sse_data(anthropic)["type"] == "error"
    responses = stream_error_event(WireProtocol.OPENAI_RESPONSES, 502, "cligate: cut")
    failed = _sse_data(responses)
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"]["message"] == "cligate: cut"  # type: ignore[index]
    gemini = _sse_data(stream_error_event(WireProtocol.GEMINI, 502, "cligate: cut"))
    assert gemini["error"]["status"] == "UNAVAILABLE"  # type: ignore[index]
