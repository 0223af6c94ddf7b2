"""Accounts that keep Glue Data Catalog tables encrypt the catalog with KMS."""

from ..aws_types import GLUE_CATALOG_DATABASE, GLUE_CATALOG_ENCRYPTION, GLUE_CATALOG_TABLE
from ..catalog import policy
from ..props import as_str, get, provider_account


def require_glue_catalog_encryption(args, report_violation):
    encrypted = set()
    for resource in args.resources:
        if resource.resource_type == GLUE_CATALOG_ENCRYPTION:
            mode = as_str(
                get(
                    resource.props,
                    "dataCatalogEncryptionSettings",
                    "encryptionAtRest",
                    "catalogEncryptionMode",
                )
            )
            if mode in ("SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"):
                encrypted.add(provider_account(resource))
    for resource in args.resources:
        if (
            resource.resource_type in (GLUE_CATALOG_DATABASE, GLUE_CATALOG_TABLE)
            and provider_account(resource) not in encrypted
        ):
            report_violation(
                f"{resource.name} is kept in a Data Catalog this stack does not encrypt with KMS "
                "(no DataCatalogEncryptionSettings with SSE-KMS on its account).",
                resource.urn,
            )


policy(
    require_glue_catalog_encryption,
    id="obsgov-glue-catalog-require-encryption",
    description="Accounts that hold Glue Data Catalog databases or tables must encrypt the "
    "catalog with KMS.",
    severity="medium",
    service="glue",
    kind="stack",
    remediation="Add an aws.glue.DataCatalogEncryptionSettings with encryption_at_rest "
    "catalog_encryption_mode SSE-KMS on the same provider.",
)
