"""The typer command line. Commands parse, make one call into the core, return a status."""
