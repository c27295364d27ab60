"""cligate: run Claude Code, Codex CLI and Gemini CLI against the model provider you choose."""

__version__ = "0.1.0"
