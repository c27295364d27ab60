"""What cligate knows about a tool it launches (one entry of the table in ``tools.py``).

Placeholders in values, filled in by ``launcher/child.py``: ``{base_url}``, ``{secret}``,
``{model}``, ``{model_quoted}`` (the model as a TOML/JSON string), ``{model_json}`` (the model
escaped for the inside of a JSON string) and ``{run_dir}`` (a private directory that holds this
run's files and is removed afterwards).
"""

from __future__ import annotations

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
