"""The per-run files of the adapters (Qwen Code, aider, crush, OpenClaw): what the tool is given,
checked with a stand-in for each tool that copies what it finds. crush cannot be installed on
the CI machine (its npm package downloads the binary from GitHub), so this is its test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cligate.launcher.tools import TOOLS

KEY = "files-upstream-key"
MODEL = 'odd"model'  # a quote, so escaping in the JSON and dotenv files shows

# Reports the environment, its run directory's modes and its files' texts, then exits.
STAND_IN = """#!{python}
import json, os, stat, sys
run_dir = {run_dir_expr}
report = {{"argv": sys.argv[1:], "env": dict(os.environ), "files": {{}}, "modes": {{}}}}
if run_dir:
    report["modes"]["."] = stat.S_IMODE(os.stat(run_dir).st_mode)
    for name in os.listdir(run_dir):
        path = os.path.join(run_dir, name)
        report["files"][name] = open(path).read()
        report["modes"][name] = stat.S_IMODE(os.stat(path).st_mode)
report["run_dir"] = run_dir
json.dump(report, open(os.environ["STAND_IN_REPORT"], "w"))
"""

# Where each stand-in finds the run directory: from the variable or flag that names it.
RUN_DIR_EXPR = {
    "qwen": 'os.path.dirname(os.environ["QWEN_CODE_SYSTEM_SETTINGS_PATH"])',
    "aider": 'os.path.dirname(sys.argv[sys.argv.index("--env-file") + 1])',
    "crush": 'os.environ["CRUSH_GLOBAL_CONFIG"]',
    "openclaw": 'os.path.dirname(os.environ["OPENCLAW_CONFIG_PATH"])',
    "opencode": '""',
}


def launch(tmp_path: Path, tool: str) -> dict[str, Any]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        '[providers.fake]\nprotocol = "openai-chat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        f'api_key = "{KEY}"\n\n[tools.{tool}]\nprovider = "fake"\nmodel = {json.dumps(MODEL)}\n'
    )
    stand_in = tmp_path / tool
    stand_in.write_text(STAND_IN.format(python=sys.executable, run_dir_expr=RUN_DIR_EXPR[tool]))
    stand_in.chmod(0o755)
    report = tmp_path / "report.json"
    env = {
        **os.environ,
        "CLIGATE_CONFIG_DIR": str(config),
        "CLIGATE_RECORDS": "0",
        f"CLIGATE_{tool.upper()}_BIN": str(stand_in),
        "STAND_IN_REPORT": str(report),
        "OPENAI_API_KEY": "the-users-own-openai-key",
    }
    result = subprocess.run(
        [sys.executable, "-m", "cligate", "run", tool, "--", "--user-flag"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(report.read_text())
    return found


def secret_of(report: dict[str, Any], tool: str) -> str:
    return str(report["env"][f"CLIGATE_{tool.upper()}_KEY"])


@pytest.mark.parametrize("tool", ["qwen", "aider", "crush", "openclaw"])
def test_run_files_are_private_hold_no_secret_and_are_removed(tmp_path: Path, tool: str) -> None:
    report = launch(tmp_path, tool)
    secret = secret_of(report, tool)
    assert set(report["files"]) == {file.name for file in TOOLS[tool].files}
    assert report["modes"]["."] == 0o700
    for name, text in report["files"].items():
        assert report["modes"][name] == 0o600, name
        assert secret not in text, f"the run secret is written in {name}"
        assert KEY not in text and "the-users-own-openai-key" not in text
    assert not os.path.exists(report["run_dir"])  # removed after the run
    assert report["argv"][-1] == "--user-flag"  # the user's arguments come last, untouched
    # The user's own OpenAI key never reaches a tool that is pointed at cligate.
    assert report["env"].get("OPENAI_API_KEY") in (None, secret)


def _only_url(text: str) -> str:
    import re

    [url] = set(re.findall(r"http://127\.0\.0\.1:\d+/v1", text))
    return url


def test_qwen_settings_choose_openai_auth_and_the_proxy_with_the_key_from_a_variable(
    tmp_path: Path,
) -> None:
    report = launch(tmp_path, "qwen")
    settings = json.loads(report["files"]["qwen-settings.json"])
    assert settings["security"]["auth"]["selectedType"] == "openai"
    assert settings["model"]["name"] == MODEL
    [provider] = settings["modelProviders"]["openai"]
    assert provider["id"] == MODEL and provider["envKey"] == "CLIGATE_QWEN_KEY"
    assert provider["baseUrl"] == report["env"]["OPENAI_BASE_URL"]
    assert provider["baseUrl"] == _only_url(report["files"]["qwen-settings.json"])
    assert settings["privacy"]["usageStatisticsEnabled"] is False
    assert report["env"]["OPENAI_MODEL"] == MODEL


def test_aider_env_file_names_the_key_variable_and_the_model(tmp_path: Path) -> None:
    from dotenv import dotenv_values

    report = launch(tmp_path, "aider")
    assert report["argv"][:2] == ["--env-file", os.path.join(report["run_dir"], "aider.env")]
    env_file = tmp_path / "aider.env"
    env_file.write_text(report["files"]["aider.env"])
    # Read as aider reads it: python-dotenv, expanding ${VAR} from the environment.
    os.environ["CLIGATE_AIDER_KEY"] = secret_of(report, "aider")
    try:
        values = dotenv_values(env_file, interpolate=True)
    finally:
        del os.environ["CLIGATE_AIDER_KEY"]
    assert values["OPENAI_API_KEY"] == values["AIDER_OPENAI_API_KEY"] == secret_of(report, "aider")
    assert values["AIDER_MODEL"] == f"openai/{MODEL}"
    url = _only_url(report["files"]["aider.env"])
    assert values["OPENAI_API_BASE"] == values["OPENAI_BASE_URL"] == url
    models = json.loads(report["files"]["aider-models.json"])
    assert list(models) == [f"openai/{MODEL}"]
    assert values["AIDER_MODEL_METADATA_FILE"] == os.path.join(
        report["run_dir"], "aider-models.json"
    )
    assert report["env"]["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


def test_crush_config_is_an_openai_compatible_provider_at_the_proxy(tmp_path: Path) -> None:
    report = launch(tmp_path, "crush")
    config = json.loads(report["files"]["crush.json"])
    provider = config["providers"]["cligate"]
    assert provider["type"] == "openai-compat"
    assert provider["api_key"] == "$CLIGATE_CRUSH_KEY"
    assert provider["base_url"] == _only_url(report["files"]["crush.json"])
    assert [m["id"] for m in provider["models"]] == [MODEL]
    assert config["models"]["large"] == {"provider": "cligate", "model": MODEL}
    assert config["models"]["small"] == {"provider": "cligate", "model": MODEL}
    for switch in ("PROVIDER_AUTO_UPDATE", "METRICS", "DEFAULT_PROVIDERS"):
        assert report["env"][f"CRUSH_DISABLE_{switch}"] == "1"


def test_openclaw_config_replaces_the_catalogues_with_the_proxy(tmp_path: Path) -> None:
    report = launch(tmp_path, "openclaw")
    config = json.loads(report["files"]["openclaw.json"])
    assert config["models"]["mode"] == "replace"
    provider = config["models"]["providers"]["cligate"]
    assert provider["api"] == "openai-completions"
    assert provider["apiKey"] == "${CLIGATE_OPENCLAW_KEY}"
    assert provider["baseUrl"] == _only_url(report["files"]["openclaw.json"])
    assert config["agents"]["defaults"]["model"]["primary"] == f"cligate/{MODEL}"


def test_opencode_gets_everything_in_one_variable(tmp_path: Path) -> None:
    report = launch(tmp_path, "opencode")
    assert report["files"] == {} and report["run_dir"] == ""
    config = json.loads(report["env"]["OPENCODE_CONFIG_CONTENT"])
    provider = config["provider"]["cligate"]
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"]["apiKey"] == "{env:CLIGATE_OPENCODE_KEY}"
    assert list(provider["models"]) == [MODEL]
    assert config["model"] == config["small_model"] == f"cligate/{MODEL}"
    assert config["enabled_providers"] == ["cligate"]
    assert "OPENAI_API_KEY" not in report["env"]


def test_a_tool_whose_settings_need_a_model_takes_the_providers_default(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        '[providers.ds]\npreset = "deepseek"\nprotocol = "openai-chat"\n'
        'base_url = "http://127.0.0.1:9"\napi_key = "k"\n\n[tools.opencode]\nprovider = "ds"\n'
    )
    stand_in = tmp_path / "opencode"
    stand_in.write_text(STAND_IN.format(python=sys.executable, run_dir_expr='""'))
    stand_in.chmod(0o755)
    env = {
        **os.environ,
        "CLIGATE_CONFIG_DIR": str(config),
        "CLIGATE_RECORDS": "0",
        "CLIGATE_OPENCODE_BIN": str(stand_in),
        "STAND_IN_REPORT": str(tmp_path / "report.json"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "cligate", "run", "opencode"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    content = json.loads(report["env"]["OPENCODE_CONFIG_CONTENT"])
    assert content["model"] == "cligate/deepseek-flash"  # the preset's standard tier

    # A provider with no models and no preset: the error says how to name one.
    (config / "config.toml").write_text(
        '[providers.mine]\nprotocol = "openai-chat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "k"\n\n[tools.opencode]\nprovider = "mine"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "cligate", "run", "opencode"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode != 0
    assert "opencode's settings must name a model" in result.stderr
    assert "--model MODEL" in result.stderr and "[tools.opencode]" in result.stderr
