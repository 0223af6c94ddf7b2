"""The IAM evaluator against the examples of AWS's policy evaluation documentation.

Pages (IAM User Guide):
* reference_policies_evaluation-logic.html, "Example identity-based and resource-based policy
  evaluation" (Carlos and the carlossalazar buckets) and "The difference between explicit and
  implicit denies" (AllowGetList / DenyReports);
* reference_policies_evaluation-logic-cross-account.html, "Example cross-account policy
  evaluation" (Carlos in 111111111111, the Production buckets in 222222222222);
* reference_policies_multi-value-conditions.html (conditions ANDed, values ORed, negated
  operators; ForAllValues / ForAnyValue on dynamodb:Attributes);
* reference_policies_elements_condition_operators.html (absent keys, ...IfExists, Null, ARN
  operators).
KMS: docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html (a key policy that
allows the account delegates to IAM policies); determining-access-key-policy.html.
"""

from __future__ import annotations

from typing import Any

import pytest

from obsgov_policies.iam_evaluation import (
    UNKNOWN,
    Decision,
    Principal,
    Request,
    arn_matches,
    evaluate,
    evaluate_condition,
    evaluate_policies,
    wildcard_match,
)

CARLOS = Principal(account="123456789012", arn="arn:aws:iam::123456789012:user/carlossalazar")

CARLOS_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketLocation",
                "s3:GetAccountPublicAccessBlock",
                "s3:ListAccessPoints",
                "s3:ListAllMyBuckets",
            ],
            "Resource": "arn:aws:s3:::*",
        },
        {
            "Sid": "AllowS3Self",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        },
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
    ],
}
CARLOS_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        }
    ],
}


def test_same_account_example_denies_the_logs_bucket_explicitly():
    # "AWS first checks for a Deny statement ... It finds one ... Carlos is denied access."
    request = Request(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs")
    result = evaluate(request, [CARLOS_IDENTITY], None, "123456789012")
    assert result.decision is Decision.EXPLICIT_DENY


def test_same_account_example_allows_his_own_bucket():
    # "Both the identity-based policy and the resource-based policy allow the request."
    request = Request(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/report.txt")
    result = evaluate(request, [CARLOS_IDENTITY], [CARLOS_BUCKET_POLICY], "123456789012")
    assert result.decision is Decision.ALLOW


def test_same_account_either_side_is_enough():
    # "If one of the policy types allows the request and the other doesn't, the request is
    # still allowed."
    request = Request(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/report.txt")
    assert evaluate(request, [], [CARLOS_BUCKET_POLICY], "123456789012").decision is Decision.ALLOW
    assert evaluate(request, [CARLOS_IDENTITY], [], "123456789012").decision is Decision.ALLOW
    assert evaluate(request, [], [], "123456789012").decision is Decision.IMPLICIT_DENY


def test_explicit_and_implicit_denies_example():
    policy = {
        "Statement": [
            {
                "Sid": "AllowGetList",
                "Effect": "Allow",
                "Action": ["iam:Get*", "iam:List*"],
                "Resource": "*",
            },
            {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
        ]
    }
    principal = Principal("123456789012", "arn:aws:iam::123456789012:user/u")

    def decide(action):
        return evaluate_policies([policy], Request(principal, action, "*"), False).decision

    assert decide("iam:GetRole") is Decision.ALLOW
    assert decide("iam:CreatePolicy") is Decision.IMPLICIT_DENY
    assert decide("iam:GetOrganizationsAccessReport") is Decision.EXPLICIT_DENY


CROSS_CARLOS = Principal("111111111111", "arn:aws:iam::111111111111:user/carlossalazar")
CROSS_IDENTITY = {
    "Statement": [
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": "s3:ListAllMyBuckets",
            "Resource": "*",
        },
        {
            "Sid": "AllowS3ProductionObjectActions",
            "Effect": "Allow",
            "Action": "s3:*Object*",
            "Resource": "arn:aws:s3:::Production/*",
        },
        {
            "Sid": "DenyS3Logs",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"],
        },
    ]
}
PRODUCTION_POLICY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
            "Principal": {"AWS": "arn:aws:iam::111111111111:user/carlossalazar"},
            "Resource": "arn:aws:s3:::Production/*",
        }
    ]
}


def test_cross_account_example_denies_the_logs_bucket():
    request = Request(CROSS_CARLOS, "s3:PutObject", "arn:aws:s3:::Production-logs/file")
    result = evaluate(request, [CROSS_IDENTITY], None, "222222222222")
    assert result.decision is Decision.EXPLICIT_DENY


def test_cross_account_example_allows_production_when_both_accounts_allow():
    request = Request(CROSS_CARLOS, "s3:PutObject", "arn:aws:s3:::Production/file")
    assert (
        evaluate(request, [CROSS_IDENTITY], [PRODUCTION_POLICY], "222222222222").decision
        is Decision.ALLOW
    )


def test_cross_account_needs_both_sides():
    request = Request(CROSS_CARLOS, "s3:PutObject", "arn:aws:s3:::Production/file")
    # no bucket policy: the trusting account does not allow
    assert evaluate(request, [CROSS_IDENTITY], None, "222222222222").decision.denied
    # the bucket policy alone: the trusted account's identity policy does not allow
    assert evaluate(request, [], [PRODUCTION_POLICY], "222222222222").decision.denied
    # "He can create and edit, but not delete the objects in the bucket."
    delete = Request(CROSS_CARLOS, "s3:DeleteObject", "arn:aws:s3:::Production/file")
    result = evaluate(delete, [CROSS_IDENTITY], [PRODUCTION_POLICY], "222222222222")
    assert result.decision is Decision.IMPLICIT_DENY


def test_unknown_account_is_never_allowed_by_a_one_sided_grant():
    principal = Principal(UNKNOWN, "arn:aws:iam::111111111111:user/carlossalazar")
    request = Request(principal, "s3:PutObject", "arn:aws:s3:::Production/file")
    assert evaluate(request, [], [PRODUCTION_POLICY], "222222222222").decision is Decision.UNKNOWN


# --------------------------------------------------------------------------- conditions

CONDITION_BLOCK = {
    "StringEqualsIgnoreCase": {
        "aws:PrincipalTag/department": ["finance", "hr", "legal"],
        "aws:PrincipalTag/role": ["audit", "security"],
    },
    "StringEquals": {"aws:PrincipalAccount": "123456789012"},
}


def _statement(condition):
    return {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": condition,
    }


def _applies(condition, context):
    request = Request(CARLOS, "s3:GetObject", "arn:aws:s3:::b/k", context)
    return evaluate_policies([{"Statement": [_statement(condition)]}], request, True).decision


def test_multiple_keys_are_anded_and_values_ored():
    full = {
        "aws:PrincipalTag/department": "HR",
        "aws:PrincipalTag/role": "audit",
        "aws:PrincipalAccount": "123456789012",
    }
    assert _applies(CONDITION_BLOCK, full) is Decision.ALLOW
    assert (
        _applies(CONDITION_BLOCK, {**full, "aws:PrincipalTag/role": "dev"})
        is Decision.IMPLICIT_DENY
    )
    missing_role = {k: v for k, v in full.items() if k != "aws:PrincipalTag/role"}
    assert _applies(CONDITION_BLOCK, missing_role) is Decision.IMPLICIT_DENY


def test_negated_operators_need_every_value_to_miss():
    condition = {"StringNotEquals": {"aws:PrincipalAccount": ["111111111111", "222222222222"]}}
    assert _applies(condition, {"aws:PrincipalAccount": "333333333333"}) is Decision.ALLOW
    assert _applies(condition, {"aws:PrincipalAccount": "222222222222"}) is Decision.IMPLICIT_DENY
    # an absent key makes a negated condition true
    assert _applies(condition, {}) is Decision.ALLOW


def test_for_all_values_and_for_any_value_on_the_dynamodb_example():
    allow_only = {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Message", "Tags"]}}
    request = lambda values: {"dynamodb:Attributes": values}  # noqa: E731
    assert _applies(allow_only, request(["ID", "Message", "Tags"])) is Decision.ALLOW
    assert _applies(allow_only, request(["ID", "UserName"])) is Decision.IMPLICIT_DENY
    # "it returns true if there are no keys in the request"
    assert _applies(allow_only, {}) is Decision.ALLOW
    forbidden = {"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID", "PostDateTime"]}}
    assert _applies(forbidden, request(["PostDateTime", "Message"])) is Decision.ALLOW
    assert _applies(forbidden, request(["UserName"])) is Decision.IMPLICIT_DENY
    assert _applies(forbidden, {}) is Decision.IMPLICIT_DENY


def test_absent_keys_if_exists_and_null():
    like = {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    if_exists = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert _applies(like, {}) is Decision.IMPLICIT_DENY
    assert _applies(if_exists, {}) is Decision.ALLOW
    assert _applies(if_exists, {"ec2:InstanceType": "t2.micro"}) is Decision.ALLOW
    assert _applies(if_exists, {"ec2:InstanceType": "c5.large"}) is Decision.IMPLICIT_DENY
    null = {"Null": {"aws:TokenIssueTime": "true"}}
    assert _applies(null, {}) is Decision.ALLOW
    assert _applies(null, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is Decision.IMPLICIT_DENY


def test_condition_keys_are_case_insensitive_and_unknown_values_stay_unknown():
    condition = {"StringEquals": {"AWS:SourceAccount": "111122223333"}}
    assert _applies(condition, {"aws:sourceaccount": "111122223333"}) is Decision.ALLOW
    assert _applies(condition, {"aws:SourceAccount": UNKNOWN}) is Decision.UNKNOWN
    result = evaluate_condition("StringEquals", "aws:SourceAccount", "1", Request(CARLOS, "a", "*"))
    assert result.truth is False
    assert result.actual is None


def test_policy_variables_are_undecided_not_matched():
    condition = {"StringEquals": {"aws:username": "${aws:username}"}}
    assert _applies(condition, {"aws:username": "carlos"}) is Decision.UNKNOWN


def test_arn_operators_match_part_by_part():
    assert arn_matches(
        "arn:aws:logs:eu-west-1:*:*", "arn:aws:logs:eu-west-1:111122223333:log-group:x"
    )
    assert not arn_matches("arn:aws:logs:eu-west-1:*:*", "arn:aws:logs:us-east-1:111122223333:x")
    assert arn_matches("arn:aws:s3:::bucket/*", UNKNOWN) is None
    assert wildcard_match("s3:*Object*", "s3:PutObjectAcl")
    assert not wildcard_match("arn:aws:s3:::[ab]", "arn:aws:s3:::a")  # no fnmatch classes


# --------------------------------------------------------------------------- services and keys

TOPIC = "arn:aws:sns:eu-west-1:111122223333:alerts"


def _topic_policy(source_arn):
    return {
        "Statement": [
            {
                "Sid": "RulePublishes",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": TOPIC,
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            },
            {
                "Sid": "AccountPublishes",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sns:Publish",
                "Resource": TOPIC,
            },
        ]
    }


def test_a_service_principal_needs_the_resource_policy_and_its_conditions():
    # docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    events = Principal("111122223333", service="events.amazonaws.com")
    rule = "arn:aws:events:eu-west-1:111122223333:rule/bus/other-rule"
    request = Request(events, "sns:Publish", TOPIC, {"aws:SourceArn": rule})
    result = evaluate(
        request,
        None,
        [_topic_policy("arn:aws:events:eu-west-1:111122223333:rule/bus/r")],
        "111122223333",
    )
    assert result.decision is Decision.IMPLICIT_DENY
    assert result.reason == (
        "no statement of the resource policy allows it: statement RulePublishes fails on "
        "ArnEquals aws:SourceArn arn:aws:events:eu-west-1:111122223333:rule/bus/r (the request "
        f"has {rule})"
    )
    allowed = evaluate(request, None, [_topic_policy(rule)], "111122223333")
    assert allowed.decision is Decision.ALLOW
    assert evaluate(request, None, None, "111122223333").decision is Decision.IMPLICIT_DENY


def test_aws_star_includes_services():
    # reference_policies_elements_principal.html: "Principal": "*" and {"AWS": "*"} are the
    # same, everyone; SNS's default topic policy relies on it for in-account services
    events = Principal("111122223333", service="events.amazonaws.com")
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "SNS:Publish",
                "Resource": TOPIC,
                "Condition": {"StringEquals": {"AWS:SourceOwner": "111122223333"}},
            }
        ]
    }
    own = Request(events, "sns:Publish", TOPIC, {"aws:SourceOwner": "111122223333"})
    other = Request(events, "sns:Publish", TOPIC, {"aws:SourceOwner": "999999999999"})
    assert evaluate(own, None, [policy], "111122223333").decision is Decision.ALLOW
    assert evaluate(other, None, [policy], "111122223333").decision is Decision.IMPLICIT_DENY


def test_an_account_grant_delegates_to_iam():
    role = Principal("111122223333", "arn:aws:iam::111122223333:role/app")
    request = Request(role, "sns:Publish", TOPIC)
    policy = [_topic_policy("arn:aws:events:eu-west-1:111122223333:rule/x")]
    assert evaluate(request, [], policy, "111122223333").decision is Decision.IMPLICIT_DENY
    grant = {"Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": TOPIC}]}
    assert evaluate(request, [grant], policy, "111122223333").decision is Decision.ALLOW


KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd"
DEFAULT_KEY_POLICY = {
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
}


def test_a_key_policy_naming_the_account_needs_an_iam_grant_too():
    role = Principal("111122223333", "arn:aws:iam::111122223333:role/firehose")
    request = Request(
        role, "kms:GenerateDataKey", KEY, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    )
    no_grant = evaluate(request, [], [DEFAULT_KEY_POLICY], "111122223333", resource_must_allow=True)
    assert no_grant.decision is Decision.IMPLICIT_DENY
    grant = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
            }
        ]
    }
    with_grant = evaluate(
        request, [grant], [DEFAULT_KEY_POLICY], "111122223333", resource_must_allow=True
    )
    assert with_grant.decision is Decision.ALLOW
    # an identity grant alone never opens a key whose policy does not name the account
    closed: dict[str, Any] = {"Statement": []}
    assert evaluate(
        request, [grant], [closed], "111122223333", resource_must_allow=True
    ).decision.denied


def test_identity_policies_the_stack_does_not_hold_are_unknown():
    role = Principal("111122223333", "arn:aws:iam::111122223333:role/elsewhere")
    request = Request(role, "kms:Decrypt", KEY)
    result = evaluate(request, None, [DEFAULT_KEY_POLICY], "111122223333", resource_must_allow=True)
    assert result.decision is Decision.UNKNOWN
    assert result.reason == "the principal's policies are not in this stack"


@pytest.mark.parametrize(
    ("principal_block", "expected"),
    [
        ("*", Decision.ALLOW),
        ({"AWS": "*"}, Decision.ALLOW),
        ({"AWS": ["111122223333", "*"]}, Decision.ALLOW),
        ({"AWS": "111122223333"}, Decision.IMPLICIT_DENY),  # delegates: IAM must allow
        ({"AWS": "arn:aws:iam::111122223333:role/app"}, Decision.ALLOW),
        ({"AWS": "arn:aws:iam::999999999999:role/app"}, Decision.IMPLICIT_DENY),
        ({"Service": "sns.amazonaws.com"}, Decision.IMPLICIT_DENY),
    ],
)
def test_principal_forms(principal_block, expected):
    role = Principal("111122223333", "arn:aws:iam::111122223333:role/app")
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": principal_block, "Action": "sqs:*", "Resource": "*"}
        ]
    }
    request = Request(role, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q")
    assert evaluate(request, [], [policy], "111122223333").decision is expected
