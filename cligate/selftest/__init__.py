"""``cligate selftest``: each installed tool through ``cligate run`` against a scripted provider
on 127.0.0.1, offline and with no key.

Nothing here is imported when cligate starts; ``cli/selftest_command.py`` imports it when the
command runs. The pieces: ``upstream`` serves HTTP and hands each request to ``provider``, which
reads it with the protocol's ``*_wire`` module and answers from a ``scripts`` script;
``runner`` runs each tool in a ``sandbox`` as ``clis`` describes; ``judge`` turns what both
sides saw into ``results``.
"""
