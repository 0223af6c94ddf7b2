"""Offline synthesis: the real program under the Pulumi SDK's mocks.

The names are loaded on first use: a team program's host process imports this package in the
team's own environment, where obsgov's config layer (and its dependencies) is not installed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SynthesisError", "synthesize", "synthesize_stack"]


def __getattr__(name: str) -> Any:
    if name == "SynthesisError":
        from .mocked_run import SynthesisError

        return SynthesisError
    if name in ("synthesize", "synthesize_stack"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(name)
