"""Wire protocols: pure functions and data, no I/O."""
