"""getPolicyDocument rendered offline, checked against the provider's documented examples.

The documented outputs (terraform-provider-aws ``website/docs/d/iam_policy_document``) predate
``omitempty`` on ``Sid`` in ``internal/service/iam/policy_model.go``: they show ``"Sid": ""`` where
the provider now leaves the key out. Comparisons drop empty Sids from the documented side.
"""

from __future__ import annotations

import json
import zlib

import pytest

from obsgov.synth.policy_document import PolicyDocumentError, render


def _documented(doc):
    for statement in doc["Statement"]:
        if statement.get("Sid") == "":
            del statement["Sid"]
    return doc


def _json(args):
    return json.loads(render(args)["json"])


SOURCE = render(
    {
        "statements": [
            {"actions": ["ec2:*"], "resources": ["*"]},
            {"sid": "SidToOverride", "actions": ["s3:*"], "resources": ["*"]},
        ]
    }
)["json"]


def test_source_document_example():
    result = _json(
        {
            "sourcePolicyDocuments": [SOURCE],
            "statements": [
                {
                    "sid": "SidToOverride",
                    "actions": ["s3:*"],
                    "resources": ["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"],
                }
            ],
        }
    )
    assert result == _documented(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
                {
                    "Sid": "SidToOverride",
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::somebucket/*", "arn:aws:s3:::somebucket"],
                },
            ],
        }
    )


def test_override_document_example():
    override = render(
        {"statements": [{"sid": "SidToOverride", "actions": ["s3:*"], "resources": ["*"]}]}
    )["json"]
    result = _json(
        {
            "overridePolicyDocuments": [override],
            "statements": [
                {"actions": ["ec2:*"], "resources": ["*"]},
                {
                    "sid": "SidToOverride",
                    "actions": ["s3:*"],
                    "resources": ["arn:aws:s3:::somebucket", "arn:aws:s3:::somebucket/*"],
                },
            ],
        }
    )
    assert result == _documented(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
                {"Sid": "SidToOverride", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            ],
        }
    )


def test_source_and_override_example():
    source = render(
        {
            "statements": [
                {
                    "sid": "OverridePlaceholder",
                    "actions": ["ec2:DescribeAccountAttributes"],
                    "resources": ["*"],
                }
            ]
        }
    )["json"]
    override = render(
        {
            "statements": [
                {"sid": "OverridePlaceholder", "actions": ["s3:GetObject"], "resources": ["*"]}
            ]
        }
    )["json"]
    assert _json({"sourcePolicyDocuments": [source], "overridePolicyDocuments": [override]}) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OverridePlaceholder",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
            }
        ],
    }


def test_merging_source_documents_example():
    one = render(
        {
            "statements": [
                {"actions": ["ec2:*"], "resources": ["*"]},
                {"sid": "UniqueSidOne", "actions": ["s3:*"], "resources": ["*"]},
            ]
        }
    )["json"]
    two = render(
        {
            "statements": [
                {"sid": "UniqueSidTwo", "actions": ["iam:*"], "resources": ["*"]},
                {"actions": ["lambda:*"], "resources": ["*"]},
            ]
        }
    )["json"]
    assert _json({"sourcePolicyDocuments": [one, two]}) == _documented(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
                {"Sid": "UniqueSidOne", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Sid": "UniqueSidTwo", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                {"Sid": "", "Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
            ],
        }
    )
    with pytest.raises(
        PolicyDocumentError, match=r"duplicate Sid \(UniqueSidOne\) in source_policy_documents"
    ):
        render({"sourcePolicyDocuments": [one, one]})


def test_multiple_condition_keys_and_values():
    result = _json(
        {
            "statements": [
                {
                    "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "resources": ["*"],
                    "conditions": [
                        {
                            "test": "ForAnyValue:StringEquals",
                            "variable": "kms:EncryptionContext:service",
                            "values": ["pi"],
                        },
                        {
                            "test": "ForAnyValue:StringEquals",
                            "variable": "kms:EncryptionContext:aws:pi:service",
                            "values": ["rds"],
                        },
                        {
                            "test": "ForAnyValue:StringEquals",
                            "variable": "kms:EncryptionContext:aws:rds:db-id",
                            "values": [
                                "db-AAAAABBBBBCCCCCDDDDDEEEEE",
                                "db-EEEEEDDDDDCCCCCBBBBBAAAAA",
                            ],
                        },
                    ],
                }
            ]
        }
    )
    [statement] = result["Statement"]
    assert statement["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]  # a set: reverse-sorted
    assert statement["Condition"] == {
        "ForAnyValue:StringEquals": {
            "kms:EncryptionContext:aws:pi:service": "rds",
            "kms:EncryptionContext:aws:rds:db-id": [
                "db-AAAAABBBBBCCCCCDDDDDEEEEE",
                "db-EEEEEDDDDDCCCCCBBBBBAAAAA",
            ],
            "kms:EncryptionContext:service": "pi",
        }
    }


def test_assume_role_policy_with_multiple_principals():
    result = _json(
        {
            "statements": [
                {
                    "actions": ["sts:AssumeRole"],
                    "principals": [
                        {"type": "Service", "identifiers": ["firehose.amazonaws.com"]},
                        {"type": "AWS", "identifiers": ["arn:aws:iam::111111111111:role/trusted"]},
                        {
                            "type": "Federated",
                            "identifiers": [
                                "arn:aws:iam::111111111111:saml-provider/corp",
                                "cognito-identity.amazonaws.com",
                            ],
                        },
                    ],
                }
            ]
        }
    )
    assert result["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::111111111111:role/trusted",
        "Federated": [
            "cognito-identity.amazonaws.com",
            "arn:aws:iam::111111111111:saml-provider/corp",
        ],
        "Service": "firehose.amazonaws.com",
    }


@pytest.mark.parametrize(
    ("principals", "expected"),
    [
        ([{"type": "*", "identifiers": ["*"]}], "*"),
        ([{"type": "AWS", "identifiers": ["*"]}], {"AWS": "*"}),
    ],
)
def test_wildcard_principals_follow_the_provider(principals, expected):
    assert (
        _json({"statements": [{"actions": ["s3:GetObject"], "principals": principals}]})[
            "Statement"
        ][0]["Principal"]
        == expected
    )


def test_output_is_gos_json_with_a_crc_id_and_variables_rewritten():
    result = render(
        {
            "statements": [
                {
                    "sid": "A",
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::b/&{aws:username}/<x>"],
                }
            ]
        }
    )
    assert '"Resource": "arn:aws:s3:::b/${aws:username}/\\u003cx\\u003e"' in result["json"]
    assert result["minifiedJson"] == (
        '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow",'
        '"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/\\u003cx\\u003e"}]}'
    )
    assert result["id"] == str(zlib.crc32(result["json"].encode()))
    with pytest.raises(PolicyDocumentError, match="not supported in document version 2008-10-17"):
        render({"version": "2008-10-17", "statements": [{"resources": ["arn:aws:s3:::b/&{x}"]}]})
    with pytest.raises(PolicyDocumentError, match=r"duplicate Sid \(A\)"):
        render({"statements": [{"sid": "A"}, {"sid": "A"}]})
