"""Run each tool through ``cligate run`` against the scripted provider, one check at a time.

Each check gets its own sandbox and its own upstream, so what the upstream recorded belongs to
that run alone. ``cligate run`` is a real subprocess (``python -m cligate``): the path under
test is exactly the one a user's launch takes, config loading and the tool's child env included.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from cligate.config.paths import state_dir
from cligate.errors import ToolNotInstalledError
from cligate.launcher.run import find_binary
from cligate.launcher.tools import TOOLS
from cligate.selftest.clis import LAST_MESSAGE, RECIPES, Recipe
from cligate.selftest.judge import RunOutcome, judge
from cligate.selftest.results import Check, CheckResult
from cligate.selftest.sandbox import TOKEN_FILE, Sandbox, new_key
from cligate.selftest.scripts import Script, ShellRoundTrip, TextScript
from cligate.selftest.upstream import ScriptedUpstream

RUN_TIMEOUT = 60.0  # per run; a healthy run takes 1 to 5 s, OpenClaw about 10 s
STOP_GRACE = 5.0  # for cligate and the tool to end after SIGTERM
COMMAND = f"cat {TOKEN_FILE}"
CHECKS: tuple[Check, ...] = ("text", "tool")
PROMPTS: dict[Check, str] = {
    "text": "cligate selftest: please say hello.",
    "tool": f"cligate selftest: run `{COMMAND}` in the shell and tell me what it prints.",
}


def run_selftest(
    tools: Sequence[str],
    on_result: Callable[[CheckResult], None] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
) -> list[CheckResult]:
    """The results for ``tools`` (names from ``clis.RECIPES``), in order; ``on_result`` sees
    each one as soon as it is known. The sandboxes are removed before this returns."""
    env = dict(os.environ) if env is None else dict(env)
    parent = state_dir(env) / "selftest"
    parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="run-", dir=parent))
    results: list[CheckResult] = []
    try:
        for tool in tools:
            for result in _tool_results(RECIPES[tool], root, env, timeout):
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def _tool_results(
    recipe: Recipe, root: Path, env: Mapping[str, str], timeout: float
) -> Iterator[CheckResult]:
    spec = TOOLS[recipe.tool]
    try:
        binary = find_binary(spec, env)
    except ToolNotInstalledError:
        reason = f"not installed (install it with: {spec.install_hint})"
        yield CheckResult(recipe.tool, recipe.protocol.value, "install", "skipped", reason=reason)
        return
    timed_out = False
    for check in CHECKS:
        if check == "tool" and spec.shell_tool is None:
            reason = f"{recipe.tool} has no shell tool a model can call"
            yield CheckResult(
                recipe.tool, recipe.protocol.value, check, "skipped", reason=reason, binary=binary
            )
            continue
        if timed_out:  # it would hang the same way: do not make the user wait twice
            reason = "not run: the previous check of this tool timed out"
            yield CheckResult(
                recipe.tool, recipe.protocol.value, check, "fail", 0.0, reason, binary
            )
            continue
        sandbox = Sandbox.create(root / f"{recipe.tool}-{check}")
        result = _run_check(recipe, check, sandbox, env, timeout, binary)
        timed_out = result.status == "fail" and result.exit_status is None
        yield result


def _run_check(
    recipe: Recipe,
    check: Check,
    sandbox: Sandbox,
    env: Mapping[str, str],
    timeout: float,
    binary: str,
) -> CheckResult:
    script: Script
    if check == "tool":
        script = ShellRoundTrip(COMMAND, sandbox.token)
    else:
        script = TextScript(f"cligate selftest answer {secrets.token_hex(4)}")
    key = new_key()
    with ScriptedUpstream(script, key) as upstream:
        base_url = upstream.base_url + recipe.base_url_suffix
        sandbox.write_config(recipe.protocol.value, base_url, recipe.tool, recipe.model)
        child_env = sandbox.env(env, key, recipe.env)
        run = _run_cligate(recipe, PROMPTS[check], sandbox, child_env, timeout)
        exchanges = upstream.exchanges
    reason = judge(check, run, exchanges, script.expected_answer, COMMAND)
    return CheckResult(
        recipe.tool,
        recipe.protocol.value,
        check,
        "pass" if reason is None else "fail",
        run.seconds,
        reason or "",
        binary,
        run.exit_status,
    )


def _run_cligate(
    recipe: Recipe, prompt: str, sandbox: Sandbox, env: dict[str, str], timeout: float
) -> RunOutcome:
    """``cligate run TOOL -- ARGS`` in the sandbox; at the timeout its whole process group
    (cligate, the tool and anything the tool started) is killed."""
    out = sandbox.root / LAST_MESSAGE
    argv = [sys.executable, "-m", "cligate", "run", recipe.tool, "--", *recipe.args(prompt, out)]
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=sandbox.work,
        env=env,
        stdin=subprocess.DEVNULL,  # codex waits for more input on an open stdin
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    exit_status: int | None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        exit_status = process.returncode
    except subprocess.TimeoutExpired:
        stdout, stderr = _stop(process)
        exit_status = None
    except BaseException:  # Ctrl-C: leave nothing running against a vanished provider
        _stop(process)
        raise
    seconds = time.monotonic() - started
    answer = recipe.answer(stdout, out)
    return RunOutcome(exit_status, stdout, stderr, answer, seconds, timeout)


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """End a run that overran, and what it started. cligate forwards SIGTERM to the tool and
    ends whatever the tool left; the tool runs in a process group of its own, so what is still
    alive after a grace period is killed one by one, as found before the stop."""
    import psutil  # only needed when a run overruns

    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    process.terminate()
    try:
        return process.communicate(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        for leftover in tree:
            with contextlib.suppress(psutil.Error):
                leftover.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()
