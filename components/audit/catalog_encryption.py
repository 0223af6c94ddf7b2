"""KMS encryption of an account's Glue Data Catalog.

The Data Catalog has one encryption setting per account and region, so the environment makes one
of these for every account that keeps catalog databases (the observability account's metric lake
and model lifecycle archive, the log-archive account's audit analytics), never one per component:
two components writing the same setting would undo each other on every ``pulumi up``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..shared.iam_documents import account_administers, document
from ..shared.keys import rotated_key


@dataclass
class CatalogEncryptionArgs:
    environment: str
    account_id: str


def key_alias(environment: str) -> str:
    return f"alias/obsgov-{environment}-data-catalog"


class CatalogEncryption(pulumi.ComponentResource):
    key: aws.kms.Key
    settings: aws.glue.DataCatalogEncryptionSettings

    def __init__(
        self, name: str, args: CatalogEncryptionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:catalog_encryption:CatalogEncryption", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} Glue Data Catalog",
            # Administered by the account alone: the catalog is encrypted with the caller's
            # permissions (Athena and Glue users' IAM policies), not a service role's.
            policy=document(account_administers(args.account_id)),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=key_alias(args.environment),
            target_key_id=self.key.key_id,
            opts=child,
        )
        settings = aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsArgs(
            encryption_at_rest=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRestArgs(
                catalog_encryption_mode="SSE-KMS",
                sse_aws_kms_key_id=self.key.arn,
            ),
            connection_password_encryption=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryptionArgs(
                return_connection_password_encrypted=True,
                aws_kms_key_id=self.key.arn,
            ),
        )
        self.settings = aws.glue.DataCatalogEncryptionSettings(
            f"{name}-settings",
            data_catalog_encryption_settings=settings,
            opts=child,
        )
        self.register_outputs({"keyArn": self.key.arn})
