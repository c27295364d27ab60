"""``providers`` and ``bind`` driven by flags, as a script would."""

import io
import os
import stat
import tomllib
from pathlib import Path

import pytest

from cligate.cli.app import run_app


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(tmp_path))
    return tmp_path


def written(config_dir: Path) -> dict[str, object]:
    return tomllib.loads((config_dir / "config.toml").read_text())


def test_add_from_a_preset_writes_its_endpoint_and_key_reference(config_dir: Path) -> None:
    assert run_app(["providers", "add", "qwen", "--protocol", "anthropic", "--name", "q"]) == 0
    table = written(config_dir)["providers"]["q"]  # type: ignore[index]
    assert table["protocol"] == "anthropic"
    assert table["base_url"].endswith("/apps/anthropic")
    assert table["api_key"] == "env:DASHSCOPE_API_KEY"
    assert stat.S_IMODE(os.stat(config_dir / "config.toml").st_mode) == 0o600


def test_a_key_from_stdin_is_stored_but_never_shown(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-or-v1-very-secret-key\n"))
    assert run_app(["providers", "add", "openrouter", "--api-key-stdin"]) == 0
    assert written(config_dir)["providers"]["openrouter"]["api_key"] == "sk-or-v1-very-secret-key"  # type: ignore[index]
    capsys.readouterr()
    for command in (
        ["providers", "list"],
        ["providers", "list", "--json"],
        ["providers", "show", "openrouter"],
        ["config", "show"],
    ):
        assert run_app(command) == 0
        assert "very-secret" not in capsys.readouterr().out


def test_azure_needs_its_resource(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["providers", "add", "azure-openai"]) == 2
    assert "resource" in capsys.readouterr().err
    assert run_app(["providers", "add", "azure-openai", "--param", "resource=myco"]) == 0
    table = written(config_dir)["providers"]["azure-openai"]  # type: ignore[index]
    assert table["base_url"].startswith("https://myco.openai.azure.com/")
    assert table["auth"] == "api-key"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["providers", "add", "openruoter"], "did you mean 'openrouter'"),
        (["providers", "add", "custom-openai", "--base-url", "not a url"], "--base-url"),
        (["providers", "add", "vertex-gemini"], "not supported yet"),
        (["providers", "add", "groq", "--protocol", "anthropic"], "no anthropic endpoint"),
        (["providers", "add", "groq", "--alias", "oops"], "is not KEY=VALUE"),
        (["bind", "my agent", "--provider", "x"], "cannot name a binding"),
        (["bind", "claude", "--provider", "nobody"], "no provider named 'nobody'"),
        (["providers", "remove", "nobody"], "no provider named 'nobody'"),
    ],
)
def test_bad_input_is_explained(
    config_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_app(args) == 2
    assert message in capsys.readouterr().err


def test_a_duplicate_name_needs_replace(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["providers", "add", "groq"]) == 0
    assert run_app(["providers", "add", "groq"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert run_app(["providers", "add", "groq", "--replace", "--prefix", "g"]) == 0
    assert written(config_dir)["providers"]["groq"]["prefix"] == "g"  # type: ignore[index]


def test_bind_and_remove(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["providers", "add", "deepseek", "--protocol", "anthropic"]) == 0
    code = run_app(
        [
            "bind",
            "claude",
            "--provider",
            "deepseek",
            "--model",
            "deepseek-v4-pro",
            "--tier",
            "haiku=deepseek-flash",
            "--fallback",
            "anthropic:claude-x",
        ]
    )
    assert code == 0
    binding = written(config_dir)["tools"]["claude"]  # type: ignore[index]
    assert binding == {
        "provider": "deepseek",
        "model": "deepseek-v4-pro",
        "tiers": {"haiku": "deepseek-flash"},
        "fallbacks": ["anthropic:claude-x"],
    }
    capsys.readouterr()
    assert run_app(["bindings"]) == 0
    assert "claude: provider=deepseek model=deepseek-v4-pro" in capsys.readouterr().out
    assert run_app(["providers", "remove", "deepseek"]) == 0
    assert "claude is no longer bound" in capsys.readouterr().out
    assert "provider" not in written(config_dir)["tools"]["claude"]  # type: ignore[index]


def test_a_serve_clients_binding_is_set_by_bind_too(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cursor's requests (a serve client with binding = "cursor") and a command run with
    --protocol use [tools.NAME] bindings of names cligate does not launch."""
    assert run_app(["providers", "add", "deepseek"]) == 0
    assert run_app(["bind", "cursor", "--provider", "deepseek", "--model", "deepseek-flash"]) == 0
    assert written(config_dir)["tools"]["cursor"] == {  # type: ignore[index]
        "provider": "deepseek",
        "model": "deepseek-flash",
    }
    assert "'cursor' is not a tool cligate launches" in capsys.readouterr().err
    assert run_app(["bind", "my agent", "--provider", "deepseek"]) == 2
    assert "cannot name a binding" in capsys.readouterr().err
    assert run_app(["bind", "cursor"]) == 2  # no questions for a name cligate cannot describe
    assert "nothing to change" in capsys.readouterr().err


def test_binding_a_provider_cligate_cannot_translate_to_warns(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cligate.protocols.kinds.TRANSLATABLE", frozenset())
    assert run_app(["providers", "add", "gemini"]) == 0
    assert run_app(["bind", "claude", "--provider", "gemini"]) == 0
    assert "cannot translate between them yet" in capsys.readouterr().err


def test_binding_a_translated_provider_without_a_model_says_to_pick_one(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "config.toml").write_text(
        '[providers.local]\nprotocol = "openai-chat"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    assert run_app(["bind", "claude", "--provider", "local"]) == 0
    assert "give it a model with --model" in capsys.readouterr().err
    assert run_app(["bind", "claude", "--provider", "local", "--model", "qwen3"]) == 0
    assert "cligate: note" not in capsys.readouterr().err


def test_edit_changes_fields_and_keeps_comments(config_dir: Path) -> None:
    (config_dir / "config.toml").write_text(
        '# mine\n[providers.p]  # the main one\nprotocol = "anthropic"\nbase_url = "https://a"\n'
    )
    code = run_app(
        [
            "providers",
            "edit",
            "p",
            "--base-url",
            "https://b/",
            "--proxy",
            "http://corp:3128",
            "--alias",
            "smart=model-x",
            "--exclude",
            "*-preview",
            "--api-key-env",
            "P_KEY",
        ]
    )
    assert code == 0
    text = (config_dir / "config.toml").read_text()
    assert text.startswith("# mine\n[providers.p]  # the main one\n")
    table = tomllib.loads(text)["providers"]["p"]
    assert table["base_url"] == "https://b" and table["proxy"] == "http://corp:3128"
    assert table["aliases"] == {"smart": "model-x"} and table["exclude"] == ["*-preview"]
    assert table["api_key"] == "env:P_KEY"


def test_edit_without_changes_or_of_an_unknown_provider(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["providers", "edit", "nobody", "--prefix", "x"]) == 2
    assert "no provider named 'nobody'" in capsys.readouterr().err
    assert run_app(["providers", "edit", "nobody"]) == 2
    assert "nothing to change" in capsys.readouterr().err


def test_add_with_a_proxy_and_more_keys(config_dir: Path) -> None:
    code = run_app(
        [
            "providers",
            "add",
            "groq",
            "--proxy",
            "http://corp:3128",
            "--extra-key-env",
            "GROQ_KEY_2",
            "--extra-key-env",
            "GROQ_KEY_3",
        ]
    )
    assert code == 0
    table = written(config_dir)["providers"]["groq"]  # type: ignore[index]
    assert table["proxy"] == "http://corp:3128"
    assert table["api_keys"] == ["env:GROQ_KEY_2", "env:GROQ_KEY_3"]


def test_add_records_the_models_named(config_dir: Path) -> None:
    assert run_app(["providers", "add", "groq", "--model", "m1", "--model", "m2"]) == 0
    assert written(config_dir)["providers"]["groq"]["models"] == ["m1", "m2"]  # type: ignore[index]


def test_a_tool_can_be_bound_back_to_its_builtin_vendor(config_dir: Path) -> None:
    assert run_app(["bind", "claude", "--provider", "anthropic", "--model", "claude-x"]) == 0
    assert written(config_dir)["tools"]["claude"]["provider"] == "anthropic"  # type: ignore[index]
    assert run_app(["bindings"]) == 0


def test_a_symlinked_config_stays_a_symlink(config_dir: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "cligate.toml"
    real.parent.mkdir()
    real.write_text("# managed by my dotfiles\n")
    (config_dir / "config.toml").symlink_to(real)
    assert run_app(["bind", "claude", "--model", "m"]) == 0
    assert (config_dir / "config.toml").is_symlink()
    assert 'model = "m"' in real.read_text() and real.read_text().startswith("# managed")


def test_show_masks_header_values(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["providers", "add", "groq", "--header", "X-Auth=topsecret-header-value-1"]) == 0
    capsys.readouterr()
    assert run_app(["providers", "show", "groq"]) == 0
    out = capsys.readouterr().out
    assert "topsecret" not in out and "X-Auth" in out


def test_remove_names_targets_that_still_point_at_the_provider(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_app(["providers", "add", "deepseek", "--protocol", "anthropic"]) == 0
    assert (
        run_app(
            [
                "bind",
                "claude",
                "--tier",
                "haiku=deepseek:deepseek-flash",
                "--fallback",
                "deepseek:deepseek-v4-pro",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert run_app(["providers", "remove", "deepseek"]) == 0
    out = capsys.readouterr().out
    assert "tools.claude.tiers.haiku still names 'deepseek:…'" in out
    assert "tools.claude.fallbacks still names 'deepseek:…'" in out


def test_edit_updates_inline_tables_in_place(config_dir: Path) -> None:
    (config_dir / "config.toml").write_text(
        '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://a"\n'
        'aliases = { old = "m0" }  # my aliases\nexclude = ["b*", "a*"]\n'
    )
    assert run_app(["providers", "edit", "p", "--alias", "new=m1", "--exclude", "c*"]) == 0
    text = (config_dir / "config.toml").read_text()
    assert "# my aliases" in text
    table = tomllib.loads(text)["providers"]["p"]
    assert table["aliases"] == {"old": "m0", "new": "m1"}
    assert table["exclude"] == ["b*", "a*", "c*"]  # the user's order kept


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["providers", "add", "groq", "--model", " "], "model id cannot be empty"),
        (["providers", "add", "--protocol", "anthropic"], "need a PRESET"),
    ],
)
def test_more_bad_input(
    config_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_app(args) == 2
    assert message in capsys.readouterr().err


def test_an_unwritable_config_place_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(blocker / "cfg"))
    assert run_app(["bind", "claude", "--model", "m"]) == 2
    assert "cannot be written" in capsys.readouterr().err
