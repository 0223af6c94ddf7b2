"""The customer-managed KMS keys obsgov creates: every one rotated, with the longest deletion
window, and a key policy of its own.

Thirty days is KMS's maximum waiting period, so a mistaken deletion can still be cancelled;
the security-baseline pack requires rotation on every key.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def rotated_key(
    resource_name: str,
    *,
    description: pulumi.Input[str],
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.kms.Key:
    return aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=policy,
        opts=opts,
    )
