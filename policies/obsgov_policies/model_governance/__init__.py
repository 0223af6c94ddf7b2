"""The model-governance pack's policies."""

DESCRIPTION = "SageMaker models serve approved, registered packages and are monitored."
