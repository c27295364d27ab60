"""A throwaway home, work dir and cligate config for one run of one tool.

The tool gets a fresh HOME, so none of the user's own tool settings, history or credentials
are read or written, and cligate gets a config of its own naming only the scripted provider.
Everything lives under cligate's state dir rather than /tmp, where some Codex versions refuse
to place their helper binaries.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cligate.config.paths import CONFIG_DIR_ENV, STATE_DIR_ENV

PROVIDER = "selftest"
KEY_VAR = "CLIGATE_SELFTEST_KEY"
TOKEN_FILE = "selftest-token.txt"
# Provider credentials (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, …).
_KEY_SUFFIXES = ("_API_KEY", "_AUTH_TOKEN")
# Variables that would point a tool at the user's own settings instead of the fresh HOME.
_TOOL_HOMES = (
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "GEMINI_CLI_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
)


@dataclass(frozen=True, slots=True)
class Sandbox:
    root: Path
    home: Path
    work: Path
    config: Path
    token: str  # the content of work/TOKEN_FILE: only a command that reads it can know it

    @staticmethod
    def create(root: Path) -> Sandbox:
        home, work, config = root / "home", root / "work", root / "config"
        for directory in (home, work, config):
            directory.mkdir(parents=True, mode=0o700)
        token = f"selftest-{secrets.token_hex(8)}"
        (work / TOKEN_FILE).write_text(token + "\n", encoding="utf-8")
        return Sandbox(root, home, work, config, token)

    def write_config(self, protocol: str, base_url: str, tool: str, model: str | None) -> None:
        lines = [
            f"[providers.{PROVIDER}]",
            f"protocol = {json.dumps(protocol)}",
            f"base_url = {json.dumps(base_url)}",
            f'api_key = "env:{KEY_VAR}"',
            "",
            f"[tools.{tool}]",
            f'provider = "{PROVIDER}"',
        ]
        if model is not None:
            lines.append(f"model = {json.dumps(model)}")
        path = self.config / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)

    def env(self, base: Mapping[str, str], key: str, extra: Mapping[str, str]) -> dict[str, str]:
        """The user's environment (PATH and the tools' own switches stay) without its provider
        keys, so no real provider could be used even by mistake; HOME, cligate's dirs and the
        scripted provider's key set; and 127.0.0.1 kept away from any HTTP proxy."""
        env = {
            k: v for k, v in base.items() if k not in _TOOL_HOMES and not k.endswith(_KEY_SUFFIXES)
        }
        no_proxy = ",".join(v for v in (base.get("NO_PROXY"), base.get("no_proxy")) if v)
        env.update(
            {
                "HOME": str(self.home),
                # The user's shell set PWD to its own directory; opencode takes that over its
                # real working directory for its shell tool.
                "PWD": str(self.work),
                CONFIG_DIR_ENV: str(self.config),
                STATE_DIR_ENV: str(self.root / "state"),
                KEY_VAR: key,
                "NO_PROXY": ",".join(p for p in (no_proxy, "127.0.0.1,localhost") if p),
                "NO_COLOR": "1",
                "TERM": "dumb",
            }
        )
        env["no_proxy"] = env["NO_PROXY"]
        env.update(extra)
        return env


def new_key() -> str:
    return f"selftest-key-{secrets.token_hex(8)}"
