"""``cligate env TOOL``: the shell lines that point a tool at a running ``cligate serve``."""

from __future__ import annotations

import json
import shlex

import pytest

from cligate.cli.serve_command import env_lines
from cligate.errors import UsageError
from cligate.launcher.tools import TOOLS

URL = "http://127.0.0.1:8081"
KEY = "cg-serve-key-for-env-lines-000000"


def exports(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            [found[name]] = shlex.split(value)
    return found


def test_codex_gets_an_alias_whose_arguments_survive_the_shell() -> None:
    """Its -c provider table holds braces and quotes; the alias must give codex exactly the
    arguments cligate run gives it."""
    lines = env_lines("codex", URL, KEY)
    [alias] = [line for line in lines if line.startswith("alias codex=")]
    [command] = shlex.split(alias[len("alias codex=") :])
    argv = shlex.split(command)
    assert argv[0] == "codex"
    table = argv[argv.index("model_provider=cligate-run") + 2]
    assert table.startswith("model_providers.cligate-run={name=")
    assert f'base_url="{URL}/v1"' in table
    assert exports(lines)["CLIGATE_CODEX_KEY"] == KEY
    assert "unset OPENAI_API_KEY" in lines


def test_claude_and_gemini_get_their_variables() -> None:
    claude = exports(env_lines("claude", URL, KEY))
    assert claude["ANTHROPIC_BASE_URL"] == URL and claude["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert "ANTHROPIC_MODEL" not in claude  # the tool asks for what it likes; serve routes it
    gemini = exports(env_lines("gemini", URL, KEY))
    assert gemini["GOOGLE_GEMINI_BASE_URL"] == URL and gemini["GEMINI_API_KEY"] == KEY


def test_opencode_gets_its_whole_config_in_one_variable_with_the_model() -> None:
    found = exports(env_lines("opencode", URL, KEY, model="deepseek-flash"))
    config = json.loads(found["OPENCODE_CONFIG_CONTENT"])
    assert config["provider"]["cligate"]["options"]["baseURL"] == f"{URL}/v1"
    assert config["model"] == "cligate/deepseek-flash"
    assert found["CLIGATE_OPENCODE_KEY"] == KEY
    with pytest.raises(UsageError, match=r"must name a model: set \[tools.opencode\] model"):
        env_lines("opencode", URL, KEY)


@pytest.mark.parametrize("tool", [name for name, spec in TOOLS.items() if spec.files])
def test_a_tool_configured_by_a_file_is_pointed_at_cligate_run_and_its_guide(tool: str) -> None:
    with pytest.raises(UsageError) as caught:
        env_lines(tool, URL, KEY, model="m")
    assert f"cligate run {tool}" in caught.value.message
    assert f"docs/tools/{tool}.md" in caught.value.message


def test_the_model_told_to_a_tool_is_its_bindings_else_its_providers_default() -> None:
    from cligate.cli.serve_command import _model_for
    from cligate.config.settings import ProviderSettings, Settings, ToolBinding
    from cligate.protocols.kinds import WireProtocol

    provider = ProviderSettings(
        "p", WireProtocol.OPENAI_CHAT, "http://127.0.0.1:9/v1", models=("first", "second")
    )
    settings = Settings(
        providers={"p": provider},
        tools={
            "opencode": ToolBinding(provider="p"),
            "qwen": ToolBinding(provider="p", model="chosen"),
            "claude": ToolBinding(provider="p", model="chosen"),
        },
    )
    assert _model_for(settings, "opencode") == "first"
    assert _model_for(settings, "qwen") == "chosen"
    assert _model_for(settings, "claude") is None  # asks for what it likes; serve routes it
    assert _model_for(settings, "crush") is None  # no binding
