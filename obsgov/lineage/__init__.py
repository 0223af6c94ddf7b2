"""Model lineage from the registry: each version of a model package group, the training job
that produced it, its data, parameters and metrics, and what changed between two versions."""
