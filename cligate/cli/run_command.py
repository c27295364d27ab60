"""``cligate run``: parsed by hand, without typer, because it sits in front of every launch.

Importing typer (and the pydantic it now pulls in) costs more than the whole rest of a launch,
so ``cligate run`` never imports it. The rules are simple enough to state in full:

- before TOOL: cligate's options (``--provider``, ``--model``, ``--verbose``, ``--help``);
- after TOOL: ``--provider``, ``--model`` and ``--verbose`` are still cligate's; every other
  argument goes to the tool, in order;
- after ``--``: everything goes to the tool untouched.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cligate.config.settings import Settings
from cligate.errors import CligateError, MissingKeyError, UsageError

if TYPE_CHECKING:
    from cligate.protocols.kinds import WireProtocol

USAGE = """\
Usage: cligate run [OPTIONS] TOOL [TOOL ARGS...] [-- TOOL ARGS...]
       cligate run --protocol PROTOCOL [OPTIONS] -- COMMAND [ARGS...]

  Launch TOOL (claude, codex, gemini, opencode, qwen, aider, crush or openclaw)
  with a private proxy in front of it.
  Arguments cligate does not know, and everything after --, go to the tool.
  With --protocol, any COMMAND is given the standard variables of that protocol
  (OPENAI_BASE_URL and OPENAI_API_KEY, ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY,
  or GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY) pointing at the proxy.

Options:
  --provider NAME      Use this provider instead of the tool's binding.
  --model MODEL        The model the tool should ask for.
  --protocol PROTOCOL  openai-chat, openai-responses, anthropic or gemini.
  --verbose            Log each request to cligate's log file.
  -h, --help           Show this message and exit.
"""

_VALUE_OPTIONS = {"--provider": "provider", "--model": "model", "--protocol": "protocol"}


@dataclass
class RunArguments:
    tool: str | None = None
    tool_args: list[str] = field(default_factory=list)
    provider: str | None = None
    model: str | None = None
    protocol: str | None = None  # any command, told the standard variables of this protocol
    verbose: bool = False
    show_help: bool = False


def parse_run_arguments(argv: list[str]) -> RunArguments:
    parsed = RunArguments()
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            parsed.tool_args.extend(argv[index:])
            break
        name, has_value, inline = arg.partition("=")
        if name in _VALUE_OPTIONS:
            if has_value:
                value = inline
            elif index < len(argv):
                value = argv[index]
                index += 1
            else:
                raise UsageError(f"{name} needs a value")
            if not value.strip():
                raise UsageError(f"{name} needs a value, not an empty one")
            setattr(parsed, _VALUE_OPTIONS[name], value.strip())
        elif arg == "--verbose":
            parsed.verbose = True
        elif parsed.tool is None:
            if arg in ("-h", "--help"):
                parsed.show_help = True
            elif arg.startswith("-"):
                raise UsageError(f"unknown option {arg} before the tool name (see --help)")
            else:
                parsed.tool = arg
        else:
            parsed.tool_args.append(arg)
    return parsed


def main(argv: list[str]) -> int:
    try:
        arguments = parse_run_arguments(argv)
        if arguments.show_help:
            sys.stdout.write(USAGE)
            return 0
        protocol = _protocol(arguments.protocol)
        if protocol is not None and arguments.tool is None and arguments.tool_args:
            arguments.tool = arguments.tool_args.pop(0)  # cligate run --protocol P -- CMD …
        if arguments.tool is None:
            raise UsageError("which tool? e.g. cligate run claude (see cligate run --help)")
        from cligate.config.paths import config_file, state_dir
        from cligate.config.store import builtin_settings, load_settings
        from cligate.launcher.run import RunRequest, run_tool

        cache = state_dir()
        user_settings = load_settings(config_file(), cache_dir=cache)
        settings = user_settings.over(builtin_settings(cache))
        request = RunRequest(
            tool=arguments.tool,
            args=arguments.tool_args,
            provider=arguments.provider,
            model=arguments.model,
            verbose=arguments.verbose,
            protocol=protocol,
        )
        try:
            return run_tool(request, settings, dict(os.environ))
        except MissingKeyError as error:
            bound = user_settings.tools.get(arguments.tool)
            if arguments.provider or (bound is not None and bound.provider) or protocol:
                raise
            if not _first_run(arguments.tool, settings, error):
                return error.exit_code
        # Set up just now: run with the new binding.
        settings = load_settings(config_file(), cache_dir=cache).over(builtin_settings(cache))
        return run_tool(request, settings, dict(os.environ))
    except CligateError as error:
        print(f"cligate: error: {error.message}", file=sys.stderr)
        return error.exit_code


def _protocol(value: str | None) -> WireProtocol | None:
    if value is None:
        return None
    from cligate.protocols.kinds import WireProtocol

    try:
        return WireProtocol(value)
    except ValueError:
        known = ", ".join(p.value for p in WireProtocol)
        raise UsageError(f"--protocol takes one of {known}, not '{value}'") from None


def _first_run(tool: str, settings: Settings, error: MissingKeyError) -> bool:
    """The tool fell back to its vendor's built-in provider and that key is not set either.
    In a terminal, offer to set a provider up (True: it was); otherwise say exactly how."""
    from cligate.cli.first_run import setup_commands
    from cligate.launcher.tools import TOOLS

    spec = TOOLS[tool]
    vendor = settings.providers.get(settings.tools[tool].provider or "")
    vendor_key = vendor.api_key.env_var if vendor and vendor.api_key else None
    print(f"cligate: {error.message}", file=sys.stderr)
    if sys.stdin.isatty() and sys.stdout.isatty():
        from cligate.cli.first_run import interactive_setup

        if interactive_setup(spec):
            return True
    print(setup_commands(spec, vendor_key), file=sys.stderr)
    return False
