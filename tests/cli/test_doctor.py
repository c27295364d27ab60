"""``cligate doctor`` end to end: temporary PATHs with fake tools and shims, a temporary config,
environment traps, and providers on a local fake server, a closed port and a wrong key."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cligate.cli.app import run_app
from cligate.control.doctor_env import VENDOR_VARS
from tests.fake_upstream import FakeUpstream

KEY = "sk-doctor-secret-123456789"
SUFFIX = {"anthropic": "", "openai-responses": "/v1", "openai-chat": "/v1", "gemini": ""}
PROTOCOL = {"claude": "anthropic", "codex": "openai-responses", "gemini": "gemini"}


@dataclass
class Sandbox:
    root: Path
    bin: Path
    config_dir: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def tool(self, name: str, version: str = "1.2.3", directory: Path | None = None) -> Path:
        """A fake tool that prints its version (and records that it ran)."""
        where = directory or self.bin
        where.mkdir(parents=True, exist_ok=True)
        script = where / name
        script.write_text(f"#!/bin/sh\necho '{name} {version}'\n")
        script.chmod(0o755)
        return script

    def shim(self, name: str, directory: Path) -> Path:
        """A cligate shim; it leaves a mark if anything ever runs it."""
        directory.mkdir(parents=True, exist_ok=True)
        script = directory / name
        mark = self.root / f"shim-{name}-ran"
        script.write_text(f'#!/bin/sh\ntouch "{mark}"\nexec cligate run {name} "$@"\n')
        script.chmod(0o755)
        return script

    def shim_ran(self, name: str) -> bool:
        return (self.root / f"shim-{name}-ran").exists()

    def path(self, *directories: Path) -> None:
        self.monkeypatch.setenv("PATH", os.pathsep.join(str(d) for d in directories))

    def config(self, text: str) -> None:
        (self.config_dir / "config.toml").write_text(text)

    def bind_all(self, urls: dict[str, str], key: str = "env:DOCTOR_KEY") -> None:
        """One provider per tool, each speaking the tool's own protocol."""
        parts = []
        for tool, url in urls.items():
            protocol = PROTOCOL[tool]
            parts.append(
                f'[providers.{tool}-p]\nprotocol = "{protocol}"\n'
                f'base_url = "{url}{SUFFIX[protocol]}"\napi_key = "{key}"\n\n'
                f'[tools.{tool}]\nprovider = "{tool}-p"\n'
            )
        self.config("\n".join(parts))

    def run(self, *args: str) -> tuple[int, str, str]:
        status = run_app(["doctor", *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def run_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        status, out, _ = self.run("--json", *args)
        return status, json.loads(out)


@pytest.fixture
def sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Sandbox:
    for name in list(os.environ):
        upper = name.upper()
        if (
            upper in VENDOR_VARS
            or upper.endswith("_PROXY")
            or upper.startswith("CLIGATE_")
            or upper in ("CODEX_API_KEY", "DOCTOR_KEY")
        ):
            monkeypatch.delenv(name)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    monkeypatch.setenv("CLIGATE_CONFIG_DIR", str(config_dir))
    box = Sandbox(tmp_path, tmp_path / "bin", config_dir, monkeypatch, capsys)
    box.bin.mkdir()
    box.path(box.bin)
    return box


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY) as fake:
        yield fake


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def by_check(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["check"]: finding for finding in document["findings"]}


def installed_everything(box: Sandbox) -> None:
    for tool in PROTOCOL:
        box.tool(tool)


# --- a healthy setup -----------------------------------------------------------------------


def test_a_healthy_setup_is_all_ok(sandbox: Sandbox, upstream: FakeUpstream) -> None:
    installed_everything(sandbox)
    sandbox.bind_all({tool: upstream.base_url for tool in PROTOCOL})
    sandbox.monkeypatch.setenv("DOCTOR_KEY", KEY)

    status, document = sandbox.run_json()

    assert status == 0
    assert document["ok"] is True
    found = by_check(document)
    assert {f["status"] for f in document["findings"]} == {"ok", "info"}
    # The tools beyond the main three that are not installed share one informational line.
    assert [f["check"] for f in document["findings"] if f["status"] == "info"] == ["tools:others"]
    assert "opencode" in found["tools:others"]["summary"]
    for tool in PROTOCOL:
        assert found[f"tool:{tool}"]["summary"].startswith(f"{tool} is installed: {tool} 1.2.3")
        assert (
            found[f"key:{tool}"]["summary"] == f"{tool} → provider '{tool}-p': key from $DOCTOR_KEY"
        )
        assert found[f"provider:{tool}-p"]["summary"].startswith(
            f"provider '{tool}-p' answered (listed 3 models"
        )
    assert found["config"]["status"] == "ok"
    # One model listing per provider, each of its own protocol's shape.
    paths = sorted(r.path for r in upstream.requests)
    assert paths == ["/v1/models", "/v1/models", "/v1beta/models"]


def test_the_text_report_has_one_line_per_finding_and_no_spinner_off_a_terminal(
    sandbox: Sandbox, upstream: FakeUpstream
) -> None:
    installed_everything(sandbox)
    sandbox.bind_all({tool: upstream.base_url for tool in PROTOCOL})
    sandbox.monkeypatch.setenv("DOCTOR_KEY", KEY)

    status, out, err = sandbox.run()

    assert status == 0
    assert err == ""  # stdout is not a terminal: no spinner
    lines = out.splitlines()
    assert lines[-1] == "10 ok, 1 info"
    others = [line for line in lines[:-1] if not line.startswith("ok    ")]
    assert others == [
        "info  also supported, not installed: opencode, qwen, aider, crush, openclaw",
        "      fix: install one and run it with: cligate run NAME",
    ]


# --- providers: reachable, unreachable, key refused, offline --------------------------------


def test_unreachable_and_refused_providers_are_told_apart(
    sandbox: Sandbox, upstream: FakeUpstream
) -> None:
    installed_everything(sandbox)
    dead = closed_port_url()
    sandbox.bind_all({"claude": dead, "codex": upstream.base_url, "gemini": upstream.base_url})
    sandbox.monkeypatch.setenv("DOCTOR_KEY", "sk-wrong-key-000000000")

    status, document = sandbox.run_json()

    assert status == 1
    assert document["ok"] is False
    found = by_check(document)
    unreachable = found["provider:claude-p"]
    assert unreachable["status"] == "fail"
    assert unreachable["summary"].startswith(
        f"provider 'claude-p' is unreachable: cannot reach {dead}"
    )
    assert "HTTPS_PROXY" in unreachable["fix"] and "base_url" in unreachable["fix"]
    for tool in ("codex", "gemini"):
        refused = found[f"provider:{tool}-p"]
        assert refused["status"] == "fail"
        assert refused["summary"].startswith(
            f"provider '{tool}-p' refused the key from $DOCTOR_KEY: the key was refused (401)"
        )
        assert refused["fix"].startswith("export DOCTOR_KEY=<a valid key>")


def test_a_wrong_literal_key_points_at_the_config_file(
    sandbox: Sandbox, upstream: FakeUpstream
) -> None:
    sandbox.tool("claude")
    sandbox.bind_all({"claude": upstream.base_url}, key="sk-literal-but-wrong-0000")

    status, document = sandbox.run_json()

    refused = by_check(document)["provider:claude-p"]
    assert status == 1
    assert "refused the key from a key in the config file" in refused["summary"]
    assert "cligate config edit" in refused["fix"]


def test_offline_contacts_no_provider(sandbox: Sandbox, upstream: FakeUpstream) -> None:
    sandbox.tool("claude")
    sandbox.tool("codex")
    sandbox.bind_all({"claude": closed_port_url(), "codex": upstream.base_url})
    sandbox.monkeypatch.setenv("DOCTOR_KEY", KEY)

    status, document = sandbox.run_json("--offline")

    assert status == 0  # the dead provider was not contacted
    assert upstream.requests == []
    found = by_check(document)
    assert not [check for check in found if check.startswith("provider:")]
    assert found["providers"] == {
        "check": "providers",
        "status": "info",
        "summary": "providers were not contacted (--offline)",
        "fix": None,
    }


# --- tools and shims -------------------------------------------------------------------------


def test_a_missing_tool_warns_with_its_npm_install_line(sandbox: Sandbox) -> None:
    sandbox.tool("claude", "2.1.197 (Claude Code)")

    _, document = sandbox.run_json("--offline")

    found = by_check(document)
    assert found["tool:claude"]["status"] == "ok"
    assert found["tool:claude"]["summary"] == (
        f"claude is installed: claude 2.1.197 (Claude Code) ({sandbox.bin / 'claude'})"
    )
    assert found["tool:codex"] == {
        "check": "tool:codex",
        "status": "warn",
        "summary": "codex is not installed (no codex on PATH)",
        "fix": "npm install -g @openai/codex",
    }
    assert found["tool:gemini"]["fix"] == "npm install -g @google/gemini-cli"


def test_a_tool_that_fails_its_version_is_a_warning(sandbox: Sandbox) -> None:
    broken = sandbox.bin / "codex"
    broken.write_text("#!/bin/sh\necho 'node: not found' >&2\nexit 127\n")
    broken.chmod(0o755)

    _, document = sandbox.run_json("--offline")

    finding = by_check(document)["tool:codex"]
    assert finding["status"] == "warn"
    assert finding["summary"] == (
        f"codex at {broken} --version exited with status 127: node: not found"
    )
    assert finding["fix"] == "reinstall it: npm install -g @openai/codex"


def test_a_shim_first_on_path_is_reported_and_never_run(sandbox: Sandbox) -> None:
    shims = sandbox.root / "shims"
    sandbox.shim("claude", shims)
    real = sandbox.tool("claude", "2.1.197 (Claude Code)")
    sandbox.path(shims, sandbox.bin)

    _, document = sandbox.run_json("--offline")

    found = by_check(document)
    assert not sandbox.shim_ran("claude")
    assert found["tool:claude"]["status"] == "ok"
    assert found["tool:claude"]["summary"].endswith(f"2.1.197 (Claude Code) ({real})")
    shim = found["shim:claude"]
    assert shim["status"] == "info"
    assert shim["summary"].startswith("shims shadowing: the first claude on PATH")
    assert str(shims / "claude") in shim["summary"] and str(real) in shim["summary"]
    assert shim["fix"] == f"to run claude without cligate, run {real} directly"


def test_a_shim_with_no_real_tool_behind_it_warns(sandbox: Sandbox) -> None:
    shims = sandbox.root / "shims"
    sandbox.shim("gemini", shims)
    sandbox.path(shims, sandbox.bin)

    _, document = sandbox.run_json("--offline")

    found = by_check(document)
    assert not sandbox.shim_ran("gemini")
    assert found["shim:gemini"]["status"] == "warn"
    assert "no real gemini is on PATH" in found["shim:gemini"]["summary"]
    assert found["tool:gemini"]["status"] == "warn"
    assert found["tool:gemini"]["fix"] == "npm install -g @google/gemini-cli"


def test_a_shim_behind_the_real_tool_is_bypassed(sandbox: Sandbox) -> None:
    shims = sandbox.root / "shims"
    sandbox.shim("codex", shims)
    sandbox.tool("codex")
    sandbox.path(sandbox.bin, shims)

    _, document = sandbox.run_json("--offline")

    shim = by_check(document)["shim:codex"]
    assert not sandbox.shim_ran("codex")
    assert shim["status"] == "warn"
    assert "bypasses cligate" in shim["summary"]
    assert shim["fix"] == f'put the shim directory first: export PATH="{shims}:$PATH"'


def test_a_binary_override_is_used(sandbox: Sandbox) -> None:
    elsewhere = sandbox.tool("claude", "7.0.0", directory=sandbox.root / "elsewhere")
    sandbox.monkeypatch.setenv("CLIGATE_CLAUDE_BIN", str(elsewhere))

    _, document = sandbox.run_json("--offline")

    assert by_check(document)["tool:claude"]["summary"] == (
        f"claude is installed: claude 7.0.0 ({elsewhere})"
    )


# --- config and keys -------------------------------------------------------------------------


def test_an_invalid_config_fails_with_the_error_and_config_edit(sandbox: Sandbox) -> None:
    sandbox.config('[providers.p]\nprotocol = "smtp"\nbase_url = "https://x.example"\n')

    status, document = sandbox.run_json("--offline")

    assert status == 1
    config = by_check(document)["config"]
    assert config["status"] == "fail"
    assert "config.toml:2: providers.p.protocol: 'smtp' is not one of" in config["summary"]
    assert config["fix"] == "cligate config edit"
    # Without valid settings there is nothing to check keys or providers against.
    assert not [f for f in document["findings"] if f["check"].startswith(("key:", "provider"))]


def test_a_missing_key_of_an_installed_tool_fails_naming_the_variable(sandbox: Sandbox) -> None:
    sandbox.tool("claude")
    sandbox.bind_all({"claude": "https://api.example.com"}, key="env:EXAMPLE_KEY")

    status, out, _ = sandbox.run("--offline")

    assert status == 1
    assert (
        "FAIL  claude → provider 'claude-p' has no key: EXAMPLE_KEY is not set\n"
        "      fix: export EXAMPLE_KEY=... (or use a provider you have a key for: "
        "cligate providers add NAME, then cligate bind claude --provider NAME)"
    ) in out


def test_a_missing_key_of_a_tool_not_installed_only_warns(sandbox: Sandbox) -> None:
    # No config: the built-in bindings; nothing installed, no vendor key set.
    status, document = sandbox.run_json("--offline")

    assert status == 0
    key = by_check(document)["key:codex"]
    assert key["status"] == "warn"
    assert key["summary"] == (
        "codex → provider 'openai' has no key: OPENAI_API_KEY is not set (codex is not installed)"
    )
    assert key["fix"].startswith("export OPENAI_API_KEY=...")


def test_a_fallback_provider_without_a_key_warns(sandbox: Sandbox) -> None:
    sandbox.tool("claude")
    sandbox.monkeypatch.setenv("DOCTOR_KEY", KEY)
    sandbox.config(
        '[providers.main]\nprotocol = "anthropic"\nbase_url = "https://a.example"\n'
        'api_key = "env:DOCTOR_KEY"\n'
        '[providers.spare]\nprotocol = "openai-chat"\nbase_url = "https://b.example/v1"\n'
        'api_key = "env:SPARE_KEY"\n'
        '[tools.claude]\nprovider = "main"\nfallbacks = ["spare:some-model"]\n'
    )

    status, document = sandbox.run_json("--offline")

    assert status == 0
    spare = by_check(document)["key:claude:spare"]
    assert spare["status"] == "warn"
    assert "SPARE_KEY is not set" in spare["summary"] and "skips it" in spare["summary"]
    assert spare["fix"] == "export SPARE_KEY=..."


# --- environment traps -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_without_loopback_in_no_proxy_warns(sandbox: Sandbox, name: str) -> None:
    sandbox.monkeypatch.setenv(name, "http://user:proxy-pass@proxy.corp:3128")
    sandbox.monkeypatch.setenv("NO_PROXY", "corp.example,localhost")

    _, out, _ = sandbox.run("--offline")
    _, document = sandbox.run_json("--offline")

    proxy = by_check(document)["env:proxy"]
    assert proxy["status"] == "warn"
    assert name in proxy["summary"] and "does not cover 127.0.0.1 and localhost" in proxy["summary"]
    assert proxy["fix"] == "export NO_PROXY=127.0.0.1,localhost,$NO_PROXY"
    assert "proxy-pass" not in out + json.dumps(document)
    assert "      fix: export NO_PROXY=127.0.0.1,localhost,$NO_PROXY" in out


def test_a_lowercase_no_proxy_is_checked_too(sandbox: Sandbox) -> None:
    sandbox.monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    sandbox.monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sandbox.monkeypatch.setenv("no_proxy", "corp.example")

    _, document = sandbox.run_json("--offline")

    assert by_check(document)["env:proxy"]["fix"] == (
        "export no_proxy=127.0.0.1,localhost,$no_proxy"
    )


def test_a_proxy_with_loopback_exempted_is_fine(sandbox: Sandbox) -> None:
    sandbox.monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    sandbox.monkeypatch.setenv("NO_PROXY", "localhost, 127.0.0.0/8")

    _, document = sandbox.run_json("--offline")

    assert by_check(document)["env:proxy"]["status"] == "ok"


def test_a_local_provider_is_not_said_to_go_through_the_proxy(sandbox: Sandbox) -> None:
    """cligate reaches providers on this machine directly whatever NO_PROXY says."""
    sandbox.monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    sandbox.config(
        '[providers.ollama]\nprotocol = "openai-chat"\nbase_url = "http://localhost:11434/v1"\n'
        '[tools.claude]\nprovider = "ollama"\n'
    )

    _, document = sandbox.run_json("--offline")

    summary = by_check(document)["env:proxy"]["summary"]
    assert "does not cover 127.0.0.1 and localhost" in summary  # the tools' trap remains
    assert "ollama" not in summary


def test_no_proxy_no_finding(sandbox: Sandbox) -> None:
    _, document = sandbox.run_json("--offline")
    assert "env:proxy" not in by_check(document)


def test_vendor_variables_in_the_shell_are_explained(sandbox: Sandbox) -> None:
    sandbox.monkeypatch.setenv("DOCTOR_KEY", KEY)
    sandbox.config(
        '[providers.ds]\nprotocol = "anthropic"\nbase_url = "https://api.deepseek.example"\n'
        'api_key = "env:DOCTOR_KEY"\n'
        '[providers.gem2]\nprotocol = "gemini"\nbase_url = "https://gem.example"\n'
        'api_key = "env:GEMINI_API_KEY"\n'
        '[tools.claude]\nprovider = "ds"\n'
    )
    env = sandbox.monkeypatch.setenv
    env("ANTHROPIC_API_KEY", KEY)  # claude is bound elsewhere: a direct run bills Anthropic
    env("ANTHROPIC_BASE_URL", "http://me:url-pass@127.0.0.1:4000/proxy?token=zzz")
    env("OPENAI_API_KEY", KEY)  # codex's own built-in provider reads it: nothing to say
    env("GEMINI_API_KEY", KEY)  # read by 'gemini' (built-in) and 'gem2'
    env("GOOGLE_API_KEY", KEY)  # nobody reads it

    _, out, _ = sandbox.run("--offline")
    _, document = sandbox.run_json("--offline")

    found = by_check(document)
    api_key = found["env:ANTHROPIC_API_KEY"]
    assert api_key["status"] == "warn"
    assert api_key["summary"] == (
        "ANTHROPIC_API_KEY is set in your shell but cligate does not use it (claude is bound "
        "to provider 'ds'): `cligate run claude` removes it for claude, but claude run without "
        "cligate uses it and bypasses the binding"
    )
    assert api_key["fix"].startswith("unset ANTHROPIC_API_KEY")

    base_url = found["env:ANTHROPIC_BASE_URL"]
    assert base_url["status"] == "warn"
    assert base_url["summary"].startswith(
        "ANTHROPIC_BASE_URL=http://127.0.0.1:4000/proxy is set in your shell: "
        "`cligate run claude` replaces it for claude, but claude run without cligate sends "
        "its requests there (a local address"
    )
    assert base_url["fix"].startswith("unset ANTHROPIC_BASE_URL")

    assert "env:OPENAI_API_KEY" not in found  # the key of codex's own provider
    assert "env:GEMINI_API_KEY" not in found  # ditto: gemini is bound to built-in 'gemini'
    google = found["env:GOOGLE_API_KEY"]
    assert google["status"] == "warn"
    assert "`cligate run gemini` removes it for gemini" in google["summary"]

    for text in (out, json.dumps(document)):
        assert "url-pass" not in text and "token=zzz" not in text


def test_a_vendor_key_another_provider_reads_is_information(sandbox: Sandbox) -> None:
    sandbox.config(
        '[providers.gem2]\nprotocol = "gemini"\nbase_url = "https://gem.example"\n'
        'api_key = "env:ANTHROPIC_API_KEY"\n'
        '[providers.ds]\nprotocol = "anthropic"\nbase_url = "https://ds.example"\n'
        '[tools.claude]\nprovider = "ds"\n[tools.gemini]\nprovider = "gem2"\n'
    )
    sandbox.monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    _, document = sandbox.run_json("--offline")

    finding = by_check(document)["env:ANTHROPIC_API_KEY"]
    assert finding["status"] == "info"
    assert finding["summary"] == (
        "ANTHROPIC_API_KEY is set in your shell; cligate reads it as the key of 'gem2', and "
        "`cligate run claude` removes it for claude (claude is bound to provider 'ds'), but "
        "claude run without cligate uses it"
    )
    assert finding["fix"] == (
        "keep it for cligate; start claude with `cligate run claude` to use its binding"
    )


# --- exit status and secrets -----------------------------------------------------------------


def test_exit_status_is_one_only_for_a_failure(sandbox: Sandbox) -> None:
    sandbox.monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")  # a warning
    assert sandbox.run("--offline")[0] == 0
    sandbox.config("not toml at all [")
    status, out, _ = sandbox.run("--offline")
    assert status == 1
    assert re.search(r"^FAIL  .*config\.toml", out, re.MULTILINE)
    assert "\n      fix: cligate config edit\n" in out


def test_no_key_is_ever_printed(sandbox: Sandbox, upstream: FakeUpstream) -> None:
    """The key is in the environment (referenced and vendor variables) and written in the
    config file; doctor's text and JSON, online and offline, never show it."""
    installed_everything(sandbox)
    sandbox.config(
        f'[providers.lit]\nprotocol = "anthropic"\nbase_url = "{upstream.base_url}"\n'
        f'api_key = "{KEY}"\nheaders = {{ X-Extra = "{KEY}-header" }}\n'
        f'[providers.envp]\nprotocol = "openai-responses"\nbase_url = "{upstream.base_url}/v1"\n'
        'api_key = "env:DOCTOR_KEY"\n'
        f'[providers.dead]\nprotocol = "gemini"\nbase_url = "{closed_port_url()}"\n'
        'api_key = "env:DOCTOR_KEY"\n'
        '[tools.claude]\nprovider = "lit"\n[tools.codex]\nprovider = "envp"\n'
        '[tools.gemini]\nprovider = "dead"\n'
    )
    for name in ("DOCTOR_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY"):
        sandbox.monkeypatch.setenv(name, KEY)
    sandbox.monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-other-token-55555555")

    outputs = [sandbox.run(*args) for args in ([], ["--json"], ["--offline"])]
    # A refused key too: the fake answers 401.
    sandbox.monkeypatch.setenv("DOCTOR_KEY", "sk-doctor-wrong-987654321")
    outputs.append(sandbox.run("--json"))

    assert outputs[0][0] == 1  # the dead provider
    assert "refused the key" in outputs[3][1]
    for _, out, err in outputs:
        for secret in (KEY, "sk-other-token-55555555", "sk-doctor-wrong-987654321"):
            assert secret not in out and secret not in err
    assert upstream.requests  # the probes did carry the key


def test_no_key_in_an_invalid_config_is_printed(sandbox: Sandbox) -> None:
    # A literal key in a file that fails validation (the key itself is not the problem).
    sandbox.config(f'[providers.p]\nprotocol = "smtp"\nbase_url = "https://x"\napi_key = "{KEY}"\n')
    _, out, err = sandbox.run("--offline")
    assert "providers.p.protocol" in out
    assert KEY not in out + err
