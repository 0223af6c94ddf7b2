import json
from typing import Any

from tests.support.policies import R, check_stack

ID = "obsgov-glue-catalog-require-encryption"
OBS: dict[str, Any] = {"tags": {}}


def provider_for(account):
    return {"assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{account}:role/Deploy"}])}


def settings(mode="SSE-KMS"):
    return {"dataCatalogEncryptionSettings": {"encryptionAtRest": {"catalogEncryptionMode": mode}}}


def test_catalog_encrypted_on_the_tables_account_passes():
    found = check_stack(
        ID,
        [
            R(
                "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                "enc",
                settings(),
                provider_props=provider_for("111111111111"),
            ),
            R(
                "aws:glue/catalogTable:CatalogTable",
                "events",
                {},
                provider_props=provider_for("111111111111"),
            ),
        ],
    )
    assert found == []


def test_tables_in_an_account_without_kms_catalog_encryption():
    message = (
        "{} is kept in a Data Catalog this stack does not encrypt with KMS (no "
        "DataCatalogEncryptionSettings with SSE-KMS on its account)."
    )
    found = check_stack(
        ID,
        [
            R(
                "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                "enc",
                settings("DISABLED"),
                provider_props=provider_for("111111111111"),
            ),
            R(
                "aws:glue/catalogDatabase:CatalogDatabase",
                "db",
                {},
                provider_props=provider_for("111111111111"),
            ),
            R(
                "aws:glue/catalogTable:CatalogTable",
                "other",
                {},
                provider_props=provider_for("222222222222"),
            ),
        ],
    )
    assert found == [("db", message.format("db")), ("other", message.format("other"))]


def test_kms_with_a_service_role_counts_as_encrypted():
    found = check_stack(
        ID,
        [
            R(
                "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                "enc",
                settings("SSE-KMS-WITH-SERVICE-ROLE"),
                provider_props=provider_for("111111111111"),
            ),
            R(
                "aws:glue/catalogTable:CatalogTable",
                "t",
                {},
                provider_props=provider_for("111111111111"),
            ),
        ],
    )
    assert found == []


def test_a_catalog_setting_the_organisation_stack_owns_counts():
    # one setting per account and Region: with an organisation stack it is that stack's
    # (stacks/Pulumi.org.yaml), listed to each environment as otherStacks by the gate
    table = R(
        "aws:glue/catalogTable:CatalogTable", "events", {}, provider_props=provider_for("1" * 12)
    )
    owned = {
        "otherStacks": [
            {
                "stack": "org",
                "claims": [
                    [
                        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                        "1" * 12,
                        "eu-west-1",
                        "",
                        "*",
                        "data-catalog-org-settings",
                    ]
                ],
            }
        ]
    }
    assert check_stack(ID, [table], owned) == []
    elsewhere = {
        "otherStacks": [
            {
                **owned["otherStacks"][0],
                "claims": [
                    [
                        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
                        "2" * 12,
                        "eu-west-1",
                        "",
                        "*",
                        "data-catalog-org-settings",
                    ]
                ],
            }
        ]
    }
    assert [name for name, _ in check_stack(ID, [table], elsewhere)] == ["events"]
