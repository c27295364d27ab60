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
    uncovered = [tool for tool in tools if tool not in RECIPES]
    if uncovered:
        print(
            f"cligate: error: selftest covers {', '.join(RECIPES)}, not {uncovered[0]} yet; "
            f"its guide in docs/tools says how it was tested",
            file=sys.stderr,
        )
        return 2
    selected = list(dict.fromkeys(tools)) or list(RECIPES)
    if not as_json:
        print(_HEADER, flush=True)
    try:
        results = run_selftest(selected, on_result=None if as_json else _print_line)
    except OSError as error:  # the state dir cannot hold the sandboxes
        print(f"cligate: error: cannot prepare the selftest: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cligate selftest: interrupted", file=sys.stderr)
        return 130
    ran = [result for result in results if result.check != "install"]
    ok = bool(ran) and all(result.status == "pass" for result in ran)
    if as_json:
        print(json.dumps({"ok": ok, "results": [r.as_json() for r in results]}, indent=2))
    elif ran:
        print(_summary(ran))
    if not ran:
        hints = "; ".join(TOOLS[tool].install_hint for tool in selected)
        which = "the selected tools is" if tools else f"{', '.join(selected)} is"
        print(f"cligate selftest: none of {which} installed: {hints}", file=sys.stderr)
    return 0 if ok else 1


def _print_line(result: CheckResult) -> None:
    if result.status == "skipped":
        outcome = result.reason
    elif result.status == "pass":
        outcome = f"{result.title:<16} pass ({result.seconds:.1f} s)"
    else:
        outcome = f"{result.title:<16} FAIL ({result.seconds:.1f} s): {result.reason}"
    print(f"{result.tool:<7} {result.protocol:<17} {outcome}", flush=True)


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
