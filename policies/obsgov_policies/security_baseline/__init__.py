"""security_baseline policies."""
