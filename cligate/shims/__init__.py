"""Shims: small ``sh`` scripts called ``claude``, ``codex``, ``gemini`` that run ``cligate run``.

``template.sh`` is the one source: ``manage.render`` fills it in for each tool of the launcher's
table. The repository's top-level ``shims/`` holds the same scripts rendered to find ``cligate``
on PATH (a test keeps them identical).
"""
