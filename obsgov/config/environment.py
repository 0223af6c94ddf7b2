"""A validated environment: what the Pulumi program and the policy gate read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .models import (
    AccountsRegistry,
    MemberAccount,
    OrganizationConfig,
    StackSettings,
    Workload,
)

#: Tags obsgov derives for every member-account resource, and the registry field each one
#: comes from (an account's own ``tags`` may add tags, never redefine these).
DERIVED_TAG_FIELDS = {
    "environment": "environment",
    "owner": "owner",
    "cost-centre": "costCentre",
    "data-classification": "dataClassification",
    "managed-by": None,
}


def default_tags(environment: str, account: MemberAccount) -> dict[str, str]:
    """Tags every resource in a member account carries through its provider."""
    tags = {
        "environment": environment,
        "owner": account.owner,
        "cost-centre": account.cost_centre,
        "data-classification": account.data_classification,
        "managed-by": "obsgov",
    }
    tags.update(account.tags)  # the rules forbid redefining the derived tags
    return tags


@dataclass(frozen=True)
class EnvironmentConfig:
    """A validated environment: everything the program and the policy gate need."""

    stack: str
    stack_file: Path
    settings: StackSettings
    organization_file: Path
    org: OrganizationConfig
    registry_file: Path
    registry: AccountsRegistry
    config_map: dict[str, str] = field(default_factory=dict)

    @property
    def environment(self) -> str:
        return self.settings.environment

    @property
    def input_files(self) -> list[Path]:
        """The files this environment was read from: never an output path."""
        return [self.stack_file, self.organization_file, self.registry_file]

    @property
    def member_accounts(self) -> list[MemberAccount]:
        """The environment's member accounts; the organisation stack has none of its own."""
        if self.settings.stack_role == "organization":
            return []
        return [a for a in self.registry.accounts if a.environment == self.environment]

    def shard_of(self, account: MemberAccount) -> int:
        """The member shard an account lives in: a stable hash of its id, so adding or removing
        an account never moves another (moving one is a ``pulumi state move``)."""
        shards = self.settings.member_shards
        if shards is None:
            return 0
        digest = hashlib.sha256(account.id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % shards.count

    @property
    def stack_accounts(self) -> list[MemberAccount]:
        """The member accounts this stack builds: all of them in the single-stack mode, none in
        a sharded environment's central stack, its own in a shard."""
        if self.settings.stack_role == "shard":
            return [a for a in self.member_accounts if self.shard_of(a) == self.settings.shard]
        if self.settings.member_shards is not None:
            return []
        return self.member_accounts

    def workloads_for(self, account: MemberAccount) -> list[Workload]:
        return [
            w
            for w in self.registry.workloads
            if w.account == account.name and w.environment == self.environment
        ]

    def account_default_tags(self, account: MemberAccount) -> dict[str, str]:
        return default_tags(self.environment, account)

    def central_default_tags(self) -> dict[str, str]:
        """Tags for resources in the central accounts, owned by the platform team."""
        org = self.org.organization
        return {
            "environment": self.environment,
            "owner": org.platform_owner,
            "cost-centre": org.platform_cost_centre,
            "data-classification": "internal",
            "managed-by": "obsgov",
        }

    def role_arn(self, account_id: str) -> str:
        role = self.org.organization.deployment_role_name
        return f"arn:aws:iam::{account_id}:role/{role}"
