"""The tools that speak OpenAI Chat Completions (opencode, Qwen Code, aider, crush, OpenClaw),
each told about a provider named "cligate": through one variable where the tool takes its
whole config that way, else a file of the run's own (``RunFile``). The facts come from running
each tool (see docs/tools and ``tests/e2e/test_more_tools.py``).
"""

from __future__ import annotations

import json
from typing import Any

from cligate.launcher.toolspec import RunFile, ToolSpec
from cligate.protocols.kinds import WireProtocol

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


def _chat_tool(name: str, env: dict[str, str], **fields: Any) -> ToolSpec:
    """What the five share: binary named as the tool, Chat Completions to the proxy's /v1,
    settings that must name a model, and the run's secret in ``CLIGATE_<NAME>_KEY`` (the
    variable their config names instead of holding the secret)."""
    key = {f"CLIGATE_{name.upper()}_KEY": "{secret}"}
    return ToolSpec(
        name=name,
        binary=name,
        protocol=WireProtocol.OPENAI_CHAT,
        base_url_suffix="/v1",
        env={**key, **env},
        needs_model=True,
        **fields,
    )


def _json_file(name: str, settings: dict[str, Any]) -> RunFile:
    return RunFile(name, json.dumps(settings, indent=2))


CHAT_TOOLS: dict[str, ToolSpec] = {
    "opencode": _chat_tool(
        "opencode",
        install_hint="npm install -g opencode-ai",
        env={
            # Merged over the user's global and project config: nothing of theirs edited.
            "OPENCODE_CONFIG_CONTENT": json.dumps(_OPENCODE_CONFIG),
            "OPENCODE_DISABLE_MODELS_FETCH": "1",  # the models.dev catalogue
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
        },
        unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
        one_shot=("run", "{prompt}"),
        shell_tool="bash",
    ),
    "qwen": _chat_tool(
        "qwen",
        install_hint="npm install -g @qwen-code/qwen-code",
        env={
            "QWEN_CODE_SYSTEM_SETTINGS_PATH": "{run_dir}/qwen-settings.json",
            # For a --model of the user's that names no provider entry.
            "OPENAI_BASE_URL": "{base_url}",
            "OPENAI_API_KEY": "{secret}",
            "OPENAI_MODEL": "{model}",
            "QWEN_CODE_NO_RELAUNCH": "true",  # one node process, as with Gemini CLI
            "QWEN_CODE_DISABLE_PRECONNECT": "1",
        },
        unset_env=(*_CHAT_TOOL_UNSET, "GOOGLE_API_KEY", "QWEN_MODEL", "QWEN_DEFAULT_AUTH_TYPE"),
        files=(_json_file("qwen-settings.json", _QWEN_SETTINGS),),
        one_shot=("--yolo", "{prompt}"),
        shell_tool="run_shell_command",
    ),
    "aider": _chat_tool(
        "aider",
        install_hint="pipx install aider-chat",
        env={
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # else LiteLLM fetches prices at start
        },
        unset_env=("OPENAI_API_KEY", "OPENAI_BASE_URL", *_CHAT_TOOL_UNSET),
        args=("--env-file", "{run_dir}/aider.env"),
        files=(
            RunFile("aider.env", _AIDER_ENV),
            _json_file("aider-models.json", _AIDER_MODELS),
        ),
        one_shot=("--message", "{prompt}", "--yes-always"),
    ),
    "crush": _chat_tool(
        "crush",
        install_hint="npm install -g @charmland/crush",
        env={
            # A global config directory for the run (a project's crush.json still wins).
            "CRUSH_GLOBAL_CONFIG": "{run_dir}",
            "CRUSH_DISABLE_PROVIDER_AUTO_UPDATE": "1",
            "CRUSH_DISABLE_METRICS": "1",
            "CRUSH_DISABLE_DEFAULT_PROVIDERS": "1",
        },
        unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
        files=(_json_file("crush.json", _CRUSH_CONFIG),),
        one_shot=("run", "-q", "{prompt}"),
        shell_tool="bash",
    ),
    "openclaw": _chat_tool(
        "openclaw",
        install_hint="npm install -g openclaw@2026.9.6 with Node 24.16 or newer",
        env={
            "OPENCLAW_CONFIG_PATH": "{run_dir}/openclaw.json",
            "OPENCLAW_NO_AUTO_UPDATE": "1",
        },
        unset_env=("OPENAI_API_KEY", *_CHAT_TOOL_UNSET),
        files=(_json_file("openclaw.json", _OPENCLAW_CONFIG),),
        # One turn in the current directory, with a state of its own, the answer alone on
        # stdout ("agent --local" works in the assistant's own workspace instead).
        one_shot=("agent", "exec", "{prompt}"),
        shell_tool="exec",
    ),
}
