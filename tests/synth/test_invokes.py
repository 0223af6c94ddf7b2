"""Realistic answers for common AWS invokes, derived from the call and the provider's account."""

from __future__ import annotations

import json

import pytest

from obsgov.synth.invokes import ANSWERS, DERIVED, InvokeAnswers

ACCOUNT, REGION = "400000000001", "eu-west-1"


def ask(token, **args):
    answers = InvokeAnswers()
    return answers.answer(token, args, ACCOUNT, REGION), answers


def test_identity_region_and_partition_describe_the_calling_provider():
    identity, _ = ask("aws:index/getCallerIdentity:getCallerIdentity")
    assert identity["accountId"] == ACCOUNT
    assert identity["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
    assert ask("aws:index/getRegion:getRegion")[0]["name"] == REGION
    assert ask("aws:index/getPartition:getPartition")[0]["dnsSuffix"] == "amazonaws.com"


def test_arn_is_split_into_its_documented_parts():
    parts, _ = ask("aws:index/getArn:getArn", arn="arn:aws:iam::123456789012:role/path/name")
    assert (
        parts["partition"],
        parts["service"],
        parts["region"],
        parts["account"],
        parts["resource"],
    ) == ("aws", "iam", "", "123456789012", "role/path/name")
    with pytest.raises(ValueError, match="is not an ARN"):
        ask("aws:index/getArn:getArn", arn="nope")


def test_derived_identifiers_are_deterministic_and_shaped_like_aws():
    first, answers = ask(
        "aws:ec2/getAmi:getAmi",
        owners=["amazon"],
        mostRecent=True,
        filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}],
    )
    second, _ = ask(
        "aws:ec2/getAmi:getAmi",
        owners=["amazon"],
        mostRecent=True,
        filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}],
    )
    assert first == second
    assert first["id"].startswith("ami-")
    assert len(first["id"]) == 21
    assert first["arn"] == f"arn:aws:ec2:{REGION}::image/{first['id']}"
    assert answers.derived == {"aws:ec2/getAmi:getAmi": 1}
    assert not answers.unanswered
    vpc, _ = ask("aws:ec2/getVpc:getVpc", default=True)
    assert vpc["default"] is True
    assert vpc["cidrBlock"] == "172.31.0.0/16"
    assert vpc["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc['id']}"
    subnets, _ = ask(
        "aws:ec2/getSubnets:getSubnets", filters=[{"name": "vpc-id", "values": [vpc["id"]]}]
    )
    assert len(subnets["ids"]) == 3
    assert all(s.startswith("subnet-") for s in subnets["ids"])


def test_kms_key_by_alias_or_arn():
    managed, _ = ask("aws:kms/getKey:getKey", keyId="alias/aws/s3")
    assert managed["keyManager"] == "AWS"
    assert managed["arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    by_arn, _ = ask("aws:kms/getKey:getKey", keyId=arn)
    assert by_arn["arn"] == arn
    assert by_arn["keyManager"] == "CUSTOMER"


def test_managed_policy_documents_ship_for_known_policies_only():
    admin, answers = ask(
        "aws:iam/getPolicy:getPolicy", arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    assert json.loads(admin["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    unknown, answers = ask(
        "aws:iam/getPolicy:getPolicy", arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    assert unknown is None
    assert answers.unanswered == {"aws:iam/getPolicy:getPolicy": 1}


def test_unknown_invokes_are_counted_by_token():
    answers = InvokeAnswers()
    for _ in range(3):
        assert (
            answers.answer("aws:rds/getEngineVersion:getEngineVersion", {}, ACCOUNT, REGION) is None
        )
    assert answers.unanswered == {"aws:rds/getEngineVersion:getEngineVersion": 3}


def test_zone_certificate_parameter_and_role_shapes():
    zone, _ = ask("aws:route53/getZone:getZone", name="example.com")
    assert zone["name"] == "example.com."
    assert zone["arn"] == f"arn:aws:route53:::hostedzone/{zone['zoneId']}"
    cert, _ = ask("aws:acm/getCertificate:getCertificate", domain="api.example.com")
    assert cert["arn"].startswith(f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/")
    assert cert["status"] == "ISSUED"
    param, _ = ask("aws:ssm/getParameter:getParameter", name="/team/db/host")
    assert param["arn"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/team/db/host"
    role, _ = ask("aws:iam/getRole:getRole", name="deployer")
    assert role["arn"] == f"arn:aws:iam::{ACCOUNT}:role/deployer"


def test_every_token_is_a_real_pulumi_aws_function():
    import importlib

    for token in ANSWERS:
        package = token.split(":")[1]
        module = (
            "pulumi_aws" if package.startswith("index") else f"pulumi_aws.{package.split('/')[0]}"
        )
        name = token.split("/")[-1].split(":")[0]
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
        assert hasattr(importlib.import_module(module), snake), token
    assert set(ANSWERS) >= DERIVED
