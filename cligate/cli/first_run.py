"""What ``cligate run TOOL`` says when the tool has no working provider yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cligate.launcher.tools import ToolSpec

if TYPE_CHECKING:
    from cligate.cli.setup_flow import Asks

# Presets to suggest first, for each protocol a tool may speak (any preset offering the
# protocol would do; these are common and have a plain key).
_SUGGESTED = ("openrouter", "deepseek", "qwen", "moonshot", "zhipu")


def setup_commands(tool: ToolSpec, vendor_key_env: str | None) -> str:
    """The exact commands that give ``tool`` a provider, as lines to print."""
    from cligate.config.presets import load_presets

    presets = load_presets()
    lines = [f"{tool.name} has no provider yet. Set one up with, for example:"]
    if vendor_key_env:
        lines.append(f"  export {vendor_key_env}=...          # use the tool's own vendor")
    candidates = [presets[p] for p in _SUGGESTED if p in presets] + list(presets.values())
    for preset in candidates:
        usable = preset.supported and preset.key_env and preset.key_env != vendor_key_env
        if usable and preset.endpoint(tool.protocol) is not None:
            name = preset.id
            protocol = f" --protocol {tool.protocol.value}" if len(preset.endpoints) > 1 else ""
            lines += [
                f"  export {preset.key_env}=...",
                f"  cligate providers add {name}{protocol}",
                f"  cligate bind {tool.name} --provider {name}",
            ]
            break
    lines.append("  cligate providers presets              # every provider cligate knows")
    return "\n".join(lines)


def interactive_setup(tool: ToolSpec, asks: Asks | None = None) -> bool:
    """Ask whether to set a provider up now; if so, add it and bind the tool to it."""
    from cligate.cli.prompts import Prompter
    from cligate.cli.setup_flow import ask_provider
    from cligate.config.editor import editing
    from cligate.config.paths import config_file
    from cligate.config.presets import load_presets
    from cligate.config.provider_entries import add_provider, provider_table, set_binding

    asks = asks or Prompter()
    if not asks.confirm(f"Set up a provider for {tool.name} now?"):
        return False
    request = ask_provider(asks, load_presets(), protocol=tool.protocol)
    name, table = provider_table(request)
    with editing(config_file()) as document:
        add_provider(document, name, table, replace=False)
        set_binding(document, tool.name, name, None, {}, ())
    print(f"cligate: {tool.name} now uses provider '{name}' (change it with cligate bind)")
    return True
