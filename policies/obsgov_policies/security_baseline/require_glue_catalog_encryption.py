"""Accounts that keep Glue Data Catalog tables encrypt the catalog with KMS.

The catalog's encryption setting is one per account and Region, so with an organisation stack
it lives there and not in the environments' stacks: a setting another stack of the organisation
claims (the ``otherStacks`` config the gate fills from ``obsgov policy inventory``) counts, its
mode being judged in that stack by this same pack."""

from ..aws_types import GLUE_CATALOG_DATABASE, GLUE_CATALOG_ENCRYPTION, GLUE_CATALOG_TABLE
from ..catalog import policy
from ..deploy_names import OTHER_STACKS_SCHEMA, other_stacks
from ..props import as_str, get, provider_account


@policy(
    id="obsgov-glue-catalog-require-encryption",
    description="Accounts that hold Glue Data Catalog databases or tables must encrypt the "
    "catalog with KMS.",
    severity="medium",
    service="glue",
    kind="stack",
    config={"otherStacks": OTHER_STACKS_SCHEMA},
    remediation="Add an aws.glue.DataCatalogEncryptionSettings with encryption_at_rest "
    "catalog_encryption_mode SSE-KMS on the same provider.",
)
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
    config = args.get_config() if hasattr(args, "get_config") else {}
    encrypted |= {c.account for c in other_stacks(config) if c.type == GLUE_CATALOG_ENCRYPTION}
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
