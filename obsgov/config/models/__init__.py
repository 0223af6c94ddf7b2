"""Typed configuration of an obsgov environment.

Three YAML sources feed these models, each validated on its own so that errors name their file:

* ``stacks/organization.yaml`` -> :class:`OrganizationConfig` (:mod:`.organization`);
* ``stacks/Pulumi.<env>.yaml`` -> :class:`StackSettings` (:mod:`.settings`);
* ``stacks/accounts.yaml`` -> :class:`AccountsRegistry` (:mod:`.accounts`).

YAML keys are camelCase; Python attributes are snake_case.
"""

from .accounts import (
    WORKLOAD_MODELS,
    AccountsRegistry,
    BusinessKpi,
    EndpointSlo,
    EtlPipeline,
    MemberAccount,
    MlEndpoint,
    PipelineSlo,
    Workload,
)
from .organization import (
    Organization,
    OrganizationalUnit,
    OrganizationConfig,
    TagRule,
    TagSchema,
)
from .settings import (
    AlarmDefaults,
    ModelApprovalRules,
    Notifications,
    OpenSearchSizing,
    PolicyPackRef,
    QuickSightSettings,
    StackSettings,
)
from .types import RETENTION_DAYS, Environment, Model

__all__ = [
    "RETENTION_DAYS",
    "WORKLOAD_MODELS",
    "AccountsRegistry",
    "AlarmDefaults",
    "BusinessKpi",
    "EndpointSlo",
    "Environment",
    "EtlPipeline",
    "MemberAccount",
    "MlEndpoint",
    "Model",
    "ModelApprovalRules",
    "Notifications",
    "OpenSearchSizing",
    "Organization",
    "OrganizationConfig",
    "OrganizationalUnit",
    "PipelineSlo",
    "PolicyPackRef",
    "QuickSightSettings",
    "StackSettings",
    "TagRule",
    "TagSchema",
    "Workload",
]
