"""Small stacks for the deploy-readiness policies: resources placed in accounts, and a runner
for the whole pack that answers as the SDK does (an UnknownValueError becomes the advisory
"can't run policy ... during preview", pulumi_policy/policy.py AnalyzeStack)."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from obsgov_policies.catalog import policies_for
from tests.support.policies import R, check_stack

REGION = "eu-west-1"
ORG = "o-k7x2m9p4q1"
MGMT, OBS, ARCHIVE = "100000000001", "100000000002", "100000000003"
MEMBER = "400000000001"
ORG_CONFIG = {"organizationId": ORG, "trustedAccountIds": [MGMT, OBS, ARCHIVE, MEMBER]}


def provider(account: str, region: str = REGION) -> dict[str, Any]:
    """Provider properties as the engine passes them: nested config as JSON text."""
    role = f"arn:aws:iam::{account}:role/ObsgovDeploymentRole"
    return {"region": region, "assumeRoles": json.dumps([{"roleArn": role}])}


def at(account: str, type_: str, name: str, props: dict | None = None, **extra) -> R:
    """A resource of ``type_`` in ``account`` (eu-west-1)."""
    return R(type_, name, props or {}, provider_props=provider(account), **extra)


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# The deployment role of each example account, confirmed (as `obsgov org check` would): the
# corpus's stacks are about their own defects, not about onboarding.
ONBOARDED = {
    "obsgov-deploy-account-require-prerequisites": {
        "verifiedPrerequisites": [
            f"deployment-role:arn:aws:iam::{account}:role/ObsgovDeploymentRole"
            for account in (MGMT, OBS, ARCHIVE, MEMBER)
        ]
    }
}


def pack(resources: list[R], config: dict[str, dict] | None = None) -> list[tuple[str, str, str]]:
    """(policy id, resource name, message) for every deploy-readiness policy; a policy that
    raises UnknownValueError adds ("<id>", "<stack>", "can't run ...: <message>"). The example
    accounts' deployment roles count as confirmed unless ``config`` says otherwise."""
    found: list[tuple[str, str, str]] = []
    config = {**ONBOARDED, **(config or {})}
    for spec in policies_for("deploy-readiness"):
        try:
            for name, message in check_stack(spec.id, resources, config.get(spec.id)):
                found.append((spec.id, name, message))
        except UnknownValueError as exc:
            found.append((spec.id, "<stack>", f"can't run during preview: {exc.message}"))
    return found
