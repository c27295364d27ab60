"""The table of known tools, as data: how each one is found, what it speaks and how it is told
where the proxy is (the fields and placeholders are in ``toolspec.py``). The facts come from
running the real CLIs; ``tests/e2e`` checks them against the versions pinned in ``tests/run``.
"""

from __future__ import annotations

from cligate.launcher.tools_chat import CHAT_TOOLS
from cligate.launcher.toolspec import ToolSpec as ToolSpec
from cligate.protocols.kinds import WireProtocol

TOOLS: dict[str, ToolSpec] = {
    "claude": ToolSpec(
        name="claude",
        binary="claude",
        protocol=WireProtocol.ANTHROPIC,
        install_hint="npm install -g @anthropic-ai/claude-code",
        env={
            "ANTHROPIC_BASE_URL": "{base_url}",
            # Sent as "Authorization: Bearer"; unlike ANTHROPIC_API_KEY it does not make an
            # interactive session ask to approve a new key on every run.
            "ANTHROPIC_AUTH_TOKEN": "{secret}",
            # Without this Claude Code sends the key it was given to api.anthropic.com.
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "DISABLE_TELEMETRY": "1",
        },
        model_env={
            "ANTHROPIC_MODEL": "{model}",
            "ANTHROPIC_DEFAULT_OPUS_MODEL": "{model}",
            "ANTHROPIC_DEFAULT_SONNET_MODEL": "{model}",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": "{model}",
            "ANTHROPIC_SMALL_FAST_MODEL": "{model}",
        },
        unset_env=("ANTHROPIC_API_KEY", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"),
        one_shot=("-p", "{prompt}", "--allowedTools", "Bash"),
        shell_tool="Bash",
        background_hint="haiku",
        tier_keywords=("opus", "sonnet", "haiku"),
        tier_env={
            "opus": "ANTHROPIC_DEFAULT_OPUS_MODEL",
            "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
            "haiku": "ANTHROPIC_DEFAULT_HAIKU_MODEL",
            "background": "ANTHROPIC_SMALL_FAST_MODEL",
        },
    ),
    "codex": ToolSpec(
        name="codex",
        binary="codex",
        protocol=WireProtocol.OPENAI_RESPONSES,
        install_hint="npm install -g @openai/codex",
        base_url_suffix="/v1",
        env={"CLIGATE_CODEX_KEY": "{secret}"},
        # A custom model provider given as -c overrides: ~/.codex/config.toml is never edited.
        args=(
            "-c",
            # An id of our own: codex merges -c tables into a same-named table of the user's.
            "model_provider=cligate-run",
            "-c",
            'model_providers.cligate-run={name="cligate", base_url="{base_url}", '
            'env_key="CLIGATE_CODEX_KEY", wire_api="responses", supports_websockets=false, '
            "requires_openai_auth=false}",
            "-c",
            "check_for_update_on_startup=false",
            "-c",
            "analytics.enabled=false",
            "-c",
            "features.plugins=false",
            "-c",
            "features.remote_plugin=false",
            "-c",
            "features.apps=false",
        ),
        model_args=("-c", "model={model_quoted}"),
        one_shot=("exec", "--skip-git-repo-check", "{prompt}"),
        shell_tool="exec_command",
        # The vendor's own credentials and URL: they must not compete with ours or be seen.
        unset_env=("OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL"),
        tier_keywords=("mini", "nano"),
        # A catalog model of codex 0.169 whose requests are standard Responses with the
        # freeform apply_patch tool; names it does not know lose apply_patch, and its newest
        # names switch to the non-standard "responses lite" shape (see tests/e2e).
        translated_model="gpt-5.5",
    ),
    "gemini": ToolSpec(
        name="gemini",
        binary="gemini",
        protocol=WireProtocol.GEMINI,
        install_hint="npm install -g @google/gemini-cli",
        env={
            "GOOGLE_GEMINI_BASE_URL": "{base_url}",
            "GEMINI_API_KEY": "{secret}",
            # One node process instead of two; the relaunching parent ignores SIGINT/SIGTERM.
            "GEMINI_CLI_NO_RELAUNCH": "true",
        },
        model_env={"GEMINI_MODEL": "{model}"},
        unset_env=(
            "GOOGLE_API_KEY",
            "GOOGLE_GENAI_USE_VERTEXAI",
            "GOOGLE_GENAI_USE_GCA",
            "GEMINI_API_KEY_AUTH_MECHANISM",
            "GOOGLE_CLOUD_PROJECT",
        ),
        needs_gemini_settings=True,
        one_shot=("-p", "{prompt}", "--approval-mode", "yolo"),
        shell_tool="run_shell_command",
        background_hint="lite",  # the flash-lite routing call of model "auto"
        tier_keywords=("pro", "flash", "lite"),
    ),
}

TOOLS.update(CHAT_TOOLS)

# The tools cligate was first built for: doctor warns when one is missing and the shims cover
# them by default; the others are reported and shimmed only when installed (or bound).
MAIN_TOOLS = ("claude", "codex", "gemini")


# The variables most tools and SDKs read for each protocol: what the generic adapter sets
# (``cligate run --protocol P -- COMMAND``). Base URL suffix, then the variables.
GENERIC_VARIABLES: dict[WireProtocol, tuple[str, dict[str, str]]] = {
    WireProtocol.OPENAI_CHAT: (
        "/v1",
        {
            "OPENAI_BASE_URL": "{base_url}",
            "OPENAI_API_BASE": "{base_url}",  # older OpenAI SDKs and LiteLLM-based tools
            "OPENAI_API_KEY": "{secret}",
        },
    ),
    WireProtocol.OPENAI_RESPONSES: (
        "/v1",
        {
            "OPENAI_BASE_URL": "{base_url}",
            "OPENAI_API_BASE": "{base_url}",
            "OPENAI_API_KEY": "{secret}",
        },
    ),
    WireProtocol.ANTHROPIC: (
        "",
        {
            "ANTHROPIC_BASE_URL": "{base_url}",
            "ANTHROPIC_API_KEY": "{secret}",
            "ANTHROPIC_AUTH_TOKEN": "{secret}",
        },
    ),
    WireProtocol.GEMINI: (
        "",
        {
            "GOOGLE_GEMINI_BASE_URL": "{base_url}",
            "GEMINI_API_KEY": "{secret}",
            "GOOGLE_API_KEY": "{secret}",
        },
    ),
}


def generic_tool(command: str, protocol: WireProtocol) -> ToolSpec:
    """Any command, told where the proxy is through its protocol's standard variables; its
    binding is ``[tools.NAME]`` for the command's file name (or --provider)."""
    import os

    suffix, variables = GENERIC_VARIABLES[protocol]
    name = os.path.basename(command)
    return ToolSpec(
        name=name,
        binary=command,
        protocol=protocol,
        install_hint=f"install {name}, or give its path",
        base_url_suffix=suffix,
        env=dict(variables),
    )


def known_tools() -> str:
    return ", ".join(sorted(TOOLS))
