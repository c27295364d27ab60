"""The interactive flows driven through questionary with piped keystrokes, as at a terminal,
and checked to reach the same config entries as the flags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from cligate.cli.prompts import Prompter, SetupCancelled
from cligate.cli.setup_flow import ask_binding, ask_provider, offered_presets
from cligate.config.presets import get_preset, load_presets
from cligate.config.provider_entries import ProviderRequest, provider_table
from cligate.config.settings import ProviderSettings, Settings
from cligate.launcher.tools import TOOLS
from cligate.protocols.kinds import WireProtocol

ENTER, DOWN = "\r", "\x1b[B"


@pytest.fixture
def keyboard() -> Iterator[tuple[Prompter, object]]:
    with create_pipe_input() as pipe:
        yield Prompter(input=pipe, output=DummyOutput()), pipe


def test_adding_openrouter_by_questions_equals_the_flags(keyboard: tuple[Prompter, object]) -> None:
    prompter, pipe = keyboard
    pipe.send_text(  # type: ignore[attr-defined]
        "openrouter"
        + ENTER  # filter the preset list, pick it
        + DOWN
        + DOWN
        + ENTER  # its third API: Anthropic Messages
        + ENTER  # the key from $OPENROUTER_API_KEY
        + DOWN
        + ENTER  # the preset's second model
        + ENTER  # keep the suggested name
    )
    asked = ask_provider(prompter, load_presets(), env={})
    preset = get_preset("openrouter")
    flags = ProviderRequest(
        preset=preset, protocol=WireProtocol.ANTHROPIC, models=(preset.models[1],)
    )
    assert provider_table(asked) == provider_table(flags)
    assert provider_table(asked)[1]["api_key"] == "env:OPENROUTER_API_KEY"


def test_a_pasted_key_is_read_hidden_and_stored(keyboard: tuple[Prompter, object]) -> None:
    prompter, pipe = keyboard
    pipe.send_text(
        "Groq (groq)"
        + ENTER
        + ENTER
        + DOWN
        + DOWN
        + ENTER
        + "gsk-secret"
        + ENTER
        + "\x1b[A"  # up from the first model wraps to "another one"
        + ENTER
        + "my/own-model"
        + ENTER
        + "\x15fastgroq"  # Ctrl-U clears the suggested name
        + ENTER
    )  # type: ignore[attr-defined]
    name, table = provider_table(ask_provider(prompter, load_presets(), env={}))
    assert name == "fastgroq" and table["api_key"] == "gsk-secret"
    assert table["models"] == ["my/own-model"]


def test_presets_a_tool_can_use_are_offered_its_own_protocol_first() -> None:
    offered = [p.id for p in offered_presets(load_presets(), WireProtocol.ANTHROPIC)]
    assert {"deepseek", "qwen", "openrouter", "anthropic"} <= set(offered)
    # Chat-only providers are reached by translation; unsupported presets never show.
    assert {"mistral", "groq"} <= set(offered) and "vertex-anthropic" not in offered
    assert offered.index("anthropic") < offered.index("groq")
    # Gemini CLI is offered Chat-only providers too (translated), its own protocol first.
    gemini = [p.id for p in offered_presets(load_presets(), WireProtocol.GEMINI)]
    assert gemini.index("gemini") < gemini.index("groq")


def test_without_translation_only_the_tools_own_protocol_is_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cligate.protocols.kinds.TRANSLATABLE", frozenset())
    offered = {p.id for p in offered_presets(load_presets(), WireProtocol.GEMINI)}
    assert "gemini" in offered and "groq" not in offered


def test_binding_by_questions(keyboard: tuple[Prompter, object]) -> None:
    prompter, pipe = keyboard
    settings = Settings(
        providers={
            "chat": ProviderSettings("chat", WireProtocol.OPENAI_CHAT, "https://c"),
            "ds": ProviderSettings("ds", WireProtocol.ANTHROPIC, "https://d"),
        }
    )
    # The Anthropic-speaking provider is listed first for claude.
    pipe.send_text(
        ENTER
        + "deepseek-v4-pro"
        + ENTER
        + "deepseek-v4-pro"
        + ENTER
        + ENTER
        + "deepseek-flash"
        + ENTER
    )  # type: ignore[attr-defined]
    answers = ask_binding(prompter, settings, TOOLS["claude"])
    assert answers.provider == "ds" and answers.model == "deepseek-v4-pro"
    assert answers.tiers == {"opus": "deepseek-v4-pro", "haiku": "deepseek-flash"}


def test_ctrl_c_cancels_without_changes(keyboard: tuple[Prompter, object]) -> None:
    prompter, pipe = keyboard
    pipe.send_text("\x03")  # type: ignore[attr-defined]
    with pytest.raises(SetupCancelled):
        ask_provider(prompter, load_presets(), env={})


def test_interactive_add_then_a_live_test(
    keyboard: tuple[Prompter, object],
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cligate.cli.providers import _ask_and_add
    from tests.fake_upstream import FakeUpstream, TextReply

    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("MY_GATEWAY_KEY", "gw-key")
    prompter, pipe = keyboard
    with FakeUpstream(api_key="gw-key", script=TextReply("OK")) as upstream:
        pipe.send_text(  # type: ignore[attr-defined]
            "custom-anthropic"
            + ENTER
            + upstream.base_url
            + ENTER  # its base URL
            + ENTER  # the key: from another variable (a custom preset has no usual one)
            + "MY_GATEWAY_KEY"
            + ENTER
            + "gw-model"
            + ENTER  # the model
            + "\x15gateway"
            + ENTER  # its name
            + "y"  # test it now
        )
        name, table = _ask_and_add(None, replace=False, asks=prompter)
        tested = upstream.requests
    assert name == "gateway" and table["api_key"] == "env:MY_GATEWAY_KEY"
    assert [r.json["model"] for r in tested] == ["gw-model"]
    assert capsys.readouterr().out.startswith("ok: gateway answered with gw-model")
