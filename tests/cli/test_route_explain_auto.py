"""``cligate route explain --model auto…``: the candidates, what left each out, the ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cligate.cli.app import run_app

CONFIG = """
[providers.cheap]
protocol = "openai-chat"
base_url = "http://127.0.0.1:9/v1"
api_key = "cheap-key-literal"
models = ["cheap-model"]
[providers.cheap.pricing."*"]
input = 0.2
output = 0.8
[providers.cheap.capabilities]
images = false
context_window = 32000

[providers.dear]
protocol = "anthropic"
base_url = "http://127.0.0.1:9"
api_key = "dear-key-literal"
models = ["dear-model"]
[providers.dear.pricing."*"]
input = 3
output = 15

[providers.keyless]
protocol = "anthropic"
base_url = "https://api.example.com"
api_key = "env:CLIGATE_TEST_UNSET_KEY"
models = ["never-model"]

[tools.claude]
provider = "dear"
tiers = { haiku = "auto:cheapest" }
"""


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("CLIGATE_TEST_UNSET_KEY", raising=False)
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)  # the built-in providers stay out


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert run_app(["route", "explain", "--tool", "claude", *args, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_auto_ranks_the_configured_models_with_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    report = explain(capsys, "--model", "auto:cheapest")
    targets = [(t["provider"], t["model"]) for t in report["targets"]]  # type: ignore[attr-defined]
    assert targets == [("cheap", "cheap-model"), ("dear", "dear-model")]
    reasons = "\n".join(report["reasons"])  # type: ignore[arg-type]
    assert "keyless" not in reasons  # no key: never a candidate


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        (["--images"], "cheap:cheap-model: takes no images"),
        (["--tokens", "50000"], "cheap:cheap-model: context window 32,000 tokens"),
    ],
)
def test_what_left_a_model_out_is_said(
    capsys: pytest.CaptureFixture[str], flags: list[str], why: str
) -> None:
    report = explain(capsys, "--model", "auto:cheapest", *flags)
    assert [t["model"] for t in report["targets"]] == ["dear-model"]  # type: ignore[attr-defined]
    assert any(why in line for line in report["reasons"])  # type: ignore[attr-defined]


def test_a_binding_tier_on_auto(capsys: pytest.CaptureFixture[str]) -> None:
    report = explain(capsys, "--model", "claude-haiku-4-5")
    assert report["targets"][0]["model"] == "cheap-model"  # type: ignore[index]
    assert "tier 'haiku'" in report["reasons"][0]  # type: ignore[index]
    plain = explain(capsys, "--model", "claude-sonnet-4-6")  # no tier: not auto
    assert [t["model"] for t in plain["targets"]] == ["claude-sonnet-4-6"]  # type: ignore[attr-defined]


def test_nothing_fits_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    limited = CONFIG.replace(
        '[providers.dear.pricing."*"]',
        '[providers.dear.capabilities]\ncontext_window = 200000\n[providers.dear.pricing."*"]',
    )
    (tmp_path / "config.toml").write_text(limited)
    code = run_app(
        ["route", "explain", "--tool", "claude", "--model", "auto", "--tokens", "5000000"]
    )
    assert code == 1
    assert "none of the configured models can serve this request" in capsys.readouterr().err
