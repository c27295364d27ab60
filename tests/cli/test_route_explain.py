import json
from pathlib import Path

import pytest

from cligate.cli.app import run_app

CONFIG = """
[providers.or]
protocol = "anthropic"
base_url = "https://openrouter.ai/api"
slug_passthrough = true
[providers.qwen]
protocol = "anthropic"
base_url = "https://dashscope.aliyuncs.com/apps/anthropic"
[tools.claude]
provider = "qwen"
tiers = { sonnet = "qwen-plus" }
fallbacks = ["or:anthropic/claude-3.7-sonnet"]
"""


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))


def test_explain_prints_each_decision(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["route", "explain", "--tool", "claude", "--model", "claude-sonnet-4-6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1. tier 'sonnet' in 'claude-sonnet-4-6'"
    assert lines[1] == "2. fallback or:anthropic/claude-3.7-sonnet"
    assert lines[-1].endswith("targets: qwen:qwen-plus, or:anthropic/claude-3.7-sonnet")


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_app(
        ["route", "explain", "--tool", "claude", "--model", "anthropic/claude-opus-4", "--json"]
    )
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    first = plan["targets"][0]
    assert (first["provider"], first["model"]) == ("or", "anthropic/claude-opus-4")
    assert first["translated_to"] is None  # an Anthropic provider: passed through
    assert "catalog slug" in plan["reasons"][0]


def test_explain_unknown_tool(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["route", "explain", "--tool", "cursor"]) == 2
    assert "unknown tool 'cursor'" in capsys.readouterr().err


CHAT_CONFIG = """
[providers.groq]
preset = "groq"
protocol = "openai-chat"
base_url = "https://api.groq.com/openai/v1"
[providers.groq.capabilities.models."llama-*"]
max_output_tokens = 8192
[tools.claude]
provider = "groq"
model = "llama-3.3-70b-versatile"
"""


def test_explain_shows_a_translated_targets_profile_and_what_a_request_loses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text(CHAT_CONFIG)
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 32000,
                "top_k": 40,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": "image/png",
                                    "data": "iVBORw0KGgo=",
                                },
                            }
                        ],
                    }
                ],
            }
        )
    )
    assert run_app(["route", "explain", "--tool", "claude", "--request", str(request)]) == 0
    out = capsys.readouterr().out
    assert "groq:llama-3.3-70b-versatile (translated to OpenAI Chat Completions):" in out
    # The preset says Groq takes no images; the user's file caps llama's output.
    assert "not images" in out and "output limit 8192 (max_completion_tokens)" in out
    assert "- max-tokens-clamped:" in out
    assert "- top-k-dropped:" in out
    assert "- images-dropped:" in out


def test_explain_json_lists_degradations_and_a_strict_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text(CHAT_CONFIG + "strict = true\n")
    request = tmp_path / "request.json"
    body = {
        "model": "m",
        "max_tokens": 10,
        "top_k": 3,
        "messages": [{"role": "user", "content": "hi"}],
    }
    request.write_text(json.dumps({"request": {"body": body}}))  # a capture file works too
    args = ["route", "explain", "--tool", "claude", "--request", str(request), "--json"]
    assert run_app(args) == 0
    (target,) = json.loads(capsys.readouterr().out)["targets"]
    assert target["translated_to"] == "openai-chat"
    assert "top-k-dropped" in target["refused"]


def test_explain_with_a_request_that_is_not_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text(CHAT_CONFIG)
    request = tmp_path / "request.json"
    request.write_text('{"model": "m", "messages": "nope"}')
    assert run_app(["route", "explain", "--tool", "claude", "--request", str(request)]) == 2
    assert "messages" in capsys.readouterr().err
