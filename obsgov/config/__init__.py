"""Environment configuration: pydantic models and the loader that validates them."""

from .environment import EnvironmentConfig
from .loader import load_environment, stack_file_for
from .models import AccountsRegistry, OrganizationConfig, StackSettings

__all__ = [
    "AccountsRegistry",
    "EnvironmentConfig",
    "OrganizationConfig",
    "StackSettings",
    "load_environment",
    "stack_file_for",
]
