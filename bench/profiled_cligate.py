"""``cligate run ARGS`` under cProfile, for bench/suite.py --profile.

    python bench/profiled_cligate.py STATS_FILE ARGS...

cligate's own entry point ends a run with os._exit (it skips interpreter finalisation), which
would also skip writing the stats; this calls the launch path itself and writes them first.
"""

from __future__ import annotations

import cProfile
import sys

from cligate.cli.run_command import main

if __name__ == "__main__":
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        code = main(sys.argv[2:])
    finally:
        profiler.disable()
        profiler.dump_stats(sys.argv[1])
    sys.exit(code)
