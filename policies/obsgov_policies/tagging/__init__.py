"""The tagging pack's policies."""

from ..tags import taggable_types

DESCRIPTION = "Every taggable resource carries the organisation's tags."


def warm_up() -> None:
    """Derive the taggable types before serving: the gRPC server's worker threads would
    otherwise all race to compute them on their first Analyze."""
    taggable_types()
