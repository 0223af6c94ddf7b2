"""The role an AWS service assumes to act for obsgov, with its one inline permission policy.

Every such role trusts exactly one service principal under a confused-deputy condition
(``aws:SourceAccount`` or ``aws:SourceArn``) and carries one least-privilege policy naming the
resources it may touch; the caller chooses both and keeps its own resource names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from .iam_documents import assume_role_policy


def service_role(
    resource_name: str,
    policy_resource_name: str,
    *,
    role_name: pulumi.Input[str],
    service: str,
    condition: Mapping[str, Mapping[str, Any]],
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    policy_name: str | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """The role and its policy. Resources that the service creates with the role should
    depend on the returned policy: IAM accepts the role before its permissions exist."""
    role = aws.iam.Role(
        resource_name,
        name=role_name,
        assume_role_policy=assume_role_policy(service, condition),
        opts=opts,
    )
    role_policy = aws.iam.RolePolicy(
        policy_resource_name,
        role=role.id,
        name=policy_name,
        policy=policy,
        opts=opts,
    )
    return role, role_policy
