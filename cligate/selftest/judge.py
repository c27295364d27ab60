"""Pass or fail, from what the scripted provider saw and what the tool printed.

The reasons are written for the user: each names the stage that broke (the tool did not
start, never reached the provider, did not run the command, …), so a failure here reads as
"the local setup is broken", never as a provider problem: no provider was involved.
"""

from __future__ import annotations

from dataclasses import dataclass

from cligate.selftest.provider import Exchange
from cligate.selftest.results import Check

_TAIL_LINES = 3
_TAIL_CHARS = 400


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How ``cligate run TOOL`` ended."""

    exit_status: int | None  # None: it was stopped at the timeout
    stdout: str
    stderr: str
    answer: str  # the tool's final answer as the recipe reads it
    seconds: float
    timeout: float

    def tail(self) -> str:
        """The last lines the run printed (stderr first: that is where errors go)."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return " | ".join(lines[-_TAIL_LINES:])[-_TAIL_CHARS:]
        return "no output"


def judge(
    check: Check, run: RunOutcome, exchanges: list[Exchange], expected: str, command: str
) -> str | None:
    """None on a pass, else why it failed: the first stage that broke."""
    broken = [e for e in exchanges if e.outcome.startswith("error")]
    if broken:  # the selftest's own fault, neither the tool's nor cligate's
        return f"the selftest's scripted provider failed on {broken[0].path}: {broken[0].outcome}"
    problem = _stage_problem(check, exchanges, command)
    if problem is None and run.exit_status != 0:
        problem = "the tool failed after the provider answered"
    if problem is not None:
        ended = (
            f"stopped after {run.timeout:.0f} s without finishing"
            if run.exit_status is None
            else f"exit status {run.exit_status}"
        )
        return f"{problem} ({ended}); it printed: {run.tail()}"
    if expected not in run.answer:
        got = " ".join(run.answer.split())[-_TAIL_CHARS:] or "nothing"
        return f"the tool's answer is not the provider's: expected {expected!r}, got {got!r}"
    return None


def _stage_problem(check: Check, exchanges: list[Exchange], command: str) -> str | None:
    refused = [e for e in exchanges if e.outcome == "unauthorized"]
    if refused:
        return f"cligate did not send the provider's key ({refused[0].path} was refused)"
    turns = {e.outcome: e for e in exchanges if e.reply is not None}
    if not turns:
        return "the tool never reached the provider through cligate"
    if check != "tool" or "final" in turns:
        return None
    if "wrong_result" in turns:
        seen = turns["wrong_result"].reply
        got = seen.detail if seen is not None else ""
        return f"the result of `{command}` came back without the file's content (got: {got!r})"
    if "no_shell_tool" in turns:
        offered = turns["no_shell_tool"].reply
        names = offered.detail if offered is not None else ""
        return f"the tool offered the model no shell tool (its tools: {names})"
    if "call" in turns:
        return f"the tool was asked to run `{command}` but never sent its result back"
    return "the tool never offered the model any tools, so no command could be asked for"
