"""QuickSight queries the lake as a role of this stack, not as its account-wide service role.

QuickSight's own role (``service-role/aws-quicksight-service-role-v0``) reaches only the buckets
chosen by hand in QuickSight's security settings, so a data set over the lake fails with
insufficient permissions until someone clicks (QuickSight user guide, "Insufficient permissions
when using Athena with QuickSight":
https://docs.aws.amazon.com/quicksight/latest/user/troubleshoot-athena-insufficient-permissions.html).
An Athena data source can name its own role instead (AthenaParameters ``RoleArn``,
https://docs.aws.amazon.com/quicksight/latest/APIReference/API_AthenaParameters.html); that role
needs Athena in the workgroup, Glue on the tables, S3 on their locations and on the results
prefix, and the buckets' KMS key through S3 (with S3 Bucket Keys the encryption context is the
bucket's ARN: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
"""

from __future__ import annotations

import json

import pytest

from obsgov.graph import ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

from .test_audit_support import lint

REGION = "eu-west-1"
OBSERVABILITY = "100000000002"
ROLE = f"arn:aws:iam::{OBSERVABILITY}:role/obsgov-prod-quicksight-athena"
LAKE = "obsgov-prod-metric-lake-100000000002"
LIFECYCLE = "obsgov-prod-model-lifecycle-archive-100000000002"


def _one(graph: ResourceGraph, type_token: str, name: str):
    found = [r for r in graph.of_type(type_token) if r.name == name]
    assert len(found) == 1, name
    return found[0]


@pytest.fixture
def prod(example_graph) -> ResourceGraph:
    return example_graph("prod", True)


def _role_policy(prod: ResourceGraph) -> dict:
    return json.loads(
        _one(prod, "aws:iam/rolePolicy:RolePolicy", "business-views-prod-athena-policy").inputs[
            "policy"
        ]
    )


def _decision(policy: dict, action: str, resource: str, context: dict | None = None) -> Decision:
    request = Request(Principal(account=OBSERVABILITY, arn=ROLE), action, resource, context or {})
    return evaluate(request, [policy], None, OBSERVABILITY).decision


def test_the_data_source_queries_as_its_own_role_trusted_by_quicksight_only(prod):
    source = _one(prod, "aws:quicksight/dataSource:DataSource", "business-views-prod-athena")
    role = _one(prod, "aws:iam/role:Role", "business-views-prod-athena-role")
    policy = _one(prod, "aws:iam/rolePolicy:RolePolicy", "business-views-prod-athena-policy")
    assert role.urn in source.property_dependencies["parameters"]
    assert policy.urn in source.dependencies  # QuickSight validates the source as the role
    assert role.inputs["name"] == "obsgov-prod-quicksight-athena"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {
            "Sid": "ServiceAssumesRole",
            "Effect": "Allow",
            "Principal": {"Service": "quicksight.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": OBSERVABILITY}},
        }
    ]
    assert role.account == source.account == OBSERVABILITY


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:GetObject", f"arn:aws:s3:::{LAKE}/metrics/2026/01/01/part.gz"),
        ("s3:GetObject", f"arn:aws:s3:::{LIFECYCLE}/events/2026/01/01/part.gz"),
        ("s3:PutObject", f"arn:aws:s3:::{LAKE}/athena-results/q.csv"),
        ("s3:GetObject", f"arn:aws:s3:::{LAKE}/athena-results/q.csv"),
        ("s3:ListBucket", f"arn:aws:s3:::{LIFECYCLE}"),
        (
            "athena:StartQueryExecution",
            f"arn:aws:athena:{REGION}:{OBSERVABILITY}:workgroup/obsgov-prod-metrics",
        ),
        (
            "glue:GetTable",
            f"arn:aws:glue:{REGION}:{OBSERVABILITY}:table/obsgov_prod_metrics/platform_metrics",
        ),
        (
            "glue:GetPartitions",
            f"arn:aws:glue:{REGION}:{OBSERVABILITY}:table/obsgov_prod_lifecycle/events",
        ),
    ],
)
def test_the_role_reaches_what_the_data_sets_read_and_write(prod, action, resource):
    assert _decision(_role_policy(prod), action, resource) == Decision.ALLOW


@pytest.mark.parametrize("bucket", [LAKE, LIFECYCLE])
@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey"])
def test_the_role_uses_the_buckets_keys_through_s3_for_those_buckets_only(prod, bucket, action):
    policy = _role_policy(prod)
    key = f"arn:aws:kms:{REGION}:{OBSERVABILITY}:key/0b1c2d3e-aaaa-bbbb-cccc-000000000001"
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    context = {**via_s3, "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    assert _decision(policy, action, key, context) == Decision.ALLOW
    other = {**via_s3, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::someone-elses-bucket"}
    assert _decision(policy, action, key, other) != Decision.ALLOW
    assert _decision(policy, action, key, {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}) != (
        Decision.ALLOW
    )


def test_the_role_writes_nothing_but_query_results(prod):
    policy = _role_policy(prod)
    assert _decision(policy, "s3:PutObject", f"arn:aws:s3:::{LAKE}/metrics/x") != Decision.ALLOW
    assert _decision(policy, "s3:GetObject", "arn:aws:s3:::another-bucket/x") != Decision.ALLOW
    assert _decision(policy, "s3:DeleteObject", f"arn:aws:s3:::{LAKE}/athena-results/x") != (
        Decision.ALLOW
    )


def test_the_role_policy_lints_clean(prod):
    # parliament's condition-key table lacks kms:ResourceAliases, which KMS documents for
    # kms:Decrypt (KMS developer guide, "kms:ResourceAliases" in AWS KMS condition keys)
    alias_key = (
        "UNKNOWN_CONDITION_FOR_ACTION",
        "MEDIUM",
        "Unknown condition kms:ResourceAliases for action kms:Decrypt",
    )
    assert [f for f in lint(json.dumps(_role_policy(prod))) if f != alias_key] == []
