"""The ``obsgov`` command line: one module per command group, sharing :mod:`.common`."""

from .app import app, main

__all__ = ["app", "main"]
