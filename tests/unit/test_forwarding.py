import pytest

from cligate.config.settings import AuthStyle, ProviderSettings
from cligate.protocols.kinds import WireProtocol
from cligate.server.forwarding import (
    client_headers,
    split_at_event_boundary,
    translated_headers,
    upstream_headers,
    upstream_url,
)


def provider(protocol: WireProtocol, base_url: str, **kwargs: object) -> ProviderSettings:
    return ProviderSettings(
        name="p",
        protocol=protocol,
        base_url=base_url,
        auth=AuthStyle.default_for(protocol),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("protocol", "base_url", "path", "query", "expected"),
    [
        (
            WireProtocol.ANTHROPIC,
            "https://api.anthropic.com",
            "/v1/messages",
            "beta=true",
            "https://api.anthropic.com/v1/messages?beta=true",
        ),
        (
            WireProtocol.ANTHROPIC,
            "https://gw.example/anthropic/v1",
            "/v1/messages",
            "",
            "https://gw.example/anthropic/v1/messages",
        ),
        (
            WireProtocol.OPENAI_RESPONSES,
            "https://api.openai.com/v1",
            "/v1/responses",
            "",
            "https://api.openai.com/v1/responses",
        ),
        (
            WireProtocol.OPENAI_CHAT,
            "https://open.bigmodel.cn/api/paas/v4",
            "/v1/chat/completions",
            "",
            "https://open.bigmodel.cn/api/paas/v4/chat/completions",
        ),
        (
            WireProtocol.GEMINI,
            "https://generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
            "alt=sse",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        ),
        (
            WireProtocol.GEMINI,
            "https://proxy.example/v1beta",
            "/v1beta/models",
            "",
            "https://proxy.example/v1beta/models",
        ),
    ],
)
def test_upstream_url_never_doubles_the_version(
    protocol: WireProtocol, base_url: str, path: str, query: str, expected: str
) -> None:
    assert upstream_url(provider(protocol, base_url), path, query) == expected


def test_client_credentials_are_replaced_by_the_provider_key() -> None:
    incoming = [
        (b"host", b"127.0.0.1:1"),
        (b"x-api-key", b"run-secret"),
        (b"authorization", b"Bearer run-secret"),
        (b"content-length", b"10"),
        (b"accept-encoding", b"gzip, br"),
        (b"connection", b"keep-alive"),
        (b"anthropic-version", b"2023-06-01"),
        (b"user-agent", b"claude-cli/2"),
    ]
    headers = upstream_headers(
        incoming, provider(WireProtocol.ANTHROPIC, "https://x", headers=(("x-extra", "1"),)), "pk"
    )
    assert headers == [
        (b"anthropic-version", b"2023-06-01"),
        (b"user-agent", b"claude-cli/2"),
        (b"accept-encoding", b"identity"),
        (b"x-api-key", b"pk"),
        (b"x-extra", b"1"),
    ]
    assert not any(b"run-secret" in value for _, value in headers)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (AuthStyle.BEARER, [(b"authorization", b"Bearer pk")]),
        (AuthStyle.X_API_KEY, [(b"x-api-key", b"pk")]),
        (AuthStyle.X_GOOG_API_KEY, [(b"x-goog-api-key", b"pk")]),
        (AuthStyle.NONE, []),
    ],
)
def test_auth_styles(style: AuthStyle, expected: list[tuple[bytes, bytes]]) -> None:
    settings = ProviderSettings("p", WireProtocol.OPENAI_CHAT, "https://x", auth=style)
    headers = upstream_headers([], settings, "pk")
    assert [h for h in headers if h[0] != b"accept-encoding"] == expected


def test_response_headers_lose_hop_by_hop_and_cors() -> None:
    upstream = [
        (b"content-type", b"text/event-stream"),
        (b"transfer-encoding", b"chunked"),
        (b"connection", b"keep-alive"),
        (b"access-control-allow-origin", b"*"),
        (b"request-id", b"req_1"),
    ]
    assert client_headers(upstream) == [
        (b"content-type", b"text/event-stream"),
        (b"request-id", b"req_1"),
    ]


@pytest.mark.parametrize(
    ("pending", "chunk", "ready", "rest"),
    [
        (b"", b"data: 1\n\ndata: 2\n\n", b"data: 1\n\ndata: 2\n\n", b""),
        (b"", b"data: 1\n\ndata: 2", b"data: 1\n\n", b"data: 2"),
        (b"data: 2", b"\n\n", b"data: 2\n\n", b""),
        (b"", b"data: partial", b"", b"data: partial"),
        (b"", b"data: 1\r\n\r\ndata", b"data: 1\r\n\r\n", b"data"),
    ],
)
def test_sse_is_forwarded_in_whole_events(
    pending: bytes, chunk: bytes, ready: bytes, rest: bytes
) -> None:
    assert split_at_event_boundary(pending, chunk) == (ready, rest)


def test_a_custom_provider_header_replaces_the_clients() -> None:
    settings = ProviderSettings(
        "p", WireProtocol.ANTHROPIC, "https://x", headers=(("User-Agent", "team-bot"),)
    )
    headers = upstream_headers([(b"user-agent", b"claude-cli/2")], settings, "")
    assert headers == [(b"accept-encoding", b"identity"), (b"user-agent", b"team-bot")]


def test_a_translated_request_keeps_generic_headers_and_gets_its_protocols_own() -> None:
    claude_code = [
        (b"host", b"127.0.0.1:5"),
        (b"authorization", b"Bearer per-run-secret"),
        (b"user-agent", b"claude-cli/2.1.197 (external, sdk-cli)"),
        (b"anthropic-version", b"2023-06-01"),
        (b"anthropic-beta", b"interleaved-thinking-2025-05-14"),
        (b"x-app", b"cli"),
        (b"x-claude-code-session-id", b"abc"),
        (b"x-codex-turn-metadata", b'{"installation_id": "i"}'),
        (b"x-stainless-lang", b"js"),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"content-length", b"10"),
    ]
    chat = ProviderSettings("q", WireProtocol.OPENAI_CHAT, "https://q/v1", auth=AuthStyle.BEARER)
    assert translated_headers(claude_code, chat, "provider-key", stream=True) == [
        (b"user-agent", b"claude-cli/2.1.197 (external, sdk-cli)"),
        (b"content-type", b"application/json"),
        (b"accept", b"text/event-stream"),
        (b"accept-encoding", b"identity"),
        (b"authorization", b"Bearer provider-key"),
    ]
    anthropic = ProviderSettings("a", WireProtocol.ANTHROPIC, "https://a", auth=AuthStyle.X_API_KEY)
    chat_client = [(b"authorization", b"Bearer secret"), (b"openai-organization", b"o")]
    assert translated_headers(chat_client, anthropic, "k", stream=False) == [
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"accept-encoding", b"identity"),
        (b"anthropic-version", b"2023-06-01"),
        (b"x-api-key", b"k"),
    ]
