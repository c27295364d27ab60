"""What the selftest reports: one result per tool and check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "fail", "skipped"]
Check = Literal["text", "tool", "install"]

CHECK_TITLES: dict[Check, str] = {
    "text": "text answer",
    "tool": "tool round trip",
    "install": "installed",
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    tool: str
    protocol: str  # the wire protocol the scripted provider spoke to cligate
    check: Check
    status: Status
    seconds: float = 0.0
    reason: str = ""  # why it failed or was skipped; empty on a pass
    binary: str | None = None  # the tool's executable, when it was found
    exit_status: int | None = None  # of ``cligate run``; None when it did not run or end

    @property
    def title(self) -> str:
        return CHECK_TITLES[self.check]

    def as_json(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "protocol": self.protocol,
            "check": self.check,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "reason": self.reason,
            "binary": self.binary,
            "exit_status": self.exit_status,
        }
