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
    assert plan["targets"][0] == {"provider": "or", "model": "anthropic/claude-opus-4"}
    assert "catalog slug" in plan["reasons"][0]


def test_explain_unknown_tool(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["route", "explain", "--tool", "cursor"]) == 2
    assert "unknown tool 'cursor'" in capsys.readouterr().err
