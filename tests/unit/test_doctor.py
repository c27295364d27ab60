"""The doctor's checks as functions: injected environments, PATHs and probes."""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from cligate.cli.doctor_command import Spinner, render_text
from cligate.config.settings import KeyReference, ProviderSettings
from cligate.control import doctor_tools
from cligate.control.doctor import DoctorInputs, collect_findings, report_is_ok
from cligate.control.doctor_env import VENDOR_VARS, no_proxy_covers, shown_url
from cligate.control.doctor_finding import Finding, redact
from cligate.control.doctor_reach import ReachAnswer, reach_findings
from cligate.control.doctor_tools import (
    VersionAnswer,
    executables_on_path,
    is_shim,
    run_version,
)
from cligate.launcher.tools import TOOLS
from cligate.protocols.kinds import WireProtocol

SECRET = "sk-doctor-secret-123456789"


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


# --- environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "host", "covered"),
    [
        ("127.0.0.1,localhost", "127.0.0.1", True),
        (" localhost , example.com", "localhost", True),
        (".localhost", "localhost", True),
        ("*", "127.0.0.1", True),
        ("127.0.0.0/8", "127.0.0.1", True),
        ("10.0.0.0/8", "127.0.0.1", False),
        ("127.0.0.0/8", "localhost", False),
        ("localhost:8080", "localhost", False),
        ("", "localhost", False),
        ("not/a-network", "127.0.0.1", False),
    ],
)
def test_no_proxy_coverage(value: str, host: str, covered: bool) -> None:
    assert no_proxy_covers(value, host) is covered


def test_each_vendor_variable_is_one_cligate_run_replaces_or_removes() -> None:
    for name, tool in VENDOR_VARS.items():
        spec = TOOLS[tool]
        assert name in spec.env or name in spec.unset_env, name


def test_a_base_url_is_shown_without_credentials_or_query() -> None:
    assert shown_url("https://u:p@gw.example:8443/v1?key=abc#x") == "https://gw.example:8443/v1"
    assert shown_url("garbage") == "(not a URL)"


# --- tools ---------------------------------------------------------------------------------


def test_executables_are_listed_in_path_order_once(tmp_path: Path) -> None:
    first = script(tmp_path / "a" / "claude", "echo a")
    second = script(tmp_path / "b" / "claude", "echo b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "claude").symlink_to(first)  # the same file again
    not_executable = tmp_path / "d" / "claude"
    not_executable.parent.mkdir()
    not_executable.write_text("#!/bin/sh\n")
    path = ":".join(str(tmp_path / d) for d in ("a", "missing", "c", "d", "b"))
    assert executables_on_path("claude", path) == [str(first), str(second)]


def test_a_shim_is_a_small_text_script_running_cligate(tmp_path: Path) -> None:
    assert is_shim(script(tmp_path / "shim", 'exec cligate run claude "$@"'))
    assert not is_shim(script(tmp_path / "real", "echo 1.0"))
    binary = tmp_path / "binary"
    binary.write_bytes(b"\x7fELF\0\0 cligate run ")
    assert not is_shim(binary)
    big = tmp_path / "bundle.js"
    big.write_text("// cligate run\n" + "x" * (doctor_tools.SHIM_MAX_BYTES + 10))
    assert not is_shim(big)
    assert not is_shim(tmp_path / "absent")


def test_a_version_probe_that_hangs_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor_tools, "VERSION_TIMEOUT", 0.3)
    slow = script(tmp_path / "slow", "sleep 30")
    started = time.monotonic()
    answer = run_version(str(slow), {"PATH": "/usr/bin:/bin"})
    assert time.monotonic() - started < 3
    assert answer == VersionAnswer(None, "no answer to --version within 0.3 s")


def test_a_version_is_the_first_line_printed(tmp_path: Path) -> None:
    tool = script(tmp_path / "tool", "echo; echo '  0.61.0  '; echo more")
    assert run_version(str(tool), {}) == VersionAnswer("0.61.0")


# --- the whole collection, with probes injected --------------------------------------------


def inputs(
    tmp_path: Path,
    env: Mapping[str, str],
    path: str = "",
    version_probe: doctor_tools.VersionProbe | None = None,
    answers: Mapping[str, ReachAnswer] | None = None,
) -> DoctorInputs:
    def versions(binary: str, env: Mapping[str, str]) -> VersionAnswer:
        return VersionAnswer(f"{Path(binary).name} 1.0")

    def providers(provider: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
        return (answers or {}).get(provider.name, ReachAnswer("ok", "listed 1 models"))

    return DoctorInputs(
        env=env,
        path=path,
        config_path=tmp_path / "config.toml",
        version_probe=version_probe or versions,
        provider_probe=providers,
    )


def test_the_shim_is_never_given_to_the_version_probe(tmp_path: Path) -> None:
    shim = script(tmp_path / "shims" / "claude", "exec cligate run claude")
    real = script(tmp_path / "bin" / "claude", "echo 1")
    asked: list[str] = []

    def record(binary: str, env: Mapping[str, str]) -> VersionAnswer:
        asked.append(binary)
        return VersionAnswer("2.0")

    path = f"{tmp_path / 'shims'}:{tmp_path / 'bin'}"
    findings = collect_findings(inputs(tmp_path, {}, path, record), offline=True)
    assert asked == [str(real)]
    assert str(shim) not in asked
    assert any(f.check == "shim:claude" and f.status == "info" for f in findings)


def test_a_key_a_provider_echoes_back_is_redacted(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[providers.p]\nprotocol = "anthropic"\nbase_url = "https://p.example"\n'
        'api_key = "env:MY_SECRET_VAR"\n[tools.claude]\nprovider = "p"\n'
    )
    echo = ReachAnswer("refused", f"the key was refused (401): bad key {SECRET}")
    env = {"MY_SECRET_VAR": SECRET}
    findings = collect_findings(inputs(tmp_path, env, answers={"p": echo}))
    refused = next(f for f in findings if f.check == "provider:p")
    assert refused.status == "fail"
    assert refused.summary.endswith("bad key ****")
    assert SECRET not in repr(findings)
    assert not report_is_ok(findings)


def test_only_providers_of_tools_in_use_are_contacted(tmp_path: Path) -> None:
    contacted: list[str] = []

    def record(provider: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
        contacted.append(provider.name)
        return ReachAnswer("ok", "listed 1 models")

    env = {"OPENAI_API_KEY": "sk-openai-0000000", "ANTHROPIC_API_KEY": "sk-ant-00000000"}
    probe_all = DoctorInputs(env, "", tmp_path / "config.toml", provider_probe=record)
    collect_findings(probe_all)
    assert contacted == []  # built-in bindings, nothing installed: no network at all

    script(tmp_path / "bin" / "codex", "echo 0.169.0")
    probe_codex = DoctorInputs(
        env, str(tmp_path / "bin"), tmp_path / "config.toml", provider_probe=record
    )
    findings = collect_findings(probe_codex)
    assert contacted == ["openai"]
    assert next(f for f in findings if f.check == "tool:codex").summary.startswith(
        "codex is installed: 0.169.0"
    )


@pytest.mark.parametrize(
    ("reach", "status"),
    [
        ("ok", "ok"),
        ("unreachable", "fail"),
        ("refused", "fail"),
        ("no-listing", "info"),
        ("error", "warn"),
    ],
)
def test_each_probe_answer_has_its_status(reach: str, status: str) -> None:
    provider = ProviderSettings("p", WireProtocol.OPENAI_CHAT, "https://p.example/v1")

    def probe(p: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
        return ReachAnswer(reach, "detail")  # type: ignore[arg-type]

    [finding] = reach_findings([provider], {}, probe)
    assert finding.status == status
    assert finding.check == "provider:p"
    assert (finding.fix is None) == (status == "ok")


def test_a_keyless_provider_that_wants_a_key_is_told_to_get_one() -> None:
    provider = ProviderSettings("local", WireProtocol.OPENAI_CHAT, "http://127.0.0.1:1/v1")

    def probe(p: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
        assert key == ""
        return ReachAnswer("refused", "the key was refused (401): no key")

    [finding] = reach_findings([provider], {}, probe)
    assert finding.status == "fail"
    assert finding.summary.startswith("provider 'local' has no key configured and refused")
    assert finding.fix == "give it a key: api_key under [providers.local] (cligate config edit)"


def test_probes_run_concurrently_and_skip_providers_without_a_key() -> None:
    with_key = [
        ProviderSettings(f"p{i}", WireProtocol.ANTHROPIC, "https://p.example") for i in range(4)
    ]
    keyless = ProviderSettings(
        "nokey", WireProtocol.ANTHROPIC, "https://p.example", api_key=KeyReference(env_var="UNSET")
    )

    def probe(p: ProviderSettings, key: str, timeout: float) -> ReachAnswer:
        time.sleep(0.4)
        return ReachAnswer("ok", "fine")

    started = time.monotonic()
    findings = reach_findings([*with_key, keyless], {}, probe)
    assert time.monotonic() - started < 1.2  # four probes of 0.4 s, at once
    assert [f.check for f in findings] == [f"provider:p{i}" for i in range(4)]


# --- presentation --------------------------------------------------------------------------


def test_redact_replaces_long_secrets_only() -> None:
    [finding] = redact([Finding("x", "warn", f"a {SECRET} b", f"fix {SECRET}")], [SECRET, "ab"])
    assert finding == Finding("x", "warn", "a **** b", "fix ****")


def test_the_text_report_indents_fixes_under_problems() -> None:
    text = render_text(
        [
            Finding("a", "ok", "fine", "unused"),
            Finding("b", "warn", "hmm", "do this"),
            Finding("c", "fail", "broken", "do that"),
        ]
    )
    assert text == (
        "ok    fine\nwarn  hmm\n      fix: do this\nFAIL  broken\n      fix: do that\n"
        "1 ok, 1 warn, 1 fail"
    )


def test_the_spinner_draws_and_erases_itself() -> None:
    stream = io.StringIO()
    with Spinner(stream):
        time.sleep(0.35)
    drawn = stream.getvalue()
    assert "| checking…" in drawn and "/ checking…" in drawn
    assert drawn.endswith("\r\x1b[2K")
