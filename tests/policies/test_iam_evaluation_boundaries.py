"""Permissions boundaries, SCP levels, condition operators and ``definite`` answers of the
one IAM evaluator, against the examples in AWS's own documentation (onboarding proves the
deployment role with them: tests/accounts/test_deployment_role_policy.py).

Each case cites the page it comes from; the expected verdict is what that page says.
"""

from __future__ import annotations

from typing import Any

import pytest

from obsgov_policies.iam_evaluation import (
    UNKNOWN,
    Decision,
    Evaluation,
    PolicyError,
    Principal,
    Request,
    arn_matches,
    evaluate,
)

EVALUATION = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
)
BOUNDARIES = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTIVALUED = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
REGION_SCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html"


DATES = OPERATORS + "#Conditions_Date"
ARNS = OPERATORS + "#Conditions_ARN"
MULTIVALUED_EXAMPLES = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html"

ACCOUNT = "111122223333"
ROLE = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/deployer")

IMPLICIT, EXPLICIT = Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def conditional(effect: str, action: str, condition: dict[str, Any]) -> dict[str, Any]:
    """A policy of one statement on every resource, with a Condition block."""
    return doc({"Effect": effect, "Action": action, "Resource": "*", "Condition": condition})


def req(action: str, resource: Any = "*", context: dict[str, Any] | None = None) -> Request:
    """A request the role makes in its own account."""
    return Request(ROLE, action, resource, context or {})


def decide(request: Request, identity, boundary=None, scps=()) -> Evaluation:
    """As onboarding asks: no resource policy, the role's own account, a definite answer."""
    return evaluate(request, identity, None, ACCOUNT, boundary=boundary, scps=scps, definite=True)


# BOUNDARIES, "Example: the user ShirleyRodriguez": the boundary allows S3, CloudWatch and EC2;
# the identity policy allows iam:CreateUser; "Shirley cannot create users".
SHIRLEY_BOUNDARY = doc(
    {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}
)
SHIRLEY_IDENTITY = doc({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"})


def test_boundary_caps_what_the_identity_policy_allows():
    request = req("iam:CreateUser", "arn:aws:iam::111122223333:user/new")
    decision = decide(request, [SHIRLEY_IDENTITY], SHIRLEY_BOUNDARY)
    assert decision.decision is IMPLICIT
    assert decision.reason == "no statement of the permissions boundary allows it"
    # the same request without a boundary is allowed: the boundary made the difference
    assert decide(request, [SHIRLEY_IDENTITY]).allowed


def test_boundary_alone_grants_nothing():
    # BOUNDARIES: "A permissions boundary does not grant permissions on its own."
    request = req("s3:GetObject", "arn:aws:s3:::bucket/key")
    assert decide(request, [SHIRLEY_IDENTITY], SHIRLEY_BOUNDARY).decision is IMPLICIT


def test_explicit_deny_anywhere_wins():
    # EVALUATION: "an explicit deny in any of these policies overrides the allow"
    allow_all = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::logs"})
    request = req("s3:DeleteBucket", "arn:aws:s3:::logs")
    assert decide(request, [allow_all, deny]).decision is EXPLICIT
    assert decide(request, [allow_all], boundary=deny).decision is EXPLICIT
    assert decide(req("s3:DeleteBucket", "arn:aws:s3:::other"), [allow_all, deny]).allowed


def test_actions_ignore_case_and_take_wildcards_resources_do_not_ignore_case():
    # Action element: "The prefix and the action name are case insensitive."
    policy = doc({"Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::Bucket/*"})
    assert decide(req("s3:GetObject", "arn:aws:s3:::Bucket/a/b"), [policy]).allowed
    assert not decide(req("s3:GetObject", "arn:aws:s3:::bucket/a"), [policy]).allowed
    assert not decide(req("s3:PutObject", "arn:aws:s3:::Bucket/a"), [policy]).allowed


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
    request = req(action, "*", {"aws:RequestedRegion": region})
    assert decide(request, [FULL], scps=[[FULL, REGION_DENY]]).allowed is allowed


def test_scp_without_an_allow_denies():
    # EVALUATION: an SCP must allow the action at every level; FullAWSAccess is what allows it
    request = req("s3:ListBucket", "*", {"aws:RequestedRegion": "eu-west-1"})
    assert decide(request, [FULL], scps=[[REGION_DENY]]).decision is IMPLICIT
    assert decide(request, [FULL], scps=[[FULL, REGION_DENY]]).allowed


def test_missing_key_fails_positive_operators_and_passes_negated_ones():
    # OPERATORS: "If the key ... is not present in the request context, the values do not match
    # and the condition is false. If the policy condition requires that the key is not
    # matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    # condition is true."
    positive = conditional(
        "Allow",
        "iam:CreateRole",
        {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
    )
    negated = conditional(
        "Deny",
        "iam:CreateRole",
        {"StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
    )
    bare = req("iam:CreateRole", "arn:aws:iam::1:role/r")
    bound = req(
        "iam:CreateRole",
        "arn:aws:iam::1:role/r",
        {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"},
    )
    assert not decide(bare, [positive]).allowed
    assert decide(bound, [positive]).allowed
    assert decide(bare, [FULL, negated]).decision is EXPLICIT
    assert decide(bound, [FULL, negated]).allowed


def test_if_exists_passes_when_the_key_is_absent():
    # OPERATORS, "...IfExists condition operators": "If the policy key is present in the
    # context of the request, process the key as specified in the policy. If the key is not
    # present, evaluate the condition element as true."
    policy = conditional(
        "Allow", "ec2:RunInstances", {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*"]}}
    )
    assert decide(req("ec2:RunInstances"), [policy]).allowed
    assert decide(req("ec2:RunInstances", "*", {"ec2:InstanceType": "t2.micro"}), [policy]).allowed
    assert not decide(
        req("ec2:RunInstances", "*", {"ec2:InstanceType": "m5.large"}), [policy]
    ).allowed


def test_keys_are_anded_values_are_ored_and_key_names_ignore_case():
    policy = conditional(
        "Allow",
        "sns:Publish",
        {"StringEquals": {"aws:SourceAccount": ["1", "2"], "aws:PrincipalOrgID": "o-a"}},
    )
    ok = {"AWS:SourceAccount": "2", "aws:principalorgid": "o-a"}
    assert decide(req("sns:Publish", "*", ok), [policy]).allowed
    assert not decide(
        req("sns:Publish", "*", {**ok, "aws:principalorgid": "o-b"}), [policy]
    ).allowed


def test_multivalued_keys():
    # MULTIVALUED: ForAllValues is true when every request value matches, and when there is
    # none; ForAnyValue needs at least one match.
    only = conditional(
        "Allow", "iam:TagRole", {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}
    )
    assert decide(req("iam:TagRole", "*", {"aws:TagKeys": ["team"]}), [only]).allowed
    assert decide(req("iam:TagRole", "*", {}), [only]).allowed
    assert not decide(req("iam:TagRole", "*", {"aws:TagKeys": ["team", "x"]}), [only]).allowed
    deny_any = conditional(
        "Deny", "iam:UntagRole", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["managed-by"]}}
    )
    assert (
        decide(
            req("iam:UntagRole", "*", {"aws:TagKeys": ["x", "managed-by"]}), [FULL, deny_any]
        ).decision
        is EXPLICIT
    )
    assert decide(req("iam:UntagRole", "*", {"aws:TagKeys": ["x"]}), [FULL, deny_any]).allowed


def test_null_operator():
    policy = conditional("Deny", "kms:CreateKey", {"Null": {"aws:RequestTag/managed-by": "true"}})
    assert decide(req("kms:CreateKey"), [FULL, policy]).decision is EXPLICIT
    tagged = req("kms:CreateKey", "*", {"aws:RequestTag/managed-by": "obsgov"})
    assert decide(tagged, [FULL, policy]).allowed


def test_what_it_cannot_judge_is_refused_not_guessed():
    with pytest.raises(PolicyError, match="policy variables"):
        decide(
            req("s3:GetObject", "arn:aws:s3:::b/k"),
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
        decide(
            req("s3:GetObject"),
            [conditional("Allow", "s3:*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})],
        )
    with pytest.raises(PolicyError, match="NotPrincipal"):
        decide(req("s3:GetObject"), [doc({**FULL["Statement"][0], "NotPrincipal": "*"})])
    with pytest.raises(PolicyError, match="Action or NotAction"):
        decide(req("s3:GetObject"), [doc({"Effect": "Allow", "Resource": "*"})])
    with pytest.raises(PolicyError, match="can't be decided"):
        decide(req("s3:GetObject", UNKNOWN), [doc({**FULL["Statement"][0], "Resource": "a"})])


def test_without_definite_the_same_cases_are_unknown_not_guessed():
    """The deploy-readiness pack asks three-valued: what the evaluator does not model is
    UNKNOWN, even when the key is absent (an operator it does not know may be a negated one,
    which an absent key satisfies: OPERATORS)."""

    def three_valued(statement: dict[str, Any]) -> Decision:
        request = req("s3:GetObject", "arn:aws:s3:::b/k")
        return evaluate(request, [doc(statement)], None, ACCOUNT).decision

    allow = {"Effect": "Allow", "Action": "s3:*"}
    assert three_valued({**allow, "Resource": "arn:aws:s3:::b/${aws:username}/*"}) is (
        Decision.UNKNOWN
    )
    not_ip = {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert three_valued({**allow, "Resource": "*", "Condition": not_ip}) is Decision.UNKNOWN


# --------------------------------------------------------------------------- guardrails


def test_an_scp_caps_what_a_resource_policy_grants_too():
    # EVALUATION, "Determining whether a request is allowed or denied within an account":
    # SCPs are evaluated before resource-based policies; without an Allow at every level the
    # request is implicitly denied, whichever policy granted it.
    bucket = "arn:aws:s3:::reports/r.csv"
    grant = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE.arn},
            "Action": "s3:GetObject",
            "Resource": bucket,
        }
    )
    request = req("s3:GetObject", bucket)
    assert evaluate(request, [], [grant], ACCOUNT).allowed
    ec2_only = doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    capped = evaluate(request, [], [grant], ACCOUNT, scps=[[ec2_only]])
    assert capped.decision is IMPLICIT
    assert capped.reasons[-1] == "no statement of the service control policies (level 1) allows it"
    # a service principal is not governed by the account's SCPs or a role's boundary
    service = Request(Principal(ACCOUNT, service="logs.amazonaws.com"), "s3:GetObject", bucket)
    service_grant = doc({**grant["Statement"][0], "Principal": {"Service": "logs.amazonaws.com"}})
    assert evaluate(service, None, [service_grant], ACCOUNT, scps=[[ec2_only]]).allowed


def test_boundary_statements_are_read_from_json_text_as_iam_stores_them():
    import json

    request = req("iam:CreateUser", "arn:aws:iam::111122223333:user/new")
    assert decide(
        request, [json.dumps(SHIRLEY_IDENTITY)], json.dumps(SHIRLEY_BOUNDARY)
    ).decision is (IMPLICIT)
    with pytest.raises(PolicyError, match="not a policy document"):
        decide(request, ["{not json"])


# --------------------------------------------------------------------------- operators


def _when(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    statement = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    return decide(
        req("sns:Publish", "*", context), [doc({**statement, "Condition": condition})]
    ).allowed


def test_arn_equals_takes_wildcards_like_arn_like():
    # ARNS: "ArnEquals, ArnLike: Case-sensitive matching of the ARN. Each of the six
    # colon-delimited components of the ARN is checked separately and each can include
    # multi-character match wildcards (*) or single-character match wildcards (?)."
    rule = "arn:aws:events:eu-west-1:111122223333:rule/obsgov-drift"
    for operator in ("ArnEquals", "ArnLike"):
        condition = {operator: {"aws:SourceArn": "arn:aws:events:*:111122223333:rule/obsgov-*"}}
        assert _when(condition, {"aws:SourceArn": rule}), operator
        assert not _when(condition, {"aws:SourceArn": rule.replace("obsgov", "Obsgov")}), operator
    negated = {"ArnNotEquals": {"aws:SourceArn": "arn:aws:events:*:111122223333:rule/obsgov-*"}}
    assert not _when(negated, {"aws:SourceArn": rule})


def test_null_treats_an_empty_value_as_absent_and_ors_its_values():
    # MULTIVALUED_EXAMPLES: a Null condition with false checks "if the context key in the
    # request exists and its value is not null", which keeps "context keys with empty
    # values" from evaluating to true
    exists = {"Null": {"aws:TagKeys": "false"}}
    assert _when(exists, {"aws:TagKeys": ["team"]})
    assert not _when(exists, {"aws:TagKeys": []})
    assert not _when(exists, {})
    either = {"Null": {"aws:TagKeys": ["true", "false"]}}  # values of one key are ORed
    assert _when(either, {})
    assert _when(either, {"aws:TagKeys": ["team"]})


def test_date_operators_compare_iso_8601_and_epoch_instants():
    # DATES: "Date condition operators ... comparing a key to a date/time value"; values in
    # W3C ISO 8601 date formats or epoch (UNIX) time
    before = {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}
    assert _when(before, {"aws:CurrentTime": "2025-12-31T23:59:59Z"})
    assert not _when(before, {"aws:CurrentTime": "2026-01-01T00:00:00Z"})
    assert _when(before, {"aws:CurrentTime": "1767225599"})  # epoch, one second before
    assert not _when(before, {"aws:CurrentTime": "not a date"})
    after = {"DateGreaterThanEquals": {"aws:EpochTime": "1767225600"}}
    assert _when(after, {"aws:EpochTime": "2026-01-01T00:00:00+00:00"})
    assert _when({"DateNotEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {})
