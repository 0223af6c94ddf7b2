import json

from tests.support.policies import UNKNOWN, check

ID = "obsgov-iam-policy-disallow-public-principal"


def doc(principal, condition=None):
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sns:Publish",
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_named_or_conditioned_principals_pass():
    assert (
        check(
            ID,
            {"policy": doc({"Service": "cloudwatch.amazonaws.com"})},
            "aws:sns/topicPolicy:TopicPolicy",
        )
        == []
    )
    assert (
        check(
            ID,
            {"policy": doc("*", {"StringEquals": {"aws:SourceAccount": "111111111111"}})},
            "aws:sns/topicPolicy:TopicPolicy",
        )
        == []
    )
    assert check(ID, {"name": "t"}, "aws:sns/topic:Topic") == []  # no policy at all


def test_public_principal_without_condition():
    assert check(ID, {"policy": doc("*")}, "aws:s3/bucketPolicy:BucketPolicy") == [
        "Statement 0 of policy allows any principal (*) without a condition."
    ]
    assert check(ID, {"assumeRolePolicy": doc({"AWS": "*"})}, "aws:iam/role:Role") == [
        "Statement 0 of assumeRolePolicy allows any principal (*) without a condition."
    ]


def test_unknown_policy_cannot_be_judged():
    import pytest
    from pulumi_policy.proxy import UnknownValueError

    with pytest.raises(UnknownValueError):
        check(ID, {"policy": UNKNOWN}, "aws:sns/topicPolicy:TopicPolicy")


def test_every_statement_is_judged_and_numbered():
    document = json.dumps(
        {
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "*"},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*"},
                {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:Decrypt"},
            ]
        }
    )
    assert check(ID, {"policy": document}, "aws:kms/key:Key") == [
        "Statement 2 of policy allows any principal (*) without a condition."
    ]


def test_each_type_is_read_at_its_own_key():
    cases = {
        "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
        "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
        "aws:sqs/queuePolicy:QueuePolicy": "policy",
    }
    for resource_type, key in cases.items():
        assert check(ID, {"policy": doc({"Service": "x"}), key: doc("*")}, resource_type) == [
            f"Statement 0 of {key} allows any principal (*) without a condition."
        ], resource_type
