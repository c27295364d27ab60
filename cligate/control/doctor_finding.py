"""What ``cligate doctor`` reports: one finding per check, with a fix for each problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

# "info": worth knowing, nothing is broken; only "fail" makes doctor exit 1.
Status = Literal["ok", "info", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # a stable id: "tool:claude", "config", "key:claude", "provider:anthropic", …
    status: Status
    summary: str
    fix: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "check": self.check,
            "status": self.status,
            "summary": self.summary,
            "fix": self.fix,
        }


REDACTED = "****"
# Shorter values are too likely to occur in ordinary text to be replaced (and are no real key).
MIN_SECRET_LENGTH = 6


def redact(findings: Iterable[Finding], secrets: Iterable[str]) -> list[Finding]:
    """Replace every known secret in the findings' text. The checks never put a key in a
    finding on purpose; this catches one echoed back by a provider or quoted by an error."""
    known = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def clean(text: str) -> str:
        for secret in known:
            text = text.replace(secret, REDACTED)
        return text

    return [
        replace(f, summary=clean(f.summary), fix=clean(f.fix) if f.fix else f.fix) for f in findings
    ]
