"""What every command shares: how an error is reported."""

from __future__ import annotations

import sys

import typer

from cligate.errors import CligateError


def fail(error: CligateError) -> typer.Exit:
    print(f"cligate: error: {error.message}", file=sys.stderr)
    return typer.Exit(error.exit_code)
