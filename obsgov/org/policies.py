"""The Region-deny service control policy, owned by obsgov and attached to member accounts.

Its shape is AWS's own example (Organizations User Guide, "Deny access to AWS based on the
requested AWS Region", https://docs.aws.amazon.com/organizations/latest/userguide/
orgs_manage_policies_scps_examples_general.html): every action outside the allowed Regions
is denied, except those of global services (``NotAction``), and except for the organization
access role, which onboarding uses to clean every Region (default VPCs) and to check them.
"""

from __future__ import annotations

import json
from typing import Any

from obsgov.accounts.aws import paginate
from obsgov.accounts.plan import Plan

REGION_DENY_NAME = "obsgov-region-deny"

# Global services and the global calls of regional ones, from AWS's example.
GLOBAL_ACTIONS = (
    "a4b:*",
    "acm:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "kms:*",
    "mobileanalytics:*",
    "networkmanager:*",
    "organizations:*",
    "pricing:*",
    "route53:*",
    "route53domains:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
)


def region_deny_policy(regions: list[str], exempt_roles: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyOutsideAllowedRegions",
                "Effect": "Deny",
                "NotAction": list(GLOBAL_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": sorted(regions)},
                    "ArnNotLike": {
                        "aws:PrincipalARN": [f"arn:aws:iam::*:role/{r}" for r in exempt_roles]
                    },
                },
            }
        ],
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def find_policy(
    orgs: Any, name: str, kind: str = "SERVICE_CONTROL_POLICY"
) -> dict[str, Any] | None:
    for policy in paginate(orgs, "list_policies", "Policies", Filter=kind):
        if policy["Name"] == name:
            return dict(policy)
    return None


def ensure_region_deny_policy(env: Any, orgs: Any, plan: Plan, access_role: str) -> str | None:
    """The policy's id, created or updated to the configured Regions; None when a dry run
    would create it."""
    regions = list(env.org.account_factory.allowed_regions)
    document = region_deny_policy(regions, [access_role])
    found = find_policy(orgs, REGION_DENY_NAME)
    if found is None:
        if plan.dry_run:
            plan.change(
                f"create SCP {REGION_DENY_NAME}", "organizations:CreatePolicy", ", ".join(regions)
            )
            return None
        created = orgs.create_policy(
            Name=REGION_DENY_NAME,
            Type="SERVICE_CONTROL_POLICY",
            Description="obsgov: deny every Region but the allowed ones (accountFactory)",
            Content=render(document),
        )["Policy"]["PolicySummary"]
        plan.change(f"create SCP {REGION_DENY_NAME}", "organizations:CreatePolicy", created["Id"])
        return str(created["Id"])
    content = orgs.describe_policy(PolicyId=found["Id"])["Policy"]["Content"]
    if json.loads(content) != json.loads(render(document)):
        if not plan.dry_run:
            orgs.update_policy(PolicyId=found["Id"], Content=render(document))
        plan.change(
            f"update SCP {REGION_DENY_NAME}", "organizations:UpdatePolicy", ", ".join(regions)
        )
    else:
        plan.ok(f"SCP {REGION_DENY_NAME} is current", "organizations:DescribePolicy")
    return str(found["Id"])
