"""``cligate selftest``: each installed tool through cligate against a scripted provider on
127.0.0.1, offline and with no key; one line per tool and check.

A pass means this machine's tool and cligate work end to end, so when a real run fails the
provider is the place to look; a failure means the local setup is broken (no provider was
involved).
"""

from __future__ import annotations

import json
import sys

from cligate.selftest.results import CheckResult

_HEADER = (
    "cligate selftest: each tool runs through cligate against a scripted provider on "
    "127.0.0.1 (offline, no key needed)"
)


def main(tools: list[str], as_json: bool) -> int:
    from cligate.launcher.tools import TOOLS, known_tools
    from cligate.selftest.clis import RECIPES
    from cligate.selftest.runner import run_selftest

    unknown = [tool for tool in tools if tool not in TOOLS]
    if unknown:
        print(
            f"cligate: error: unknown tool '{unknown[0]}'; known tools: {known_tools()}",
            file=sys.stderr,
        )
        return 2
    selected = list(dict.fromkeys(tools)) or list(RECIPES)  # every tool has a recipe
    width = max(len(tool) for tool in RECIPES)

    def print_line(result: CheckResult) -> None:
        print(_line(result, width), flush=True)

    if not as_json:
        print(_HEADER, flush=True)
    try:
        results = run_selftest(selected, on_result=None if as_json else print_line)
    except OSError as error:  # the state dir cannot hold the sandboxes
        print(f"cligate: error: cannot prepare the selftest: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cligate selftest: interrupted", file=sys.stderr)
        return 130
    # A check skipped for a tool that lacks what it tests (aider: a shell tool) neither
    # passes nor fails.
    ran = [result for result in results if result.status != "skipped"]
    ok = bool(ran) and all(result.status == "pass" for result in ran)
    if as_json:
        print(json.dumps({"ok": ok, "results": [r.as_json() for r in results]}, indent=2))
    elif ran:
        print(_summary(ran))
    if not ran:
        hints = "; ".join(TOOLS[tool].install_hint for tool in selected)
        which = "the selected tools is" if tools else "the tools cligate launches is"
        print(f"cligate selftest: none of {which} installed: {hints}", file=sys.stderr)
    return 0 if ok else 1


def _line(result: CheckResult, width: int) -> str:
    if result.check == "install":  # the tool is missing: its line has no check to name
        outcome = result.reason
    elif result.status == "skipped":
        outcome = f"{result.title:<16} skipped: {result.reason}"
    elif result.status == "pass":
        outcome = f"{result.title:<16} pass ({result.seconds:.1f} s)"
    else:
        outcome = f"{result.title:<16} FAIL ({result.seconds:.1f} s): {result.reason}"
    return f"{result.tool:<{width}} {result.protocol:<17} {outcome}"


def _summary(ran: list[CheckResult]) -> str:
    failed = [result for result in ran if result.status != "pass"]
    if not failed:
        return (
            f"all {len(ran)} checks passed: the tools and cligate work on this machine. "
            "If a real run fails, look at the provider (cligate providers test NAME)."
        )
    return (
        f"{len(failed)} of {len(ran)} checks failed. No provider was involved: the problem is "
        "on this machine (the tool, its install or cligate), not with a provider."
    )
