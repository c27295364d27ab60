"""``cligate providers test`` against a local server of each protocol."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cligate.cli.app import run_app
from cligate.control.provider_check import CheckResult, classify_answer
from tests.fake_upstream import FakeUpstream, HttpError, TextReply

KEY = "good-key"
SUFFIX = {"anthropic": "", "openai-chat": "/v1", "openai-responses": "/v1", "gemini": ""}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, script=TextReply("OK")) as fake:
        yield fake


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str, url: str) -> None:
    (tmp_path / "config.toml").write_text(
        f'[providers.p]\nprotocol = "{protocol}"\nbase_url = "{url}"\napi_key = "env:P_KEY"\n'
    )
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))


@pytest.mark.parametrize("protocol", list(SUFFIX))
def test_success_bad_key_and_unknown_model_are_told_apart(
    protocol: str,
    upstream: FakeUpstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(tmp_path, monkeypatch, protocol, upstream.base_url + SUFFIX[protocol])
    monkeypatch.setenv("P_KEY", KEY)
    assert run_app(["providers", "test", "p", "--model", "m1"]) == 0
    assert capsys.readouterr().out.startswith("ok: p answered with m1")

    monkeypatch.setenv("P_KEY", "wrong-key")
    assert run_app(["providers", "test", "p", "--model", "m1"]) == 1
    assert capsys.readouterr().err.startswith("auth problem: the key was refused (401)")

    monkeypatch.setenv("P_KEY", KEY)
    upstream.set_fault(HttpError(404, "The model `m2` does not exist"))
    assert run_app(["providers", "test", "p", "--model", "m2"]) == 1
    assert capsys.readouterr().err.startswith("model problem: model 'm2' is not available (404)")


def test_an_unreachable_provider_is_a_network_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    configure(tmp_path, monkeypatch, "anthropic", dead)
    monkeypatch.setenv("P_KEY", KEY)
    assert run_app(["providers", "test", "p", "--model", "m"]) == 1
    assert capsys.readouterr().err.startswith("network problem: cannot reach")


def test_a_missing_key_variable_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, monkeypatch, "anthropic", "https://x.example")
    monkeypatch.delenv("P_KEY", raising=False)
    assert run_app(["providers", "test", "p", "--model", "m"]) == 2
    assert "P_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {}, CheckResult.OK),
        (401, {"error": {"message": "invalid x-api-key"}}, CheckResult.AUTH),
        (
            403,
            {"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}},
            CheckResult.AUTH,
        ),
        (
            404,
            {"type": "error", "error": {"type": "not_found_error", "message": "model: x"}},
            CheckResult.MODEL,
        ),
        (400, {"error": {"message": "Invalid model: gpt-x"}}, CheckResult.MODEL),
        (400, {"error": {"message": "max_tokens too large"}}, CheckResult.PROVIDER),
        (429, {"error": {"message": "rate limited"}}, CheckResult.PROVIDER),
        (500, "upstream exploded", CheckResult.PROVIDER),
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                }
            },
            CheckResult.AUTH,
        ),
        (404, "<html>Not Found</html>", CheckResult.PROVIDER),  # a wrong base URL, not a model
        (
            400,
            {"error": {"message": "Unsupported parameter: 'max_tokens' with this model"}},
            CheckResult.PROVIDER,
        ),
        (429, {"error": {"message": "quota exceeded for this API key"}}, CheckResult.PROVIDER),
    ],
)
def test_classification_table(status: int, body: object, expected: CheckResult) -> None:
    assert classify_answer(status, body, "x").result is expected


@pytest.mark.parametrize("protocol", ["anthropic", "openai-chat", "gemini"])
def test_models_lists_what_the_provider_offers(
    protocol: str,
    upstream: FakeUpstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(tmp_path, monkeypatch, protocol, upstream.base_url + SUFFIX[protocol])
    monkeypatch.setenv("P_KEY", KEY)
    assert run_app(["providers", "models", "p"]) == 0
    assert capsys.readouterr().out.split() == ["fake-large", "fake-small", "vendor/fake-slug"]


def test_models_can_save_aliases_for_listed_models_only(
    upstream: FakeUpstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(tmp_path, monkeypatch, "openai-chat", upstream.base_url + "/v1")
    monkeypatch.setenv("P_KEY", KEY)
    assert run_app(["providers", "models", "p", "--save-alias", "big=fake-large"]) == 0
    assert 'big = "fake-large"' in (tmp_path / "config.toml").read_text()
    assert run_app(["providers", "models", "p", "--save-alias", "x=not-listed"]) == 2
    assert "not among the 3 models" in capsys.readouterr().err
    monkeypatch.setenv("P_KEY", "wrong")
    assert run_app(["providers", "models", "p"]) == 1
    assert "401" in capsys.readouterr().err


def test_test_uses_the_providers_own_model_when_none_is_named(
    upstream: FakeUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text(
        f'[providers.p]\nprotocol = "anthropic"\nbase_url = "{upstream.base_url}"\n'
        'api_key = "env:P_KEY"\nmodels = ["picked-model", "other"]\n'
    )
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("P_KEY", KEY)
    assert run_app(["providers", "test", "p"]) == 0
    assert upstream.requests[-1].json["model"] == "picked-model"


@pytest.mark.parametrize(
    ("protocol", "body", "expected"),
    [
        ("anthropic", {"data": [], "has_more": True, "last_id": "m20"}, {"after_id": "m20"}),
        ("anthropic", {"data": [], "has_more": False, "last_id": "m20"}, None),
        ("gemini", {"models": [], "nextPageToken": "tok"}, {"pageToken": "tok"}),
        ("gemini", {"models": []}, None),
        ("openai-chat", {"object": "list", "data": []}, None),
    ],
)
def test_listings_are_followed_page_by_page(
    protocol: str, body: dict[str, object], expected: object
) -> None:
    from cligate.control.model_discovery import next_page
    from cligate.protocols.kinds import WireProtocol

    assert next_page(WireProtocol(protocol), body) == expected
