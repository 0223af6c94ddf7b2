"""Every account whose Glue Data Catalog holds obsgov databases encrypts the catalog with its own
rotating KMS key, through exactly one setting per account (the setting is per account and
region, so two would fight over it): the organisation stack owns them for every environment
(components/environment/stacks.py)."""

from __future__ import annotations

import json

import pytest

from obsgov.graph import ResourceGraph

from .test_audit_support import LOG_ARCHIVE, OBSERVABILITY

DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
SETTINGS = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
KEY = "aws:kms/key:Key"


@pytest.fixture
def deployed(example_graph) -> ResourceGraph:
    """The organisation stack after ``pulumi up`` (mock outputs), when the key's ARN is known."""
    return example_graph("org", False)


def test_each_account_with_catalog_databases_has_one_kms_setting(prod, dev, example_graph):
    database_accounts = {r.account for g in (prod, dev) for r in g.of_type(DATABASE)}
    assert database_accounts == {OBSERVABILITY, LOG_ARCHIVE}
    assert not prod.of_type(SETTINGS)
    assert not dev.of_type(SETTINGS)
    settings = example_graph("org", True).of_type(SETTINGS)
    assert sorted(r.account for r in settings) == sorted(database_accounts)
    for setting in settings:
        at_rest = setting.inputs["dataCatalogEncryptionSettings"]["encryptionAtRest"]
        assert at_rest["catalogEncryptionMode"] == "SSE-KMS"
        passwords = setting.inputs["dataCatalogEncryptionSettings"]["connectionPasswordEncryption"]
        assert passwords["returnConnectionPasswordEncrypted"] is True


def test_the_catalog_key_rotates_and_lives_in_the_same_account(deployed):
    keys = {k.outputs.get("arn"): k for k in deployed.of_type(KEY)}
    for setting in deployed.of_type(SETTINGS):
        at_rest = setting.inputs["dataCatalogEncryptionSettings"]["encryptionAtRest"]
        key = keys[at_rest["sseAwsKmsKeyId"]]
        assert key.account == setting.account
        assert key.inputs["enableKeyRotation"] is True
        admins = json.loads(key.inputs["policy"])["Statement"]
        assert admins[0]["Principal"] == {"AWS": f"arn:aws:iam::{setting.account}:root"}


def test_without_audit_analytics_only_the_observability_catalog_is_encrypted(example_env):
    from components.environment.stacks import catalog_accounts

    org = example_env("org")
    assert set(catalog_accounts(org, [example_env("dev")])) == {OBSERVABILITY}
    assert set(catalog_accounts(org, [example_env("dev"), example_env("prod")])) == {
        OBSERVABILITY,
        LOG_ARCHIVE,
    }
