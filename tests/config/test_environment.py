"""Every fact the environment derives, each from a scenario that fails if it is derived wrong."""

from __future__ import annotations

from obsgov.config.loader import load_environment
from obsgov.config.stack_config import stack_config_map

from ..support.environments import MANAGEMENT, account, etl_pipeline


def test_member_accounts_are_those_of_the_stack_environment(scenario):
    env = scenario("prod")
    env.accounts.append(account("analytics-prod", "200000000003", "prod"))
    loaded = env.load()
    assert [a.name for a in loaded.member_accounts] == ["serving-prod", "analytics-prod"]


def test_workloads_are_those_of_the_account_and_the_environment(scenario):
    env = scenario()
    env.accounts.append(account("data-dev", "200000000003"))
    env.workloads.append(etl_pipeline("other-etl", "data-dev"))
    loaded = env.load()
    serving, data = loaded.member_accounts
    assert [w.name for w in loaded.workloads_for(serving)] == [
        "fraud-dev",
        "orders-etl",
        "orders-kpi",
    ]
    assert [w.name for w in loaded.workloads_for(data)] == ["other-etl"]


def test_account_tags_come_from_its_fields_and_its_extra_tags(scenario):
    env = scenario()
    env.accounts[0].update(dataClassification="confidential", tags={"team": "fraud"})
    loaded = env.load()
    assert loaded.account_default_tags(loaded.member_accounts[0]) == {
        "environment": "dev",
        "owner": "team@example.com",
        "cost-centre": "CC-2000",
        "data-classification": "confidential",
        "managed-by": "obsgov",
        "team": "fraud",
    }


def test_central_tags_belong_to_the_platform(scenario):
    loaded = scenario("prod").load()
    assert loaded.central_default_tags() == {
        "environment": "prod",
        "owner": "platform@example.com",
        "cost-centre": "CC-1000",
        "data-classification": "internal",
        "managed-by": "obsgov",
    }


def test_role_arn_uses_the_configured_role_name(scenario):
    env = scenario()
    env.organization["organization"]["deploymentRoleName"] = "Deployer"
    assert env.load().role_arn(MANAGEMENT) == f"arn:aws:iam::{MANAGEMENT}:role/Deployer"


def test_input_files_are_the_three_files_read(scenario):
    env = scenario()
    loaded = env.load()
    assert loaded.input_files == [
        env.stack_file,
        (env.directory / "organization.yaml").resolve(),
        (env.directory / "accounts.yaml").resolve(),
    ]


def test_files_named_in_the_stack_config_are_read_from_beside_it(scenario):
    env = scenario()
    env.config["obsgov:registryFile"] = "registry.yaml"
    env.write()
    (env.directory / "accounts.yaml").rename(env.directory / "registry.yaml")
    loaded = load_environment("dev", env.stack_file)
    assert loaded.registry_file == (env.directory / "registry.yaml").resolve()


def test_the_config_map_is_what_the_pulumi_cli_hands_the_program():
    assert stack_config_map(
        {
            "config": {
                "aws:region": "eu-west-1",
                "environment": "dev",
                "obsgov:logRetentionDays": 30,
                "obsgov:enabled": True,
                "obsgov:ratio": 0.5,
                "obsgov:notifications": {"emails": ["a@example.com"]},
                "obsgov:nothing": None,
            }
        },
        "Pulumi.dev.yaml",
    ) == {
        "aws:region": "eu-west-1",
        "obsgov:environment": "dev",
        "obsgov:logRetentionDays": "30",
        "obsgov:enabled": "true",
        "obsgov:ratio": "0.5",
        "obsgov:notifications": '{"emails": ["a@example.com"]}',
        "obsgov:nothing": "",
    }
