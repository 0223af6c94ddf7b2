"""Shared helpers for the central-audit component tests: a program that builds the audit half
of the central accounts the way ``__main__.py`` wires it, synthesized under the mocks, and an
IAM linter (parliament) that must flag real mistakes (tested here, so it can fail)."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from parliament import analyze_policy_string, enhance_finding

from obsgov.config.loader import load_environment
from obsgov.graph import GraphResource, ResourceGraph
from obsgov.synth import synthesize

from ..support.caching import session_cache

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"

MANAGEMENT = "100000000001"
OBSERVABILITY = "100000000002"
LOG_ARCHIVE = "100000000003"
ORG_ID = "o-k7x2m9p4q1"
REGION = "eu-west-1"

PROGRAM = textwrap.dedent("""
    import json
    import pulumi
    from components.audit.audit_analytics import (
        AuditAnalytics, AuditAnalyticsArgs, projected_regions, results_bucket_name)
    from components.audit.audit_trail import AuditTrail, AuditTrailArgs
    from components.audit.catalog_encryption import CatalogEncryption, CatalogEncryptionArgs
    from components.central.event_routing import EventRouting, EventRoutingArgs
    from components.audit.guardrails import Guardrails, GuardrailsArgs
    from components.audit.log_archive import LogArchive, LogArchiveArgs
    from components.environment.central_account import bus_sender_accounts
    from components.shared.providers import account_provider
    from obsgov.config.loader import load_environment
    from obsgov.config.models.central import CentralAuditSettings
    from pathlib import Path
    import os

    audit = CentralAuditSettings.model_validate(json.loads(SETTINGS_JSON))
    stack = pulumi.get_stack()
    env = load_environment(stack, Path(os.environ["OBSGOV_STACKS_DIR"]) / f"Pulumi.{stack}.yaml")
    org = env.org.organization
    region = env.settings.region
    environment = env.environment

    def provider(name, account):
        return account_provider(name, account_id=account, role_arn=env.role_arn(account),
                                region=region, default_tags=env.central_default_tags())

    management = provider("management", org.management_account_id)
    log_archive = provider("log-archive", org.log_archive_account_id)
    observability = provider("observability", org.observability_account_id)
    trail_account = audit.trail.admin_account_id or org.management_account_id
    trail_provider = (management if trail_account == org.management_account_id
                      else provider("cloudtrail-admin", trail_account))

    routing_args = EventRoutingArgs(
        environment=environment, region=region, account_id=org.observability_account_id,
        organization_id=org.id, sender_account_ids=bus_sender_accounts(env),
        settings=audit.event_routing)
    EventRouting(f"event-routing-{environment}", routing_args,
                 opts=pulumi.ResourceOptions(providers=[observability]))

    trail_args = AuditTrailArgs(
        environment=environment, region=region, account_id=trail_account,
        management_account_id=org.management_account_id, organization_id=org.id,
        archive_bucket_name="", central_bus_arn=routing_args.bus_arn, settings=audit.trail,
        security_contacts=audit.event_routing.severities["security"])
    readers = list(audit.trail.decrypt_principals)
    if audit.trail.enabled:
        archive_args = LogArchiveArgs(
            environment=environment, region=region, account_id=org.log_archive_account_id,
            organization_id=org.id, management_account_id=org.management_account_id,
            trail_name=trail_args.trail_name, settings=audit.archive, reader_arns=readers,
            logged_bucket_names=([results_bucket_name(environment, org.log_archive_account_id)]
                                 if audit.analytics.enabled else []))
        archive = LogArchive(f"log-archive-{environment}", archive_args,
                             opts=pulumi.ResourceOptions(providers=[log_archive]))
        trail_args.archive_bucket_name = archive_args.bucket_name
        trail_args.archive_ready = [archive.bucket_policy]
        AuditTrail(f"audit-trail-{environment}", trail_args,
                   opts=pulumi.ResourceOptions(providers=[trail_provider]))
        if audit.analytics.enabled:
            AuditAnalytics(f"audit-analytics-{environment}", AuditAnalyticsArgs(
                environment=environment, region=region, account_id=org.log_archive_account_id,
                organization_id=org.id, archive_bucket_name=archive_args.bucket_name,
                access_log_bucket=archive.access_log_bucket.id,
                access_log_ready=[archive.access_log_bucket_policy],
                account_ids=[org.management_account_id, org.observability_account_id,
                             org.log_archive_account_id, *[a.id for a in env.registry.accounts]],
                regions=projected_regions(audit.analytics.regions,
                                          env.org.account_factory.allowed_regions, region),
                reader_arns=readers, settings=audit.analytics,
                unqueryable_after_days=audit.archive.first_unqueryable_day),
                opts=pulumi.ResourceOptions(providers=[log_archive]))
            CatalogEncryption(f"audit-catalog-{environment}", CatalogEncryptionArgs(
                environment=environment, account_id=org.log_archive_account_id),
                opts=pulumi.ResourceOptions(providers=[log_archive]))

    ou_ids = {ou.name: ou.id for ou in org.organizational_units}
    Guardrails(f"guardrails-{environment}", GuardrailsArgs(
        environment=environment,
        organizational_unit_ids=sorted({ou_ids[a.organizational_unit]
                                        for a in env.member_accounts}),
        tag_schema=env.org.tag_schema, deployment_role_name=org.deployment_role_name,
        trail_name=trail_args.trail_name, enforced_for=audit.tag_policy.enforced_for,
        tag_policy_enabled=audit.tag_policy.enabled,
        service_control_policy_enabled=audit.service_control_policy.enabled,
        deny_leave_organization=audit.service_control_policy.deny_leave_organization,
        cloudtrail_admin_account_id=audit.trail.admin_account_id),
        opts=pulumi.ResourceOptions(providers=[management]))
""")

# Prod-like settings that exercise every option (the shipped example is close to these).
PROD_SETTINGS: dict[str, Any] = {
    "trail": {
        "logRetentionDays": 400,
        "dataEvents": {"s3Buckets": ["obsgov-prod-model-artifacts"], "sagemakerEndpoints": True},
        "decryptPrincipals": [f"arn:aws:iam::{LOG_ARCHIVE}:role/obsgov-auditor"],
    },
    "archive": {
        "transitions": [
            {"days": 90, "storageClass": "GLACIER_IR"},
            {"days": 365, "storageClass": "DEEP_ARCHIVE"},
        ],
        "expirationDays": 2557,
        "objectLock": {"mode": "COMPLIANCE", "days": 365},
    },
    "eventRouting": {
        "severities": {
            "critical": {
                "emails": ["ml-oncall@example.com"],
                "httpsEndpoints": ["https://events.example.com/obsgov"],
                "levels": ["critical", "high"],
            },
            "warning": {
                "sqsQueueArns": [f"arn:aws:sqs:{REGION}:{OBSERVABILITY}:obsgov-warnings"],
                "levels": ["warning", "medium", "low"],
            },
            "security": {"emails": ["security@example.com"]},
        }
    },
    "tagPolicy": {"enforcedFor": ["sagemaker:endpoint", "s3:bucket"]},
    "serviceControlPolicy": {"denyLeaveOrganization": True},
}


@session_cache
def _graph(stack: str, settings_json: str, preview: bool) -> ResourceGraph:
    directory = Path(tempfile.mkdtemp(prefix="obsgov-audit-"))
    atexit.register(shutil.rmtree, directory, True)
    program = directory / "audit_program.py"
    program.write_text(f"SETTINGS_JSON = {settings_json!r}\n{PROGRAM}")
    env = load_environment(stack, STACKS / f"Pulumi.{stack}.yaml")
    return synthesize(env, program=program, preview=preview)


def central_graph(
    stack: str = "prod", settings: dict[str, Any] | None = None, preview: bool = True
) -> ResourceGraph:
    """The audit components of ``stack`` with ``settings`` as ``obsgov:centralAudit``
    (cached: graphs are read-only in these tests)."""
    return _graph(stack, json.dumps(settings or {}, sort_keys=True), preview)


def one(graph: ResourceGraph, type_token: str, name: str) -> GraphResource:
    found = [r for r in graph.of_type(type_token) if r.name == name]
    assert len(found) == 1, f"{type_token} {name}: {[r.name for r in graph.of_type(type_token)]}"
    return found[0]


def by_sid(document: str) -> dict[str, dict[str, Any]]:
    """A policy document's statements keyed by Sid; every statement must have a unique one."""
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in parsed["Statement"]]
    assert len(set(sids)) == len(sids), sids
    return {s["Sid"]: {k: v for k, v in s.items() if k != "Sid"} for s in parsed["Statement"]}


# Findings parliament reports for key policies that are right as written: in a key policy
# "Resource": "*" means "this key" (parliament reads every document as an identity policy).
KEY_POLICY_ALLOWED = {"RESOURCE_STAR"}


def lint(
    document: str, *, allowed: frozenset[str] | set[str] = frozenset(), trust_for: str | None = None
) -> list[tuple[str, str, str]]:
    """Parliament's findings as (issue, severity, detail), minus ``allowed`` issues.

    Parliament has no notion of trust policies (which have no Resource element): pass the
    role's ARN as ``trust_for`` to lint the trust policy as the role's resource policy."""
    if trust_for is not None:
        parsed = json.loads(document)
        for s in parsed["Statement"]:
            s.setdefault("Resource", trust_for)
        document = json.dumps(parsed)
    policy = analyze_policy_string(document, include_community_auditors=False)
    findings = [enhance_finding(f) for f in policy.findings]
    return [(f.issue, f.severity, str(f.detail)) for f in findings if f.issue not in allowed]


def wildcard_principals(document: str) -> list[dict[str, Any]]:
    """Allow statements open to everyone (``"*"`` or ``{"AWS": "*"}``)."""
    out = []
    for s in json.loads(document)["Statement"]:
        principal = s.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        everyone = aws == "*" or (isinstance(aws, list) and "*" in aws)
        if s["Effect"] == "Allow" and everyone:
            out.append(s)
    return out


# ------------------------------------------------------------------ the helpers can fail


def test_lint_flags_a_malformed_statement_and_a_type_mismatch():
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject"},
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "arn:aws:kms:eu-west-1:100000000001:key/k",
                    "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": "log-group"}},
                },
            ],
        }
    )
    issues = sorted(issue for issue, _, _ in lint(bad))
    assert issues == ["MALFORMED", "MISMATCHED_TYPE"]


def test_lint_reads_a_trust_policy_as_the_roles_resource_policy():
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    assert [i for i, _, _ in lint(trust)] == ["MALFORMED"]
    assert lint(trust, trust_for="arn:aws:iam::100000000001:role/r") == []


def test_wildcard_principals_finds_both_spellings():
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": ["*"]},
                    "Action": "sns:Publish",
                    "Resource": "*",
                },
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"},
            ],
        }
    )
    assert len(wildcard_principals(doc)) == 2
