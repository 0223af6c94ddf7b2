"""obsgov: govern ML and data observability across many AWS accounts with Pulumi."""

__version__ = "0.1.0"
