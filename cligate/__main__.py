"""Entry point for the ``cligate`` console script and ``python -m cligate``."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        # The launch path skips typer entirely: see cli/run_command.py.
        from cligate.cli.run_command import main as run_main

        sys.exit(run_main(argv[1:]))
    from cligate.cli.app import run_app

    sys.exit(run_app(argv))


if __name__ == "__main__":
    main()
