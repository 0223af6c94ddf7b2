"""Offline synthesis: the real program under the Pulumi SDK's mocks."""

from .runner import SynthesisError, synthesize, synthesize_stack

__all__ = ["SynthesisError", "synthesize", "synthesize_stack"]
