"""What the guides in docs/tools say about each tool beyond the adapter table: the words a
table cannot hold. Commands are never written here; they come from the table
(``launcher/tools.py``) so the guides run what the tests run."""

from __future__ import annotations

from dataclasses import dataclass

# The provider and model every terminal-tool guide sets up: one Chat provider, so that a reader
# following several guides adds it once (each page still stands alone).
EXAMPLE_PRESET = "deepseek"
EXAMPLE_MODEL = "deepseek-flash"


@dataclass(frozen=True, slots=True)
class ToolGuide:
    title: str
    package: str  # where it is installed from, as its registry names it
    tested: str  # the version the end-to-end tests run, "" when they cannot run it
    test_file: str  # the test that runs it (or checks what it is given)
    summary: str
    example_prompt: str
    notes: tuple[str, ...]


TOOL_GUIDES: dict[str, ToolGuide] = {
    "claude": ToolGuide(
        title="Claude Code",
        package="npm @anthropic-ai/claude-code",
        tested="2.1.197",
        test_file="tests/e2e/test_real_clis.py",
        summary="Anthropic's coding agent. It speaks Anthropic Messages; any provider works, "
        "translated when it speaks another protocol.",
        example_prompt="fix the failing test",
        notes=(
            "The key goes in `ANTHROPIC_AUTH_TOKEN` (sent as a bearer token), so an interactive "
            "session does not ask you to approve a new key on every run; your own "
            "`ANTHROPIC_API_KEY` is removed from its environment.",
            "A binding's tiers name the models behind Claude Code's opus, sonnet and haiku "
            "(`cligate bind claude --tier opus=MODEL`); its background calls (titles, summaries) "
            "use the haiku tier.",
            "Non-essential traffic (telemetry, error reports, the auto-updater) is switched "
            "off for the run: without that, Claude Code sends the key it was given to "
            "api.anthropic.com.",
        ),
    ),
    "codex": ToolGuide(
        title="Codex CLI",
        package="npm @openai/codex",
        tested="0.169.0",
        test_file="tests/e2e/test_real_clis.py",
        summary="OpenAI's coding agent. It speaks the OpenAI Responses API; a Chat, Anthropic "
        "or Gemini provider is translated.",
        example_prompt="add a test for the parser",
        notes=(
            "cligate gives Codex a model provider of its own with `-c` overrides; "
            "`~/.codex/config.toml` is never edited, and your `OPENAI_API_KEY` and "
            "`OPENAI_BASE_URL` are removed from its environment.",
            "When the provider speaks another protocol, Codex is told a model name of its own "
            "catalogue (its request shape depends on the name) and the provider gets the "
            "binding's model.",
            "`codex exec` refuses to run outside a git repository unless given "
            "`--skip-git-repo-check`.",
        ),
    ),
    "gemini": ToolGuide(
        title="Gemini CLI",
        package="npm @google/gemini-cli",
        tested="0.61.0",
        test_file="tests/e2e/test_real_clis.py",
        summary="Google's coding agent. It speaks the Gemini API; other providers are translated.",
        example_prompt="explain this repository",
        notes=(
            "Headless Gemini CLI takes a custom base URL only with the API-key auth type, which "
            "no variable sets. cligate runs it with a private home that mirrors yours entry by "
            "entry and holds your settings plus that auth type; what Gemini CLI writes goes "
            "back to your home afterwards. Your `~/.gemini/settings.json` is not changed.",
            "A trusted-folder prompt or `GEMINI_CLI_TRUST_WORKSPACE` is your decision: cligate "
            "does not set it.",
        ),
    ),
    "opencode": ToolGuide(
        title="opencode",
        package="npm opencode-ai",
        tested="1.18.33",
        test_file="tests/e2e/test_more_tools.py",
        summary="SST's terminal coding agent. cligate gives it an OpenAI-compatible (Chat "
        "Completions) provider named `cligate`.",
        example_prompt="explain this repository",
        notes=(
            "Everything is in `OPENCODE_CONFIG_CONTENT`, which opencode merges over your global "
            "and project config; no file is written. Your own `OPENCODE_CONFIG_CONTENT`, if you "
            "set one, is replaced for the run.",
            "`enabled_providers` is limited to `cligate`, so a vendor key in your environment "
            "cannot take a request past cligate; the models.dev catalogue fetch and the "
            "auto-updater are off.",
            "opencode installs its plugin package from npm the first time it uses a config "
            "directory (its own behaviour, not cligate's).",
            "`opencode run` wraps an argument containing spaces in double quotes before sending "
            "it; text on stdin is sent as it is (`echo 'fix it' | cligate run opencode -- run`).",
            "Its shell tool (`bash`) runs without asking in `run` mode.",
        ),
    ),
    "qwen": ToolGuide(
        title="Qwen Code",
        package="npm @qwen-code/qwen-code",
        tested="0.15.10",
        test_file="tests/e2e/test_more_tools.py",
        summary="Alibaba's coding agent (a Gemini CLI fork). cligate runs it with its `openai` "
        "auth type (Chat Completions).",
        example_prompt="explain this repository",
        notes=(
            "Variables alone lose to your settings: a `qwen-oauth` auth type or a provider entry "
            "with the same model id would take the run elsewhere. cligate writes a system "
            "settings file for the run (`QWEN_CODE_SYSTEM_SETTINGS_PATH`), which wins over "
            "your user and project settings and is removed afterwards.",
            "The same file turns usage statistics off (Qwen Code otherwise reports to an "
            "Aliyun host).",
            "Qwen Code makes a second, background call per turn (its memory extractor); it goes "
            "through cligate like the rest and shows in `cligate logs`.",
            "In one-shot mode the shell tool (`run_shell_command`) is offered to the model only "
            "with `--yolo` (or `--approval-mode yolo`).",
        ),
    ),
    "aider": ToolGuide(
        title="aider",
        package="PyPI aider-chat",
        tested="0.86.2",
        test_file="tests/e2e/test_more_tools.py",
        summary="The AI pair programmer in your terminal. cligate runs it on the model "
        "`openai/MODEL` (Chat Completions through LiteLLM).",
        example_prompt="add docstrings to utils.py",
        notes=(
            "aider loads `.env` files (home, repository, current directory) over the "
            "environment, so a variable alone can lose to your `.env`. cligate passes a "
            "`--env-file` of its own, which aider loads last; it names the key's variable "
            "rather than holding the secret, and is removed after the run.",
            "The model is described to aider in a metadata file (context size, zero price), so "
            "it fetches no price list and shows no unknown-model warning. aider's own cost "
            "line therefore reads $0.00: `cligate usage` has the real tokens and cost.",
            "Price-list download, update check and analytics are off for the run.",
            "aider has no shell tool a model can call: it proposes commands, and "
            "`--yes-always` does not run them. Its round trip is the edit it applies.",
        ),
    ),
    "crush": ToolGuide(
        title="crush",
        package="npm @charmland/crush",
        tested="",
        test_file="tests/launcher/test_run_files.py",
        summary="Charm's terminal coding agent. cligate gives it an `openai-compat` provider "
        "named `cligate`.",
        example_prompt="explain this repository",
        notes=(
            "**Not run by the tests.** crush's npm package downloads its binary from GitHub "
            "while installing, which the CI machine cannot reach. The tests check what cligate "
            "gives it (the config file, the variables); the config follows crush's documented "
            "`crush.json` format for 0.96.",
            "cligate points `CRUSH_GLOBAL_CONFIG` at a directory of its own for the run, so your "
            "global crush config is not read; a project `crush.json` or `.crushrc` still "
            "overrides it (crush's own precedence).",
            "Provider catalogue updates, metrics and the default providers are off for the run.",
            "`crush run` approves every tool call itself; its shell tool is `bash`.",
        ),
    ),
    "openclaw": ToolGuide(
        title="OpenClaw",
        package="npm openclaw",
        tested="2026.9.6",
        test_file="tests/e2e/test_more_tools.py",
        summary="A personal assistant gateway with a coding agent. cligate gives it a provider "
        "`cligate` with the `openai-completions` API.",
        example_prompt="explain this repository",
        notes=(
            "OpenClaw needs Node 24.16 or newer. On an older Node, `npm install openclaw` "
            "silently installs an empty placeholder (0.0.1): install a pinned version "
            "(`npm install -g openclaw@2026.9.6`) with Node 24.",
            "cligate writes a config file for the run (`OPENCLAW_CONFIG_PATH`); your "
            "`~/.openclaw/openclaw.json` is not read during the run (its channels and other "
            "settings do not apply) and is not changed.",
            "`agent exec` runs one turn in the current directory with a state of its own and "
            "prints only the answer; `agent --local` works in the assistant's workspace "
            "(`~/.openclaw/workspace`) and adds the turn to your main session.",
            "Its shell tool (`exec`) runs without asking; like every tool's shell, it can see "
            "the run's cligate key in its environment (a key for this run's proxy only).",
        ),
    ),
}


# The first step of the serve guides: a provider, the binding of Chat clients that have none
# of their own (by user-agent or client key), and serve itself.
_SERVE_SETUP = (
    "Set up a provider and the binding Chat clients use, then start `cligate serve` (keep it "
    "running; its key is printed by `cligate serve --show-key`):\n\n"
    f"```sh\ncligate providers add {EXAMPLE_PRESET} --api-key-env DEEPSEEK_API_KEY\n"
    f"cligate bind serve --provider {EXAMPLE_PRESET} --model {EXAMPLE_MODEL}\n"
    "cligate serve\n```"
)


@dataclass(frozen=True, slots=True)
class ClientGuide:
    """An editor or desktop client, pointed at ``cligate serve``."""

    title: str
    protocol: str  # what it speaks to cligate
    summary: str
    steps: tuple[str, ...]  # markdown, in order
    notes: tuple[str, ...]
    checked: str  # what was and was not tested


CLIENT_GUIDES: dict[str, ClientGuide] = {
    "cursor": ClientGuide(
        title="Cursor",
        protocol="OpenAI Chat Completions",
        summary='Cursor\'s "Override OpenAI Base URL" sends chat requests to a URL of your '
        "choice, but **from Cursor's servers**, not from your machine: a `127.0.0.1` URL "
        'cannot work (Cursor answers "Access to private networks is forbidden"). cligate must '
        "be reached through a public HTTPS tunnel.",
        steps=(
            "Give Cursor a client key of its own in cligate's config (`cligate config edit`) "
            "and a binding:\n\n"
            '```toml\n[serve.clients.cursor]\nkey = "env:CURSOR_CLIGATE_KEY"   # 16+ '
            'characters\nbinding = "cursor"\n```\n\n'
            "```sh\ncligate providers add deepseek --api-key-env DEEPSEEK_API_KEY\n"
            "cligate bind cursor --provider deepseek --model deepseek-flash\n```",
            "Start cligate and a tunnel to it (any HTTPS tunnel works; cloudflared shown):\n\n"
            '```sh\nexport CURSOR_CLIGATE_KEY="$(openssl rand -hex 24)"\n'
            "cligate serve --allow-remote        # 127.0.0.1:8081, any Host header, key "
            "required\ncloudflared tunnel --url http://127.0.0.1:8081\n```",
            "In Cursor: Settings → Models → API Keys: turn on **OpenAI API Key** and paste "
            "`$CURSOR_CLIGATE_KEY`; turn on **Override OpenAI Base URL** and enter the tunnel's "
            "URL with `/v1` (`https://…trycloudflare.com/v1`).",
            "Add a model with **+ Add model** under a neutral name (not `gpt-…`, `claude-…` "
            "or `gemini-…`, which Cursor treats specially), e.g. `coder`, and make it an alias "
            "in cligate (or use any alias you already have):\n\n"
            "```sh\ncligate providers add deepseek --api-key-env DEEPSEEK_API_KEY "
            "--alias coder=deepseek-flash --replace\n```",
        ),
        notes=(
            "`--allow-remote` on `127.0.0.1` accepts the tunnel's Host header; the key is then "
            "the only guard, so use a long random one.",
            "For model names starting with `gpt-`, Cursor sends a Responses-shaped body (`input`, "
            "no `messages`) to `/chat/completions` and expects a Chat answer (a known Cursor "
            "bug); providers refuse it and cligate does not rewrite it yet. A neutral model "
            "name avoids it.",
            "Tab completion always uses Cursor's own models.",
        ),
        checked="Not tested here: Cursor is a desktop app with no headless mode that takes a "
        "base URL. What cligate does for it (serve, a per-client key and binding, any Host "
        "with --allow-remote) is tested in tests/proxy/test_serve.py.",
    ),
    "cline": ClientGuide(
        title="Cline",
        protocol="OpenAI Chat Completions (or Anthropic Messages)",
        summary="The VS Code extension calls the URL from your machine, so `cligate serve` on "
        "`127.0.0.1` works as it is.",
        steps=(
            _SERVE_SETUP,
            "In Cline's settings (⚙), API Provider **OpenAI Compatible**: Base URL "
            "`http://127.0.0.1:8081/v1`, API Key: the key, Model ID: a model of the provider "
            "bound to `[tools.serve]` (or any alias).",
            "Or API Provider **Anthropic** with **Use custom base URL** "
            "`http://127.0.0.1:8081` (no `/v1`); Cline then only offers Anthropic's model ids, "
            "which cligate routes by `[tools.claude]`'s binding.",
            "The Cline CLI (`npm install -g cline`) is set up the same way:\n\n"
            '```sh\ncline auth -p openai -k "$(cligate serve --show-key)" '
            "-b http://127.0.0.1:8081/v1 -m deepseek-flash\n"
            'cline "explain this repository"\n```',
        ),
        notes=(
            "Cline lists models with `GET /v1/models` when you enter the URL; cligate answers "
            "with the models of the caller's binding.",
            "Under VS Code Remote (SSH, WSL, containers), 127.0.0.1 is the remote machine: run "
            "`cligate serve` there.",
        ),
        checked="The VS Code extension is not run by the tests. The Cline CLI (npm cline "
        "3.0.65) is: tests/e2e/test_cline_serve.py runs the `cline auth` line below against a "
        "`cligate serve` process, then one turn whose `run_commands` tool really runs and "
        "whose output goes back.",
    ),
    "hermes": ClientGuide(
        title="Hermes Agent",
        protocol="OpenAI Chat Completions (also Responses or Anthropic Messages)",
        summary="Nous Research's terminal and desktop agent (PyPI `hermes-agent`). Point its "
        "custom provider at `cligate serve`.",
        steps=(
            _SERVE_SETUP,
            "Set Hermes's model provider (it writes `~/.hermes/config.yaml`):\n\n"
            "```sh\nhermes config set model.provider custom\n"
            "hermes config set model.base_url http://127.0.0.1:8081/v1\n"
            'hermes config set model.api_key "$(cligate serve --show-key)"\n'
            "hermes config set model.default deepseek-flash\n```",
            'Run it: `hermes` (interactive) or `hermes -z "explain this repository"`.',
        ),
        notes=(
            "Hermes never sends `OPENAI_API_KEY` to a host other than OpenAI's: the key must be "
            "in its config (`model.api_key`, or `key_env` of a named provider).",
            "At start it probes `/api/tags`, `/v1/props`, `/props` and `/version`, some without "
            "a key, looking for a local server; cligate refuses them (401 without a key, 404 "
            "with one), and Hermes goes on.",
            "For the Responses or Anthropic protocol, define a named provider with "
            "`api_mode: codex_responses` or `anthropic_messages` under `providers:`.",
        ),
        checked="Tested with PyPI hermes-agent 0.19.0: tests/e2e/test_hermes_serve.py runs the "
        "`hermes config set` lines below against a `cligate serve` process, then "
        "`hermes -z`; its `terminal` tool really runs and the output goes back.",
    ),
    "qclaw": ClientGuide(
        title="QClaw",
        protocol="OpenAI Chat Completions",
        summary="Tencent's desktop assistant built on OpenClaw (Windows and macOS). It calls "
        "the model from your machine, so `cligate serve` on `127.0.0.1` is reachable.",
        steps=(
            _SERVE_SETUP,
            "In QClaw's chat box, open the model selector → **自定义大模型** (custom model) → "
            "**自定义配置** (custom configuration): Base URL `http://127.0.0.1:8081/v1`, "
            "protocol **OpenAI兼容协议** (OpenAI-compatible), API Key: the key, model name: a "
            "model of the provider bound to `[tools.serve]`.",
            "Or edit `~/.qclaw/openclaw.json` (OpenClaw's format, as in the OpenClaw guide): "
            "a provider under `models.providers` with `baseUrl`, `apiKey`, `api: "
            '"openai-completions"` and its `models`.',
        ),
        notes=(
            "OpenClaw sends `max_completion_tokens` rather than `max_tokens`; cligate passes "
            "it on, or turns it into the field the provider reads when it translates.",
            "Older QClaw builds (0.1.x) hide the custom model option.",
        ),
        checked="Not tested here (a desktop app). The engine it bundles, OpenClaw, is run "
        "through cligate by tests/e2e/test_more_tools.py.",
    ),
}
