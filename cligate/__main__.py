"""Entry point for the ``cligate`` console script and ``python -m cligate``."""

from __future__ import annotations

import sys


def main() -> None:
    from cligate.cli.app import run_app

    sys.exit(run_app(sys.argv[1:]))


if __name__ == "__main__":
    main()
