"""The model lifecycle across accounts: the registry as code, lifecycle events forwarded to the
centre, and the approval guard in the registry account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import MemberAccount, MlEndpoint

from ..central.event_routing import LIFECYCLE_FAILURE_SEVERITY, severity_topic_name
from ..lifecycle.model_approval_guard import ModelApprovalGuard, ModelApprovalGuardArgs
from ..lifecycle.model_lifecycle import (
    LifecycleCentral,
    LifecycleCentralArgs,
    LifecycleForwarding,
    LifecycleForwardingArgs,
    ModelRegistry,
    ModelRegistryArgs,
    artifact_bucket_name,
)
from ..shared.access_logs import AccessLogs, AccessLogsArgs
from .central_account import Central
from .central_providers import CentralProviders, on


def member_lifecycle_forwarding(
    env: EnvironmentConfig,
    account: MemberAccount,
    provider: aws.Provider,
    bus_arn: str,
    bus_ready: Sequence[pulumi.Resource] = (),
) -> None:
    """A member account serving models forwards its lifecycle events to the central bus
    (waiting for ``bus_ready``, the bus and its policy, when this stack makes them)."""
    if any(isinstance(w, MlEndpoint) for w in env.workloads_for(account)):
        LifecycleForwarding(
            f"{account.name}-lifecycle",
            LifecycleForwardingArgs(env.environment, account.id, bus_arn, bus_ready),
            opts=on(provider),
        )


def model_lifecycle(
    env: EnvironmentConfig,
    providers: CentralProviders,
    central: Central,
    member_providers: dict[str, aws.Provider],
) -> None:
    """The model registry as code, lifecycle events centralised, and the approval guard."""
    org = env.org.organization
    region, environment = env.settings.region, env.environment
    endpoints = [
        (a, w)
        for a in env.member_accounts
        for w in env.workloads_for(a)
        if isinstance(w, MlEndpoint)
    ]
    ml_accounts = sorted({a.id for a, _ in endpoints})
    for account in env.member_accounts:
        # a sharded environment's members forward from their shard (member_lifecycle_forwarding)
        if account.id in member_providers:
            member_lifecycle_forwarding(
                env, account, member_providers[account.id], central.bus_arn, [central.routing]
            )
    approval = env.settings.model_approval
    registry = approval.registry_account_id
    if registry is not None and endpoints:
        # The first environment of the promotion order owns the shared registry's groups and
        # grants the accounts serving them in every environment of the order.
        order: list[str] = list(approval.promotion_order) or [environment]
        owns_groups = order[0] == environment
        serving: dict[str, set[str]] = {}
        for account, endpoint in endpoints:
            serving.setdefault(endpoint.model_package_group, set()).add(account.id)
        for account, endpoint in _promoted_endpoints(env, order):
            if endpoint.model_package_group in serving:
                serving[endpoint.model_package_group].add(account.id)
        registry_provider = member_providers.get(registry) or providers.for_account(env, registry)
        model_ids = {e.model_package_group: e.model_id for _, e in endpoints}
        access_logs = registry_access_logs(env, central, registry, registry_provider)
        ModelRegistry(
            f"model-registry-{environment}",
            ModelRegistryArgs(
                environment,
                registry,
                region,
                {g: sorted(a) for g, a in serving.items()},
                model_ids,
                image_repositories=approval.image_repositories,
                owns_groups=owns_groups,
                access_log_bucket=access_logs.bucket.id,
                access_log_ready=[access_logs.bucket_policy],
            ),
            opts=on(registry_provider),
        )
        if registry not in ml_accounts:
            LifecycleForwarding(
                f"registry-lifecycle-{environment}",
                LifecycleForwardingArgs(
                    environment, registry, central.routing_args.bus_arn, [central.routing]
                ),
                opts=on(registry_provider),
            )
        if approval.guard.enabled:
            rules = approval.guard_rules(environment)
            ModelApprovalGuard(
                f"model-guard-{environment}",
                ModelApprovalGuardArgs(
                    environment=environment,
                    account_id=registry,
                    region=region,
                    rules_json=rules.to_json(),
                    model_package_groups=sorted(serving),
                    metrics_report_prefix=approval.guard.metrics_report_prefix or "",
                    previous_registry_account_id=rules.previous_registry_account,
                    log_retention_days=env.settings.log_retention_days,
                    notification_emails=env.settings.notifications.emails,
                ),
                opts=on(registry_provider),
            )
    if ml_accounts:
        LifecycleCentral(
            f"model-lifecycle-{environment}",
            LifecycleCentralArgs(
                environment,
                org.observability_account_id,
                region,
                central.routing_args.bus_name,
                _topic_arn(env, central, LIFECYCLE_FAILURE_SEVERITY),
                ml_accounts,
                log_retention_days=env.settings.log_retention_days,
                topic_ready=[central.routing],
                access_log_bucket=central.access_logs.bucket.id if central.access_logs else None,
                access_log_ready=[central.access_logs.bucket_policy] if central.access_logs else [],
            ),
            opts=on(providers.observability),
        )


def registry_access_logs(
    env: EnvironmentConfig, central: Central, registry: str, provider: aws.Provider
) -> AccessLogs:
    """The access-log bucket the model artifact bucket logs into: S3 delivers access logs only
    within the source's account and Region (S3 user guide, "Enabling Amazon S3 server access
    logging"). The observability account's when it is the registry account (its grants name
    the artifact bucket: central_account.observability_access_logs); bucket names are global
    and the access-log name is per environment and account, so never a second one there."""
    if registry == env.org.organization.observability_account_id and central.access_logs:
        return central.access_logs
    return AccessLogs(
        f"registry-access-logs-{env.environment}",
        AccessLogsArgs(
            environment=env.environment,
            account_id=registry,
            source_bucket_names=[artifact_bucket_name(env.environment, registry)],
        ),
        opts=on(provider),
    )


def _promoted_endpoints(env: EnvironmentConfig, order: list[str]) -> list[tuple[Any, MlEndpoint]]:
    """The ML endpoints of every environment of the promotion order, with their accounts."""
    accounts = {a.name: a for a in env.registry.accounts if a.environment in order}
    return [
        (accounts[w.account], w)
        for w in env.registry.workloads
        if isinstance(w, MlEndpoint) and w.environment in order and w.account in accounts
    ]


def _topic_arn(env: EnvironmentConfig, central: Central, severity: str) -> str:
    return (
        f"arn:aws:sns:{env.settings.region}:{env.org.organization.observability_account_id}:"
        f"{severity_topic_name(env.environment, severity)}"
    )
