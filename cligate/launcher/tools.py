"""The table of known tools, as data: how each one is found, what it speaks and how it is told
where the proxy is.

Placeholders in values, filled in by ``launcher/child.py``: ``{base_url}``, ``{secret}``,
``{model}``, ``{model_quoted}`` (the model as a TOML/JSON string), ``{model_json}`` (the model
escaped for the inside of a JSON string) and ``{run_dir}`` (a private directory that holds this
run's files and is removed afterwards). The facts come from running the real CLIs; ``tests/e2e``
checks them against the versions pinned in ``tests/run``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cligate.protocols.kinds import WireProtocol


@dataclass(frozen=True, slots=True)
class RunFile:
    """A file written for one run into its private directory (mode 0600, the directory 0700)
    and removed with it: a tool's settings that no variable or flag can carry. Never the user's
    own config, and never the secret where the tool can read it from a variable instead."""

    name: str
    text: str  # with the same placeholders as env values


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    binary: str
    protocol: WireProtocol
    install_hint: str
    # Appended to the proxy URL to make the base URL this tool expects.
    base_url_suffix: str = ""
    # Set for the child. Values may use {base_url}, {secret} and {model}.
    env: dict[str, str] = field(default_factory=dict)
    # Set only when a model is chosen (by --model or the binding).
    model_env: dict[str, str] = field(default_factory=dict)
    # Removed from the child's environment: credentials and settings that would compete with ours.
    unset_env: tuple[str, ...] = ()
    # Put before the user's arguments. Values may use the same placeholders.
    args: tuple[str, ...] = ()
    model_args: tuple[str, ...] = ()
    # Gemini CLI needs its auth type chosen in a settings file; see launcher/gemini_home.py.
    needs_gemini_settings: bool = False
    # Written into the run's private directory ({run_dir}) before the tool starts.
    files: tuple[RunFile, ...] = ()
    # The tool's settings must name a model: without --model or the binding's, the provider's
    # default model is used (see launcher/run.py).
    needs_model: bool = False
    # The arguments for one non-interactive turn, {prompt} standing for the request; the
    # guides in docs/ and the end-to-end tests both use them.
    one_shot: tuple[str, ...] = ()
    # The tool's own name for its shell tool, when it has one a model can call.
    shell_tool: str | None = None
    # A word in the model name of the tool's background calls (titles, summaries, routing).
    background_hint: str | None = None
    # The words in this tool's model names that a binding's tiers map (opus, flash, …).
    tier_keywords: tuple[str, ...] = ()
    # Where a binding tier's model goes, so the tool's own model picker names it (set after
    # model_env, so a tier wins over --model for its own slot).
    tier_env: dict[str, str] = field(default_factory=dict)
    # The model name the tool is told when its requests are translated, if its request shape
    # depends on the name; routing then sends the binding's model to the provider.
    translated_model: str | None = None


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

# --- tools that speak OpenAI Chat Completions, each told about a provider "cligate" -----------
# Each JSON setting below is built once; its placeholders are filled per run.

_OPENCODE_CONFIG = {
    "provider": {
        "cligate": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "cligate",
            # opencode reads the key from the variable itself: the secret is in no file.
            "options": {"baseURL": "{base_url}", "apiKey": "{env:CLIGATE_OPENCODE_KEY}"},
            "models": {"{model_json}": {"name": "{model_json}"}},
        }
    },
    "enabled_providers": ["cligate"],
    "model": "cligate/{model_json}",
    "small_model": "cligate/{model_json}",  # its title calls, else the vendor's small model
    "autoupdate": False,
    "share": "disabled",
}

_QWEN_SETTINGS = {
    # Settings from this file beat the user's and the project's, so a user's "qwen-oauth" or a
    # provider entry of their own with the same model id cannot take the run elsewhere.
    "security": {"auth": {"selectedType": "openai"}},
    "model": {"name": "{model_json}"},
    "modelProviders": {
        "openai": [
            {
                "id": "{model_json}",
                "name": "cligate",
                "baseUrl": "{base_url}",
                "envKey": "CLIGATE_QWEN_KEY",
            }
        ]
    },
    "privacy": {"usageStatisticsEnabled": False},  # else it reports usage to an Aliyun host
    "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
}

# aider loads .env files over the environment (override), the --env-file one last; python-dotenv
# expands ${VAR}, so the file names the key's variable rather than holding the secret.
_AIDER_ENV = """\
OPENAI_API_KEY=${CLIGATE_AIDER_KEY}
AIDER_OPENAI_API_KEY=${CLIGATE_AIDER_KEY}
OPENAI_API_BASE={base_url}
AIDER_OPENAI_API_BASE={base_url}
OPENAI_BASE_URL={base_url}
AIDER_MODEL="openai/{model_json}"
AIDER_WEAK_MODEL="openai/{model_json}"
AIDER_EDITOR_MODEL="openai/{model_json}"
AIDER_MODEL_METADATA_FILE={run_dir}/aider-models.json
AIDER_ANALYTICS=false
AIDER_CHECK_UPDATE=false
AIDER_SHOW_RELEASE_NOTES=false
"""
# Known to aider this way, the model needs no price list from the internet and gets no
# "unknown model" warning; cligate's records carry the real usage and cost.
_AIDER_MODELS = {
    "openai/{model_json}": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 128000,
        "max_output_tokens": 8192,
        "input_cost_per_token": 0,
        "output_cost_per_token": 0,
    }
}

_CRUSH_CONFIG = {
    "providers": {
        "cligate": {
            "type": "openai-compat",
            "base_url": "{base_url}",
            "api_key": "$CLIGATE_CRUSH_KEY",  # crush expands $VAR itself
            "models": [
                {
                    "id": "{model_json}",
                    "name": "{model_json}",
                    "context_window": 128000,
                    "default_max_tokens": 8192,
                }
            ],
        }
    },
    "models": {
        "large": {"provider": "cligate", "model": "{model_json}"},
        "small": {"provider": "cligate", "model": "{model_json}"},
    },
    "options": {"disable_provider_auto_update": True, "disable_metrics": True},
}

_OPENCLAW_CONFIG = {
    "models": {
        "mode": "replace",  # no provider catalogues discovered or fetched
        "providers": {
            "cligate": {
                "baseUrl": "{base_url}",
                "apiKey": "${CLIGATE_OPENCLAW_KEY}",
                "api": "openai-completions",
                "models": [
                    {
                        "id": "{model_json}",
                        "name": "{model_json}",
                        "input": ["text"],
                        "contextWindow": 128000,
                        "maxTokens": 8192,
                    }
                ],
            }
        },
    },
    "agents": {"defaults": {"model": {"primary": "cligate/{model_json}"}}},
    "update": {"checkOnStart": False},
}

# The vendor credentials and endpoints a Chat tool would otherwise reach past cligate.
_CHAT_TOOL_UNSET = ("OPENAI_API_BASE", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY")

TOOLS.update(
    {
        "opencode": ToolSpec(
            name="opencode",
            binary="opencode",
            protocol=WireProtocol.OPENAI_CHAT,
            install_hint="npm install -g opencode-ai",
            base_url_suffix="/v1",
            env={
                # Merged over the user's global and project config: nothing of theirs edited.
                "OPENCODE_CONFIG_CONTENT": json.dumps(_OPENCODE_CONFIG),
                "CLIGATE_OPENCODE_KEY": "{secret}",
                "OPENCODE_DISABLE_MODELS_FETCH": "1",  # the models.dev catalogue
                "OPENCODE_DISABLE_AUTOUPDATE": "1",
            },
            unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
            needs_model=True,
            one_shot=("run", "{prompt}"),
            shell_tool="bash",
        ),
        "qwen": ToolSpec(
            name="qwen",
            binary="qwen",
            protocol=WireProtocol.OPENAI_CHAT,
            install_hint="npm install -g @qwen-code/qwen-code",
            base_url_suffix="/v1",
            env={
                "QWEN_CODE_SYSTEM_SETTINGS_PATH": "{run_dir}/qwen-settings.json",
                "CLIGATE_QWEN_KEY": "{secret}",
                # For a --model of the user's that names no provider entry.
                "OPENAI_BASE_URL": "{base_url}",
                "OPENAI_API_KEY": "{secret}",
                "OPENAI_MODEL": "{model}",
                "QWEN_CODE_NO_RELAUNCH": "true",  # one node process, as with Gemini CLI
                "QWEN_CODE_DISABLE_PRECONNECT": "1",
            },
            unset_env=(*_CHAT_TOOL_UNSET, "GOOGLE_API_KEY", "QWEN_MODEL", "QWEN_DEFAULT_AUTH_TYPE"),
            files=(RunFile("qwen-settings.json", json.dumps(_QWEN_SETTINGS, indent=2)),),
            needs_model=True,
            one_shot=("--yolo", "{prompt}"),
            shell_tool="run_shell_command",
        ),
        "aider": ToolSpec(
            name="aider",
            binary="aider",
            protocol=WireProtocol.OPENAI_CHAT,
            install_hint="pipx install aider-chat",
            base_url_suffix="/v1",
            env={
                "CLIGATE_AIDER_KEY": "{secret}",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # else LiteLLM fetches prices at start
            },
            unset_env=("OPENAI_API_KEY", "OPENAI_BASE_URL", *_CHAT_TOOL_UNSET),
            args=("--env-file", "{run_dir}/aider.env"),
            files=(
                RunFile("aider.env", _AIDER_ENV),
                RunFile("aider-models.json", json.dumps(_AIDER_MODELS, indent=2)),
            ),
            needs_model=True,
            one_shot=("--message", "{prompt}", "--yes-always"),
        ),
        "crush": ToolSpec(
            name="crush",
            binary="crush",
            protocol=WireProtocol.OPENAI_CHAT,
            install_hint="npm install -g @charmland/crush",
            base_url_suffix="/v1",
            env={
                # A global config directory for the run (a project's crush.json still wins).
                "CRUSH_GLOBAL_CONFIG": "{run_dir}",
                "CLIGATE_CRUSH_KEY": "{secret}",
                "CRUSH_DISABLE_PROVIDER_AUTO_UPDATE": "1",
                "CRUSH_DISABLE_METRICS": "1",
                "CRUSH_DISABLE_DEFAULT_PROVIDERS": "1",
            },
            unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
            files=(RunFile("crush.json", json.dumps(_CRUSH_CONFIG, indent=2)),),
            needs_model=True,
            one_shot=("run", "-q", "{prompt}"),
            shell_tool="bash",
        ),
        "openclaw": ToolSpec(
            name="openclaw",
            binary="openclaw",
            protocol=WireProtocol.OPENAI_CHAT,
            install_hint="npm install -g openclaw (it needs Node 24.16 or newer)",
            base_url_suffix="/v1",
            env={
                "OPENCLAW_CONFIG_PATH": "{run_dir}/openclaw.json",
                "CLIGATE_OPENCLAW_KEY": "{secret}",
                "OPENCLAW_NO_AUTO_UPDATE": "1",
            },
            unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
            files=(RunFile("openclaw.json", json.dumps(_OPENCLAW_CONFIG, indent=2)),),
            needs_model=True,
            # One turn in the current directory, with a state of its own, the answer alone on
            # stdout ("agent --local" works in the assistant's own workspace instead).
            one_shot=("agent", "exec", "{prompt}"),
            shell_tool="exec",
        ),
    }
)

# The tools cligate was first built for: doctor warns when one is missing, selftest and the
# shims cover them by default. The others are reported only when installed or bound.
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
