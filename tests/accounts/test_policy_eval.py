"""The IAM evaluator against the examples in AWS's own documentation.

Each case cites the page it comes from; the expected verdict is what that page says.
"""

from __future__ import annotations

import pytest

from obsgov.accounts.policy_eval import PolicyError, Request, arn_matches, evaluate

EVALUATION = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
)
BOUNDARIES = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTIVALUED = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
REGION_SCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# BOUNDARIES, "Example: the user ShirleyRodriguez": the boundary allows S3, CloudWatch and EC2;
# the identity policy allows iam:CreateUser; "Shirley cannot create users".
SHIRLEY_BOUNDARY = doc(
    {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}
)
SHIRLEY_IDENTITY = doc({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"})


def test_boundary_caps_what_the_identity_policy_allows():
    request = Request("iam:CreateUser", "arn:aws:iam::111122223333:user/new")
    decision = evaluate(request, [SHIRLEY_IDENTITY], SHIRLEY_BOUNDARY)
    assert decision.verdict == "implicit-deny"
    assert decision.reason == "not allowed by the permissions boundary"
    # the same request without a boundary is allowed: the boundary made the difference
    assert evaluate(request, [SHIRLEY_IDENTITY]).allowed


def test_boundary_alone_grants_nothing():
    # BOUNDARIES: "A permissions boundary does not grant permissions on its own."
    request = Request("s3:GetObject", "arn:aws:s3:::bucket/key")
    assert evaluate(request, [SHIRLEY_IDENTITY], SHIRLEY_BOUNDARY).verdict == "implicit-deny"


def test_explicit_deny_anywhere_wins():
    # EVALUATION: "an explicit deny in any of these policies overrides the allow"
    allow_all = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::logs"})
    request = Request("s3:DeleteBucket", "arn:aws:s3:::logs")
    assert evaluate(request, [allow_all, deny]).verdict == "explicit-deny"
    assert evaluate(request, [allow_all], boundary=deny).verdict == "explicit-deny"
    assert evaluate(Request("s3:DeleteBucket", "arn:aws:s3:::other"), [allow_all, deny]).allowed


def test_actions_ignore_case_and_take_wildcards_resources_do_not_ignore_case():
    # Action element: "The prefix and the action name are case insensitive."
    policy = doc({"Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::Bucket/*"})
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::Bucket/a/b"), [policy]).allowed
    assert not evaluate(Request("s3:GetObject", "arn:aws:s3:::bucket/a"), [policy]).allowed
    assert not evaluate(Request("s3:PutObject", "arn:aws:s3:::Bucket/a"), [policy]).allowed


def test_resource_wildcards_stay_within_the_first_five_arn_parts():
    assert arn_matches("arn:aws:iam::*:role/obsgov-*", "arn:aws:iam::111122223333:role/obsgov-x")
    assert not arn_matches("arn:aws:iam::*:role/obsgov-*", "arn:aws:iam::1:role/other")
    # a * in the account part does not swallow the resource part's colon-free text
    assert not arn_matches("arn:aws:sns:*:1111:*", "arn:aws:sns:eu-west-1:2222:topic")
    assert arn_matches(
        "arn:aws:logs:*:1111:log-group:*", "arn:aws:logs:eu-west-1:1111:log-group:/a:*"
    )


# REGION_SCP, "Deny access to AWS based on the requested AWS Region": NotAction lists global
# services; everything else outside the named Regions is denied.
REGION_DENY = doc(
    {
        "Sid": "DenyAllOutsideEU",
        "Effect": "Deny",
        "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
    }
)
FULL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})


@pytest.mark.parametrize(
    ("action", "region", "allowed"),
    [
        ("ec2:RunInstances", "eu-west-1", True),
        ("ec2:RunInstances", "us-east-1", False),
        ("iam:CreateRole", "us-east-1", True),  # global: NotAction leaves it alone
    ],
)
def test_region_deny_scp(action, region, allowed):
    request = Request(action, "*", {"aws:RequestedRegion": region})
    assert evaluate(request, [FULL], scps=[[FULL, REGION_DENY]]).allowed is allowed


def test_scp_without_an_allow_denies():
    # EVALUATION: an SCP must allow the action at every level; FullAWSAccess is what allows it
    request = Request("s3:ListBucket", "*", {"aws:RequestedRegion": "eu-west-1"})
    assert evaluate(request, [FULL], scps=[[REGION_DENY]]).verdict == "implicit-deny"
    assert evaluate(request, [FULL], scps=[[FULL, REGION_DENY]]).allowed


def test_missing_key_fails_positive_operators_and_passes_negated_ones():
    # OPERATORS: "If the key ... is not present in the request context, the values do not match
    # and the condition is false. If the policy condition requires that the key is not
    # matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    # condition is true."
    positive = doc(
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
        }
    )
    negated = doc(
        {
            "Effect": "Deny",
            "Action": "iam:CreateRole",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
            },
        }
    )
    bare = Request("iam:CreateRole", "arn:aws:iam::1:role/r")
    bound = Request(
        "iam:CreateRole",
        "arn:aws:iam::1:role/r",
        {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"},
    )
    assert not evaluate(bare, [positive]).allowed
    assert evaluate(bound, [positive]).allowed
    assert evaluate(bare, [FULL, negated]).verdict == "explicit-deny"
    assert evaluate(bound, [FULL, negated]).allowed


def test_if_exists_passes_when_the_key_is_absent():
    # OPERATORS, "...IfExists condition operators": "If the policy key is present in the
    # context of the request, process the key as specified in the policy. If the key is not
    # present, evaluate the condition element as true."
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": "*",
            "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*"]}},
        }
    )
    assert evaluate(Request("ec2:RunInstances"), [policy]).allowed
    assert evaluate(
        Request("ec2:RunInstances", "*", {"ec2:InstanceType": "t2.micro"}), [policy]
    ).allowed
    assert not evaluate(
        Request("ec2:RunInstances", "*", {"ec2:InstanceType": "m5.large"}), [policy]
    ).allowed


def test_keys_are_anded_values_are_ored_and_key_names_ignore_case():
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ["1", "2"], "aws:PrincipalOrgID": "o-a"}
            },
        }
    )
    ok = {"AWS:SourceAccount": "2", "aws:principalorgid": "o-a"}
    assert evaluate(Request("sns:Publish", "*", ok), [policy]).allowed
    assert not evaluate(
        Request("sns:Publish", "*", {**ok, "aws:principalorgid": "o-b"}), [policy]
    ).allowed


def test_multivalued_keys():
    # MULTIVALUED: ForAllValues is true when every request value matches, and when there is
    # none; ForAnyValue needs at least one match.
    only = doc(
        {
            "Effect": "Allow",
            "Action": "iam:TagRole",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}},
        }
    )
    assert evaluate(Request("iam:TagRole", "*", {"aws:TagKeys": ["team"]}), [only]).allowed
    assert evaluate(Request("iam:TagRole", "*", {}), [only]).allowed
    assert not evaluate(Request("iam:TagRole", "*", {"aws:TagKeys": ["team", "x"]}), [only]).allowed
    deny_any = doc(
        {
            "Effect": "Deny",
            "Action": "iam:UntagRole",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["managed-by"]}},
        }
    )
    assert (
        evaluate(
            Request("iam:UntagRole", "*", {"aws:TagKeys": ["x", "managed-by"]}), [FULL, deny_any]
        ).verdict
        == "explicit-deny"
    )
    assert evaluate(Request("iam:UntagRole", "*", {"aws:TagKeys": ["x"]}), [FULL, deny_any]).allowed


def test_null_operator():
    policy = doc(
        {
            "Effect": "Deny",
            "Action": "kms:CreateKey",
            "Resource": "*",
            "Condition": {"Null": {"aws:RequestTag/managed-by": "true"}},
        }
    )
    assert evaluate(Request("kms:CreateKey"), [FULL, policy]).verdict == "explicit-deny"
    tagged = Request("kms:CreateKey", "*", {"aws:RequestTag/managed-by": "obsgov"})
    assert evaluate(tagged, [FULL, policy]).allowed


def test_what_it_cannot_judge_is_refused_not_guessed():
    with pytest.raises(PolicyError, match="policy variables"):
        evaluate(
            Request("s3:GetObject", "arn:aws:s3:::b/k"),
            [
                doc(
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::b/${aws:username}/*",
                    }
                )
            ],
        )
    with pytest.raises(PolicyError, match="not supported"):
        evaluate(
            Request("s3:GetObject"),
            [
                doc(
                    {
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"DateLessThan": {"aws:CurrentTime": "x"}},
                    }
                )
            ],
        )
