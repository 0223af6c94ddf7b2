"""model_governance policies."""
