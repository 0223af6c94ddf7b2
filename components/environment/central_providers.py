"""The providers of the central accounts, made once per environment and shared by the wiring.

Member accounts get theirs in :mod:`.member_accounts`; an account that is neither (a delegated
administrator, a registry account) gets one the first time it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from obsgov.config.environment import EnvironmentConfig

from ..shared.providers import account_provider, native_account_provider


@dataclass
class CentralProviders:
    observability: aws.Provider
    management: aws.Provider
    log_archive: aws.Provider
    by_account: dict[str, aws.Provider] = field(default_factory=dict)
    # pulumi-aws-native in the observability account: the QuickSight dashboards and analyses
    observability_native: aws_native.Provider | None = None

    def for_account(self, env: EnvironmentConfig, account_id: str) -> aws.Provider:
        """The provider of a central account, or one made for another account (a delegated
        administrator, a registry account) the first time it is asked for."""
        if account_id not in self.by_account:
            self.by_account[account_id] = account_provider(
                f"account-{account_id}",
                account_id=account_id,
                role_arn=env.role_arn(account_id),
                region=env.settings.region,
                default_tags=env.central_default_tags(),
            )
        return self.by_account[account_id]


def central_providers(env: EnvironmentConfig) -> CentralProviders:
    org = env.org.organization
    made = {}
    for name, account_id in (
        ("observability", org.observability_account_id),
        ("management", org.management_account_id),
        ("log-archive", org.log_archive_account_id),
    ):
        made[account_id] = account_provider(
            name,
            account_id=account_id,
            role_arn=env.role_arn(account_id),
            region=env.settings.region,
            default_tags=env.central_default_tags(),
        )
    return CentralProviders(
        made[org.observability_account_id],
        made[org.management_account_id],
        made[org.log_archive_account_id],
        dict(made),
        native_account_provider(
            "observability-native",
            account_id=org.observability_account_id,
            role_arn=env.role_arn(org.observability_account_id),
            region=env.settings.region,
            default_tags=env.central_default_tags(),
        ),
    )


def on(provider: aws.Provider, native: aws_native.Provider | None = None) -> pulumi.ResourceOptions:
    """Options that put a component on one account's provider (and, for components with
    pulumi-aws-native children, that account's native provider)."""
    return pulumi.ResourceOptions(providers=[provider, *([native] if native else [])])
