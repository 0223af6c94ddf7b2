"""The model lifecycle across accounts: the registry as code, lifecycle events forwarded to the
centre, and the approval guard in the registry account."""

from __future__ import annotations

import pulumi_aws as aws

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.models import MlEndpoint

from ..central.event_routing import severity_topic_name
from ..lifecycle.model_approval_guard import ModelApprovalGuard, ModelApprovalGuardArgs
from ..lifecycle.model_lifecycle import (
    LifecycleCentral,
    LifecycleCentralArgs,
    LifecycleForwarding,
    LifecycleForwardingArgs,
    ModelRegistry,
    ModelRegistryArgs,
)
from .central_account import Central
from .central_providers import CentralProviders, on


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
        if account.id in ml_accounts:
            LifecycleForwarding(
                f"{account.name}-lifecycle",
                LifecycleForwardingArgs(environment, account.id, central.routing_args.bus_arn),
                opts=on(member_providers[account.id]),
            )
    approval = env.settings.model_approval
    registry = approval.registry_account_id
    if registry is not None and endpoints:
        serving: dict[str, set[str]] = {}
        for account, endpoint in endpoints:
            serving.setdefault(endpoint.model_package_group, set()).add(account.id)
        registry_provider = member_providers.get(registry) or providers.for_account(env, registry)
        model_ids = {e.model_package_group: e.model_id for _, e in endpoints}
        ModelRegistry(
            f"model-registry-{environment}",
            ModelRegistryArgs(
                environment, registry, region, {g: sorted(a) for g, a in serving.items()}, model_ids
            ),
            opts=on(registry_provider),
        )
        if registry not in ml_accounts:
            LifecycleForwarding(
                f"registry-lifecycle-{environment}",
                LifecycleForwardingArgs(environment, registry, central.routing_args.bus_arn),
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
                _topic_arn(env, central, "critical"),
                ml_accounts,
                log_retention_days=env.settings.log_retention_days,
            ),
            opts=on(providers.observability),
        )


def _topic_arn(env: EnvironmentConfig, central: Central, severity: str) -> str:
    return (
        f"arn:aws:sns:{env.settings.region}:{env.org.organization.observability_account_id}:"
        f"{severity_topic_name(env.environment, severity)}"
    )
