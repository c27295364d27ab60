"""Benchmarks: ``python bench/suite.py`` measures every performance target in one run (see
docs/performance.md; the test suite only smoke-tests its --quick mode); the other scripts each
measure one thing."""
