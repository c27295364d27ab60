"""Launching a coding tool as the proxy's child: the tool table, its environment, supervision."""
