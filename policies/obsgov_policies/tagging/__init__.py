"""tagging policies."""
