"""Benchmarks: run ``python bench/run.py`` (not part of the test suite)."""
