"""Doctor: which tools are installed, their versions, and cligate shims on PATH.

A shim (a small script that runs ``cligate run TOOL``) is never run here: asking it for its
version would start cligate again. The real binary is looked for further down PATH.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cligate.control.doctor_finding import Finding
from cligate.launcher.run import binary_override_var
from cligate.launcher.tools import MAIN_TOOLS, TOOLS, ToolSpec
from cligate.launcher.which import SHIM_MAX_BYTES as SHIM_MAX_BYTES
from cligate.launcher.which import executables_on_path, is_shim

VERSION_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class VersionAnswer:
    version: str | None  # the first line the tool printed
    problem: str | None = None  # why there is no version


# (binary path, environment) → what ``BINARY --version`` said.
VersionProbe = Callable[[str, Mapping[str, str]], VersionAnswer]


def run_version(binary: str, env: Mapping[str, str]) -> VersionAnswer:
    """``BINARY --version`` in its own process group, killed whole after VERSION_TIMEOUT."""
    import signal
    import subprocess

    try:
        process = subprocess.Popen(
            [binary, "--version"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
        )
    except OSError as exc:
        return VersionAnswer(None, f"cannot be run ({exc.strerror or exc})")
    try:
        out, err = process.communicate(timeout=VERSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        # A descendant that left the group may hold the pipes; the process itself is gone.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=1.0)
        return VersionAnswer(None, f"no answer to --version within {VERSION_TIMEOUT:g} s")
    text = _first_line(out) or _first_line(err)
    if process.returncode != 0:
        detail = f": {text}" if text else ""
        return VersionAnswer(None, f"--version exited with status {process.returncode}{detail}")
    return VersionAnswer(text or "(no version printed)")


def _first_line(raw: bytes) -> str:
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


@dataclass(frozen=True, slots=True)
class _Located:
    binary: str | None  # the real binary to ask for a version
    findings: list[Finding]  # about how it was found (override, shims)


def _locate(tool: ToolSpec, env: Mapping[str, str], path: str) -> _Located:
    override_var = binary_override_var(tool.name)
    override = env.get(override_var)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return _Located(override, [])
        problem = Finding(
            f"tool:{tool.name}",
            "warn",
            f"{override_var} points to {override}, which is not an executable file",
            f"unset {override_var}, or point it at the {tool.binary} binary",
        )
        return _Located(None, [problem])
    candidates = executables_on_path(tool.binary, path)
    shims = [c for c in candidates if is_shim(c)]
    real = [c for c in candidates if c not in shims]
    binary = real[0] if real else None
    if not shims:
        return _Located(binary, [])
    check = f"shim:{tool.name}"
    if candidates[0] == shims[0] and binary is not None:
        finding = Finding(
            check,
            "info",
            f"shims shadowing: the first {tool.binary} on PATH ({shims[0]}) is a cligate shim, "
            f"so typing {tool.binary} runs it through cligate; the real one is {binary}",
            f"to run {tool.name} without cligate, run {binary} directly",
        )
    elif binary is None:
        finding = Finding(
            check,
            "warn",
            f"shims shadowing: {shims[0]} is a cligate shim, but no real {tool.binary} is on "
            "PATH behind it",
            f"install {tool.name}: {tool.install_hint}",
        )
    else:
        shim_dir = os.path.dirname(shims[0])
        finding = Finding(
            check,
            "warn",
            f"the cligate shim {shims[0]} comes after the real {tool.binary} ({binary}) on "
            f"PATH, so typing {tool.binary} bypasses cligate",
            f'put the shim directory first: export PATH="{shim_dir}:$PATH"',
        )
    return _Located(binary, [finding])


def _version_finding(tool: ToolSpec, binary: str, answer: VersionAnswer) -> Finding:
    check = f"tool:{tool.name}"
    if answer.version is not None:
        return Finding(check, "ok", f"{tool.name} is installed: {answer.version} ({binary})")
    return Finding(
        check,
        "warn",
        f"{tool.name} at {binary} {answer.problem}",
        f"reinstall it: {tool.install_hint}",
    )


@dataclass(frozen=True, slots=True)
class ToolLocations:
    """Where each tool was found (nothing run yet): cheap, so the other checks can know which
    tools are installed before the slow version probes finish."""

    located: dict[str, _Located]

    @property
    def installed(self) -> frozenset[str]:
        return frozenset(name for name, found in self.located.items() if found.binary)


def locate_tools(env: Mapping[str, str], path: str) -> ToolLocations:
    return ToolLocations({name: _locate(tool, env, path) for name, tool in TOOLS.items()})


def tool_findings(
    locations: ToolLocations,
    env: Mapping[str, str],
    probe: VersionProbe,
    bound: Collection[str] = (),
) -> list[Finding]:
    """One finding per tool (installed and its version, or how to install it), plus shims.
    A missing tool warns when it is one of the main three or bound in the config (``bound``);
    the other missing ones share one line. The version probes run at the same time."""
    located = locations.located
    missing: list[str] = []
    with ThreadPoolExecutor(max_workers=len(TOOLS)) as pool:
        answers = {
            name: pool.submit(probe, found.binary, env)
            for name, found in located.items()
            if found.binary is not None
        }
        findings: list[Finding] = []
        for name, tool in TOOLS.items():
            found = located[name]
            if found.binary is not None:
                findings.append(_version_finding(tool, found.binary, answers[name].result()))
            elif any(f.check == f"tool:{name}" for f in found.findings):
                pass  # explained by the locating step (e.g. only a shim was found)
            elif name in MAIN_TOOLS or name in bound:
                findings.append(
                    Finding(
                        f"tool:{name}",
                        "warn",
                        f"{name} is not installed (no {tool.binary} on PATH)",
                        tool.install_hint,
                    )
                )
            else:
                missing.append(name)
            findings.extend(found.findings)
    if missing:
        findings.append(
            Finding(
                "tools:others",
                "info",
                f"also supported, not installed: {', '.join(missing)}",
                "install one and run it with: cligate run NAME",
            )
        )
    return findings
