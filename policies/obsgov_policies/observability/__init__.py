"""observability policies."""
