"""Upstream HTTP: a small streaming client interface and its implementations."""
