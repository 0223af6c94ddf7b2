"""One explicit AWS provider per target account.

Every resource obsgov creates names its provider, so the account a resource lands in is never
the ambient credentials' account: the provider assumes the deployment role in the target account
and stamps the organisation's tags on every taggable resource through ``default_tags``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


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
