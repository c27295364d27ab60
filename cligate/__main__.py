"""Entry point for the ``cligate`` console script and ``python -m cligate``."""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        # The launch path skips typer entirely: see cli/run_command.py.
        from cligate.cli.run_command import main as run_main

        code = run_main(argv[1:])
        # Everything is torn down by now (proxy, tool, temp files). Skipping interpreter
        # finalisation saves ~45 ms on every launch; flush what buffers first.
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    from cligate.cli.app import run_app

    sys.exit(run_app(argv))


if __name__ == "__main__":
    main()
