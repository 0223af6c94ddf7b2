"""The organization's audit: the trail, its archive and analytics, and the guardrails.

The trail may live in a delegated administrator account; the archive and its analytics in the
log-archive account; the guardrails (tag policy, SCP) in the management account.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from obsgov.config.environment import EnvironmentConfig

from ..audit.audit_analytics import (
    AuditAnalytics,
    AuditAnalyticsArgs,
    projected_regions,
    results_bucket_name,
)
from ..audit.audit_trail import AuditTrail, AuditTrailArgs
from ..audit.guardrails import (
    CentralGuardrails,
    CentralGuardrailsArgs,
    Guardrails,
    GuardrailsArgs,
    ModelApprovalGuardrail,
)
from ..audit.log_archive import LogArchive, LogArchiveArgs
from ..lifecycle.model_approval_guard import guard_role_arn
from .central_providers import CentralProviders, on


def organization_audit(
    env: EnvironmentConfig,
    providers: CentralProviders,
    central_bus_arn: str,
    central_bus_ready: Sequence[pulumi.Resource] = (),
) -> None:
    """The trail sends its events to the central bus (``central_bus_arn``), once the resources
    of ``central_bus_ready`` (the bus and its policy) exist."""
    org = env.org.organization
    region, environment = env.settings.region, env.environment
    audit = env.settings.central_audit
    trail_account = audit.trail.admin_account_id or org.management_account_id
    trail_args = AuditTrailArgs(
        environment=environment,
        region=region,
        account_id=trail_account,
        management_account_id=org.management_account_id,
        organization_id=org.id,
        archive_bucket_name="",
        central_bus_arn=central_bus_arn,
        settings=audit.trail,
        security_contacts=audit.event_routing.severities["security"],
        central_bus_ready=central_bus_ready,
    )
    readers = list(audit.trail.decrypt_principals)
    if audit.trail.enabled:
        archive_args = LogArchiveArgs(
            environment=environment,
            region=region,
            account_id=org.log_archive_account_id,
            organization_id=org.id,
            management_account_id=org.management_account_id,
            trail_name=trail_args.trail_name,
            settings=audit.archive,
            reader_arns=readers,
            logged_bucket_names=(
                [results_bucket_name(environment, org.log_archive_account_id)]
                if audit.analytics.enabled
                else []
            ),
        )
        archive = LogArchive(
            f"log-archive-{environment}", archive_args, opts=on(providers.log_archive)
        )
        trail_args.archive_bucket_name = archive_args.bucket_name
        trail_args.archive_ready = [archive.bucket_policy]  # CreateTrail checks the policy
        trail = AuditTrail(
            f"audit-trail-{environment}",
            trail_args,
            opts=on(providers.for_account(env, trail_account)),
        )
        pulumi.export("organizationTrailArn", trail.trail.arn)
        pulumi.export("logArchiveBucket", archive_args.bucket_name)
        if audit.analytics.enabled:
            AuditAnalytics(
                f"audit-analytics-{environment}",
                AuditAnalyticsArgs(
                    environment=environment,
                    region=region,
                    account_id=org.log_archive_account_id,
                    organization_id=org.id,
                    archive_bucket_name=archive_args.bucket_name,
                    access_log_bucket=archive.access_log_bucket.id,
                    access_log_ready=[archive.access_log_bucket_policy],
                    account_ids=[
                        org.management_account_id,
                        org.observability_account_id,
                        org.log_archive_account_id,
                        *(a.id for a in env.registry.accounts),
                    ],
                    regions=projected_regions(
                        audit.analytics.regions, env.org.account_factory.allowed_regions, region
                    ),
                    reader_arns=readers,
                    settings=audit.analytics,
                    unqueryable_after_days=audit.archive.first_unqueryable_day,
                ),
                opts=on(providers.log_archive),
            )

    ou_ids = {ou.name: ou.id for ou in org.organizational_units}
    Guardrails(
        f"guardrails-{environment}",
        GuardrailsArgs(
            environment=environment,
            organizational_unit_ids=sorted(
                {ou_ids[a.organizational_unit] for a in env.member_accounts}
            ),
            tag_schema=env.org.tag_schema,
            deployment_role_name=org.deployment_role_name,
            trail_name=trail_args.trail_name,
            enforced_for=audit.tag_policy.enforced_for,
            tag_policy_enabled=audit.tag_policy.enabled,
            service_control_policy_enabled=audit.service_control_policy.enabled,
            deny_leave_organization=audit.service_control_policy.deny_leave_organization,
            cloudtrail_admin_account_id=audit.trail.admin_account_id,
            model_approval=_model_approval(env),
        ),
        opts=on(providers.management),
    )
    if env.settings.organization_stack is None:
        # the single-stack mode: no organisation stack makes the central accounts' SCP
        central_guardrails(env, [env], providers)


def central_guardrail_accounts(environments: Sequence[EnvironmentConfig]) -> list[str]:
    """The central accounts that hold obsgov's resources for ``environments``: observability,
    log archive, a delegated trail administrator, a model registry; not the management account
    (SCPs do not apply to it) nor a member account (its OU's SCP covers it)."""
    if not environments:
        return []
    org = environments[0].org.organization
    accounts = {org.observability_account_id, org.log_archive_account_id}
    members: set[str] = set()
    for env in environments:
        accounts.add(env.settings.central_audit.trail.admin_account_id or "")
        accounts.add(env.settings.model_approval.registry_account_id or "")
        members |= {a.id for a in env.registry.accounts}
    return sorted(accounts - members - {"", org.management_account_id})


def central_guardrails(
    env: EnvironmentConfig, environments: Sequence[EnvironmentConfig], providers: CentralProviders
) -> CentralGuardrails | None:
    """The central accounts' SCP (issue 33: the central accounts were not covered), when an
    environment asks for SCPs."""
    policies = [e.settings.central_audit.service_control_policy for e in environments]
    accounts = central_guardrail_accounts(environments)
    if not accounts or not any(p.enabled for p in policies):
        return None
    org = env.org.organization
    return CentralGuardrails(
        f"central-guardrails-{env.stack}",
        CentralGuardrailsArgs(
            account_ids=accounts,
            deployment_role_name=org.deployment_role_name,
            deny_leave_organization=any(p.deny_leave_organization for p in policies),
        ),
        opts=on(providers.management),
    )


def _model_approval(env: EnvironmentConfig) -> ModelApprovalGuardrail | None:
    """The approval SCP for the registry account, when the guard names its approvers."""
    approval = env.settings.model_approval
    registry = approval.registry_account_id
    if not (approval.enabled and approval.guard.enabled and approval.guard.allowed_approvers):
        return None
    if registry is None or registry == env.org.organization.management_account_id:
        return None  # SCPs do not apply to the management account
    return ModelApprovalGuardrail(
        registry_account_id=registry,
        approvers=approval.guard.allowed_approvers,
        guard_role_arn=guard_role_arn(env.environment, registry),
        guarded_stage=env.environment if env.environment in approval.promotion_order else None,
    )
