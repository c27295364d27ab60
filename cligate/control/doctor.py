"""``cligate doctor``: check the tools, the config, the keys, the providers and the shell
environment, and suggest a fix for each problem found.

The checks live one job per module (``doctor_tools``, ``doctor_config``, ``doctor_reach``,
``doctor_env``); this module feeds them what they need, so tests can build any environment,
and redacts every secret it knows of from what they report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cligate.config.settings import Settings
from cligate.control.doctor_finding import Finding, Status, redact
from cligate.control.doctor_reach import PROBE_TIMEOUT, ProviderProbe, probe_listing
from cligate.control.doctor_tools import VersionProbe, run_version

__all__ = ["DoctorInputs", "Finding", "Status", "collect_findings", "report_is_ok"]


@dataclass(frozen=True, slots=True)
class DoctorInputs:
    env: Mapping[str, str]
    path: str  # the PATH to search for the tools
    config_path: Path
    version_probe: VersionProbe = run_version
    provider_probe: ProviderProbe = probe_listing
    probe_timeout: float = PROBE_TIMEOUT

    @staticmethod
    def from_environment(env: Mapping[str, str]) -> DoctorInputs:
        import os

        from cligate.config.paths import config_file

        return DoctorInputs(env, env.get("PATH", os.defpath), config_file(env))


# Env vars whose values are secrets even when no provider names them.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


def _env_secrets(env: Mapping[str, str], settings: Settings | None) -> Iterator[str]:
    """Values of key-like variables and of every variable a provider takes a key from."""
    from cligate.control.doctor_config import env_key_names

    yield from (value for name, value in env.items() if _SECRET_NAME.search(name))
    for provider in settings.providers.values() if settings else ():
        yield from (env.get(name, "") for name in env_key_names(provider))


def collect_findings(inputs: DoctorInputs, offline: bool = False) -> list[Finding]:
    """Every finding, in a stable order: tools, config, keys, providers, environment.

    The tools' version probes and the providers' probes run at the same time. Only the
    providers of tools that are installed or bound in the config file are contacted.
    """
    from cligate.control.doctor_config import check_config, key_findings, providers_in_use
    from cligate.control.doctor_env import env_findings
    from cligate.control.doctor_reach import reach_findings
    from cligate.control.doctor_tools import locate_tools, tool_findings

    locations = locate_tools(inputs.env, inputs.path)
    config = check_config(inputs.config_path)
    settings = config.settings
    in_use = locations.installed | config.user_tools
    with ThreadPoolExecutor(max_workers=2) as pool:
        versions = pool.submit(
            tool_findings, locations, inputs.env, inputs.version_probe, config.user_tools
        )
        reach = None
        if settings is not None and not offline:
            reach = pool.submit(
                reach_findings,
                providers_in_use(settings, in_use),
                inputs.env,
                inputs.provider_probe,
                inputs.probe_timeout,
            )
        findings = [*versions.result(), config.finding]
        if settings is not None:
            findings += key_findings(settings, inputs.env, in_use)
            if reach is not None:
                findings += reach.result()
            else:
                findings.append(
                    Finding("providers", "info", "providers were not contacted (--offline)")
                )
    findings += env_findings(inputs.env, settings)
    return redact(findings, [*config.secrets, *_env_secrets(inputs.env, settings)])


def report_is_ok(findings: list[Finding]) -> bool:
    return not any(finding.status == "fail" for finding in findings)
