"""Build the child's argv and environment: a pure function of the tool, the run and the
user's environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cligate.launcher.tools import ToolSpec

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True, slots=True)
class LaunchValues:
    proxy_url: str  # http://127.0.0.1:PORT
    secret: str
    model: str | None
    # The binding's tiers as the tool should name them: keyword → model id.
    tier_models: tuple[tuple[str, str], ...] = ()
    run_dir: str = ""  # the run's private directory, for tools with per-run files


@dataclass(frozen=True, slots=True)
class ChildSpec:
    argv: list[str]
    env: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)  # name in run_dir → text


def fill(template: str, values: Mapping[str, str]) -> str:
    # str.format would choke on the braces of TOML inline tables, so replace names one by one.
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _with_loopback(no_proxy: str) -> str:
    entries = [entry.strip() for entry in no_proxy.split(",") if entry.strip()]
    for host in _LOOPBACK_HOSTS:
        if host not in entries:
            entries.append(host)
    return ",".join(entries)


def placeholder_values(tool: ToolSpec, values: LaunchValues) -> dict[str, str]:
    return {
        "base_url": values.proxy_url + tool.base_url_suffix,
        "secret": values.secret,
        "model": values.model or "",
        "model_quoted": json.dumps(values.model or ""),
        "model_json": json.dumps(values.model or "")[1:-1],
        "run_dir": values.run_dir,
    }


def build_child(
    tool: ToolSpec,
    binary_path: str,
    user_args: list[str],
    values: LaunchValues,
    parent_env: Mapping[str, str],
) -> ChildSpec:
    placeholders = placeholder_values(tool, values)
    env = {k: v for k, v in parent_env.items() if k not in tool.unset_env}
    env.update({k: fill(v, placeholders) for k, v in tool.env.items()})
    args = [fill(arg, placeholders) for arg in tool.args]
    if values.model:
        env.update({k: fill(v, placeholders) for k, v in tool.model_env.items()})
        args.extend(fill(arg, placeholders) for arg in tool.model_args)
    for keyword, model in values.tier_models:
        if keyword in tool.tier_env:
            env[tool.tier_env[keyword]] = model
    # A system HTTP proxy must not capture the tool's connection to our loopback proxy.
    no_proxy = _with_loopback(parent_env.get("NO_PROXY") or parent_env.get("no_proxy") or "")
    env["NO_PROXY"] = env["no_proxy"] = no_proxy
    files = {file.name: fill(file.text, placeholders) for file in tool.files}
    return ChildSpec(argv=[binary_path, *args, *user_args], env=env, files=files)
