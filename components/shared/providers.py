"""One explicit AWS provider per target account.

Every resource obsgov creates names its provider, so the account a resource lands in is never
the ambient credentials' account: the provider assumes the deployment role in the target account
and stamps the organisation's tags on every taggable resource through ``default_tags``.

The AWS Cloud Control provider (pulumi-aws-native) is configured the same way where a resource
needs it (QuickSight dashboard and analysis definitions, which pulumi-aws cannot express): one
role, the same account guard, the same default tags (its ``Check`` merges them into each
resource's ``tags``, a list of ``{key, value}``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native


def account_provider(
    name: str,
    *,
    account_id: str,
    role_arn: str,
    region: str,
    default_tags: Mapping[str, str],
    session_name: str = "obsgov",
    opts: pulumi.ResourceOptions | None = None,
) -> aws.Provider:
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=session_name)],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags)),
        opts=opts,
    )


def native_account_provider(
    name: str,
    *,
    account_id: str,
    role_arn: str,
    region: str,
    default_tags: Mapping[str, str],
    session_name: str = "obsgov",
    opts: pulumi.ResourceOptions | None = None,
) -> aws_native.Provider:
    """The pulumi-aws-native provider of one account: as :func:`account_provider`, but its
    ``assume_role`` takes one role, not a list."""
    return aws_native.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        assume_role=aws_native.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=session_name),
        default_tags=aws_native.ProviderDefaultTagsArgs(tags=dict(default_tags)),
        opts=opts,
    )
