"""The guides in docs/, generated from cligate's tables (see render.py)."""
