"""Onboarding against moto: every step, reruns, and the failures each get their exit code."""

from __future__ import annotations

import difflib
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from obsgov.accounts import InvitationPending, Onboarding, OnboardRequest, StepFailed
from obsgov.accounts.errors import (
    EXIT_ACCESS_DENIED,
    EXIT_ACCOUNT_LIMIT,
    EXIT_CREATE_FAILED,
    EXIT_DUPLICATE_EMAIL,
    EXIT_INVITATION_PENDING,
    EXIT_UNKNOWN_OU,
)

from .support import DEPLOYER, REGION, Throttle, fake_error, fake_response

NEW: dict[str, Any] = dict(
    owner="ml-platform@example.com",
    cost_centre="CC-2100",
    data_classification="confidential",
    ou="ml-prod",
    tags={"team": "ml-platform"},
)
CREATE = OnboardRequest(create=True, name="ml-new-prod", email="aws+ml-new-prod@example.com", **NEW)
ENTRY = """\
  - id: "{id}"
    name: ml-new-prod
    email: aws+ml-new-prod@example.com
    environment: prod
    organizationalUnit: ml-prod
    owner: ml-platform@example.com
    costCentre: CC-2100
    dataClassification: confidential
    tags:
      team: ml-platform
"""
WANTED_TAGS = {
    "environment": "prod",
    "owner": "ml-platform@example.com",
    "cost-centre": "CC-2100",
    "data-classification": "confidential",
    "managed-by": "obsgov",
    "team": "ml-platform",
}


def member_iam(account_id: str):
    """IAM of the member account, reached the way an operator would: the access role."""
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="test",
    )["Credentials"]
    return boto3.client(
        "iam",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def accounts_with(org, email: str) -> list[dict]:
    return [a for a in org.orgs.list_accounts()["Accounts"] if a["Email"] == email]


def onboard(org, request=CREATE, *hooks, dry_run=False, first=()):
    aws = org.aws(*hooks)
    aws.first_hooks = list(first)
    return Onboarding(org.env(), request, aws, dry_run=dry_run, poll_interval=7).run()


def test_create_runs_every_step_and_appends_one_entry_keeping_the_file(org):
    registry = org.stacks / "accounts.yaml"
    before = registry.read_text()
    result = onboard(org)
    account_id = result.account_id

    assert [a["Name"] for a in accounts_with(org, "aws+ml-new-prod@example.com")] == ["ml-new-prod"]
    assert org.orgs.list_parents(ChildId=account_id)["Parents"] == [
        {"Id": org.ou_ids["ml-prod"], "Type": "ORGANIZATIONAL_UNIT"}
    ]
    tags = org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == WANTED_TAGS

    role = member_iam(account_id).get_role(RoleName="ObsgovDeploymentRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": DEPLOYER}, "Action": "sts:AssumeRole"}
    ]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        f"arn:aws:iam::{account_id}:policy/obsgov-deployment-boundary"
    )
    iam = member_iam(account_id)
    assert (
        iam.list_attached_role_policies(RoleName="ObsgovDeploymentRole")["AttachedPolicies"] == []
    )
    assert iam.list_role_policies(RoleName="ObsgovDeploymentRole")["PolicyNames"] == [
        "obsgov-deployment"
    ]
    boundaries = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert boundaries == {"obsgov-deployment-boundary", "obsgov-workload-boundary"}
    with pytest.raises(ClientError) as missing:  # created in the member account, not here
        boto3.client("iam", region_name=REGION).get_role(RoleName="ObsgovDeploymentRole")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    assert result.role_proven is True

    after = registry.read_text()
    diff = [
        line
        for line in difflib.ndiff(before.splitlines(True), after.splitlines(True))
        if line[:1] in "+-"
    ]
    assert "".join(line[2:] for line in diff) == ENTRY.format(id=account_id)
    assert all(line.startswith("+ ") for line in diff)
    # the new prod entry lands after the last prod account, before the blank line
    assert (
        after.index("name: analytics-prod")
        < after.index("name: ml-new-prod")
        < after.index("\nworkloads:")
    )
    assert [a.name for a in org.env().member_accounts][-1] == "ml-new-prod"

    assert org.calls.calls == [
        "sts:GetCallerIdentity",
        "organizations:ListAccounts",
        "organizations:ListCreateAccountStatus",
        "organizations:DescribeOrganizationalUnit",
        "organizations:CreateAccount",
        "organizations:DescribeCreateAccountStatus",
        "organizations:ListParents",
        "organizations:MoveAccount",
        "sts:AssumeRole",
        "iam:GetPolicy",
        "iam:CreatePolicy",
        "iam:GetPolicy",
        "iam:CreatePolicy",
        "iam:GetRole",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "sts:AssumeRole",
        *["account:GetAlternateContact", "account:PutAlternateContact"] * 3,
        "sso-admin:ListAccountAssignments",
        "sso-admin:CreateAccountAssignment",
        "organizations:ListPolicies",
        "organizations:CreatePolicy",
        "organizations:ListPoliciesForTarget",
        "organizations:AttachPolicy",
    ]


def test_rerun_after_success_writes_nothing_to_aws_or_the_file(org):
    first = onboard(org)
    registry = org.stacks / "accounts.yaml"
    before = registry.read_bytes()
    org.calls.calls.clear()
    again = onboard(org)
    assert again.account_id == first.account_id
    assert again.plan.changes == []
    assert org.calls.writes == []
    assert registry.read_bytes() == before


def test_create_polls_until_the_account_exists(org):
    polls = []

    def in_progress(parsed=None, model=None, **_):
        if model.name == "DescribeCreateAccountStatus":
            polls.append(1)
            if len(polls) < 3:
                parsed["CreateAccountStatus"]["State"] = "IN_PROGRESS"

    slept: list[float] = []
    aws = org.aws(("after-call", in_progress))
    aws.sleep = slept.append
    result = Onboarding(org.env(), CREATE, aws, poll_interval=7).run()
    assert len(polls) == 3
    assert slept == [7, 14, 28]  # backing off
    assert accounts_with(org, "aws+ml-new-prod@example.com")[0]["Id"] == result.account_id


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("EMAIL_ALREADY_EXISTS", EXIT_DUPLICATE_EMAIL),
        ("ACCOUNT_LIMIT_EXCEEDED", EXIT_ACCOUNT_LIMIT),
        ("INVALID_ADDRESS", EXIT_CREATE_FAILED),
    ],
)
def test_create_failure_surfaces_the_reason_and_leaves_the_registry(org, reason, code):
    def failed(parsed=None, model=None, **_):
        if model.name == "DescribeCreateAccountStatus":
            parsed["CreateAccountStatus"].update(State="FAILED", FailureReason=reason)

    before = (org.stacks / "accounts.yaml").read_bytes()
    with pytest.raises(StepFailed) as exc:
        onboard(org, CREATE, ("after-call", failed))
    assert exc.value.code == code
    assert str(exc.value).startswith(f"AWS could not create account ml-new-prod: {reason} ")
    assert (org.stacks / "accounts.yaml").read_bytes() == before


def test_account_limit_on_create_call(org):
    limit = fake_error(
        "CreateAccount",
        "ConstraintViolationException",
        "You have reached the limit",
        Reason="ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    )
    with pytest.raises(StepFailed) as exc:
        onboard(org, CREATE, limit)
    assert exc.value.code == EXIT_ACCOUNT_LIMIT
    assert str(exc.value) == (
        "the organization has reached its account limit "
        "(ACCOUNT_NUMBER_LIMIT_EXCEEDED); request a quota increase"
    )


def test_duplicate_email_in_the_organization(org):
    org.create_account("someone-else", "aws+ml-new-prod@example.com")
    with pytest.raises(StepFailed) as exc:
        onboard(org)
    assert exc.value.code == EXIT_DUPLICATE_EMAIL
    assert "already belongs to account" in str(exc.value)
    assert "(someone-else) in the organization" in str(exc.value)


def test_access_denied_has_its_own_exit_code(org):
    denied = fake_error("ListAccounts", "AccessDeniedException", "not allowed")
    with pytest.raises(StepFailed) as exc:
        onboard(org, CREATE, denied)
    assert exc.value.code == EXIT_ACCESS_DENIED
    assert str(exc.value).startswith(
        "AWS denied ListAccounts while looking for an account with email "
        "aws+ml-new-prod@example.com: not allowed"
    )


def test_unknown_ou_in_aws_stops_before_creating(org):
    path = org.stacks / "organization.yaml"
    path.write_text(path.read_text().replace(org.ou_ids["ml-prod"], "ou-zzzz-zzzzzzzz"))
    with pytest.raises(StepFailed) as exc:
        onboard(org)
    assert exc.value.code == EXIT_UNKNOWN_OU
    assert str(exc.value).startswith("OU 'ml-prod' (ou-zzzz-zzzzzzzz, from organization.yaml)")
    assert accounts_with(org, "aws+ml-new-prod@example.com") == []


def test_unknown_ou_when_moving_an_existing_account(org):
    account_id = org.create_account("ml-old-prod", "aws+ml-old-prod@example.com")
    path = org.stacks / "organization.yaml"
    path.write_text(path.read_text().replace(org.ou_ids["ml-prod"], "ou-zzzz-zzzzzzzz"))
    request = OnboardRequest(account_id=account_id, **NEW)
    with pytest.raises(StepFailed) as exc:
        onboard(org, request)
    assert exc.value.code == EXIT_UNKNOWN_OU


def test_existing_account_is_moved_tagged_and_named_from_organizations(org):
    account_id = org.create_account("ml-old-prod", "aws+ml-old-prod@example.com")
    org.orgs.tag_resource(
        ResourceId=account_id,
        Tags=[{"Key": "owner", "Value": "x@y.com"}, {"Key": "keep", "Value": "me"}],
    )
    result = onboard(org, OnboardRequest(account_id=account_id, **NEW))
    tags = org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {**WANTED_TAGS, "keep": "me"}
    assert org.orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"] == org.ou_ids["ml-prod"]
    assert result.name == "ml-old-prod"
    recorded = {a.id: a for a in org.env().member_accounts}[account_id]
    assert (recorded.name, recorded.email) == ("ml-old-prod", "aws+ml-old-prod@example.com")
    tag_calls = [c for c in org.calls.calls if c == "organizations:TagResource"]
    assert tag_calls == ["organizations:TagResource"]


def test_existing_role_with_wrong_trust_is_corrected(org):
    account_id = org.create_account("ml-old-prod", "aws+ml-old-prod@example.com")
    iam = member_iam(account_id)
    iam.create_role(
        RoleName="ObsgovDeploymentRole",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
                ],
            }
        ),
    )
    onboard(org, OnboardRequest(account_id=account_id, **NEW))
    role = member_iam(account_id).get_role(RoleName="ObsgovDeploymentRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": DEPLOYER}
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        f"arn:aws:iam::{account_id}:policy/obsgov-deployment-boundary"
    )
    assert "iam:UpdateAssumeRolePolicy" in org.calls.calls
    assert "iam:PutRolePermissionsBoundary" in org.calls.calls


def test_other_deployer_is_trusted_but_not_claimed_proven(org):
    deployer = "arn:aws:iam::123456789012:role/ci-deployer"
    request = OnboardRequest(
        create=True,
        name="ml-new-prod",
        email="aws+ml-new-prod@example.com",
        deployer_arn=deployer,
        **NEW,
    )
    result = onboard(org, request)
    role = member_iam(result.account_id).get_role(RoleName="ObsgovDeploymentRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": deployer}
    assert result.role_proven is False
    assert org.calls.calls.count("sts:AssumeRole") == 1  # only the access role


# --------------------------------------------------------------------------- invitation


def test_account_outside_the_organization_is_invited_then_onboarded_after_acceptance(org):
    account_id = org.create_account("ml-joining-prod", "aws+joining@example.com")
    not_member = fake_error(
        "DescribeAccount",
        "AccountNotFoundException",
        "You specified an account that doesn't exist.",
    )
    no_handshakes = fake_response("ListHandshakesForOrganization", {"Handshakes": []})
    invite = fake_response("InviteAccountToOrganization", {"Handshake": {"Id": "h-abc123"}})
    request = OnboardRequest(account_id=account_id, **NEW)
    before = (org.stacks / "accounts.yaml").read_bytes()
    with pytest.raises(InvitationPending) as exc:
        onboard(org, request, not_member, no_handshakes, invite)
    assert exc.value.code == EXIT_INVITATION_PENDING
    assert invite[1].seen == [
        {"Target": {"Id": account_id, "Type": "ACCOUNT"}, "Notes": "obsgov: onboarding into prod"}
    ]
    message = str(exc.value)
    assert f"account {account_id} is not in the organization; invitation h-abc123" in message
    assert "accept-handshake --handshake-id h-abc123" in message
    assert "create the IAM role OrganizationAccountAccessRole" in message
    assert (org.stacks / "accounts.yaml").read_bytes() == before

    # a rerun while the invitation is open sends no second one
    pending = fake_response(
        "ListHandshakesForOrganization",
        {
            "Handshakes": [
                {
                    "Id": "h-abc123",
                    "State": "OPEN",
                    "Parties": [{"Id": account_id, "Type": "ACCOUNT"}],
                }
            ]
        },
    )
    invite_again = fake_response("InviteAccountToOrganization", {"Handshake": {"Id": "h-2"}})
    with pytest.raises(InvitationPending):
        onboard(org, request, not_member, pending, invite_again)
    assert invite_again[1].seen == []

    # accepted: the account is now a member and the same command finishes the job
    result = onboard(org, request)
    assert result.account_id == account_id
    assert account_id in {a.id for a in org.env().member_accounts}


# --------------------------------------------------------------------------- faults


def test_throttling_is_retried_with_backoff_and_completes(org):
    throttle = Throttle({"CreateAccount": 2, "MoveAccount": 1, "CreateRole": 2})
    result = onboard(org, CREATE, first=[("before-send", throttle)])
    assert throttle.attempts["CreateAccount"] == 3
    assert throttle.attempts["MoveAccount"] == 2
    assert throttle.attempts["CreateRole"] == 3
    assert org.calls.calls.count("organizations:CreateAccount") == 1
    assert len(accounts_with(org, "aws+ml-new-prod@example.com")) == 1
    assert result.role_proven is True


def test_crash_between_steps_then_rerun_completes_without_duplicates(org):
    class Crash(Exception):
        pass

    def crash(model=None, **_):
        if model.name == "CreateRole":
            raise Crash("power cut")

    with pytest.raises(Crash):
        onboard(org, CREATE, ("before-call", crash))
    assert len(accounts_with(org, "aws+ml-new-prod@example.com")) == 1
    assert "ml-new-prod" not in (org.stacks / "accounts.yaml").read_text()

    org.calls.calls.clear()
    result = onboard(org)
    assert "organizations:CreateAccount" not in org.calls.calls
    assert "iam:CreateRole" in org.calls.calls
    assert len(accounts_with(org, "aws+ml-new-prod@example.com")) == 1
    text = (org.stacks / "accounts.yaml").read_text()
    assert text.count("name: ml-new-prod") == 1
    assert f'id: "{result.account_id}"' in text


def test_crash_during_creation_then_rerun_waits_for_the_same_request(org):
    def crash(model=None, **_):
        if model.name == "DescribeCreateAccountStatus":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        onboard(org, CREATE, ("before-call", crash))
    onboard(org)
    assert len(accounts_with(org, "aws+ml-new-prod@example.com")) == 1


def test_failure_during_the_registry_write_leaves_the_file_unchanged(org, monkeypatch):
    # the registry is written through obsgov.io's one write_atomic, like every output
    import obsgov.io.writer as writer_module
    from obsgov.errors import InputError

    registry = org.stacks / "accounts.yaml"
    before = registry.read_bytes()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module.os, "replace", full_disk)
    with pytest.raises(InputError, match="cannot be written \\(No space left on device\\)"):
        onboard(org)
    assert registry.read_bytes() == before
    leftovers = sorted(p.name for p in org.stacks.iterdir())
    assert leftovers == [
        ".accounts.yaml.aws.lock",
        ".accounts.yaml.lock",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "accounts.yaml",
        "organization.yaml",
    ]


# --------------------------------------------------------------------------- dry run


def test_dry_run_plans_every_write_and_changes_nothing(org):
    before = (org.stacks / "accounts.yaml").read_bytes()
    result = onboard(org, CREATE, dry_run=True)
    assert org.calls.writes == []
    assert accounts_with(org, "aws+ml-new-prod@example.com") == []
    assert (org.stacks / "accounts.yaml").read_bytes() == before
    assert [(s.call, s.status) for s in result.plan.steps] == [
        ("organizations:CreateAccount", "planned"),
        ("organizations:DescribeCreateAccountStatus", "planned"),
        ("organizations:MoveAccount", "planned"),
        ("sts:AssumeRole", "planned"),
        ("iam:CreatePolicy", "planned"),
        ("iam:CreatePolicy", "planned"),
        ("iam:CreateRole", "planned"),
        ("iam:PutRolePolicy", "planned"),
        ("sts:AssumeRole", "planned"),
        *[("account:PutAlternateContact", "planned")] * 3,
        ("sso:CreateAccountAssignment", "planned"),
        ("organizations:CreatePolicy", "planned"),
        ("organizations:AttachPolicy", "planned"),
        ("registry", "planned"),
    ]


def test_dry_run_of_an_existing_account_reads_state_and_plans_only_the_differences(org):
    account_id = org.create_account("ml-old-prod", "aws+ml-old-prod@example.com")
    result = onboard(org, OnboardRequest(account_id=account_id, **NEW), dry_run=True)
    assert org.calls.writes == []
    assert [s.call for s in result.plan.changes] == [
        "organizations:MoveAccount",
        "organizations:TagResource",
        "iam:CreatePolicy",
        "iam:CreatePolicy",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        *["account:PutAlternateContact"] * 3,
        "sso:CreateAccountAssignment",
        "organizations:CreatePolicy",
        "organizations:AttachPolicy",
        "registry",
    ]
    proof = [s for s in result.plan.steps if s.call == "sts:AssumeRole"]
    assert [s.status for s in proof] == ["planned"]
    assert not proof[0].is_write


def test_rerun_while_aws_is_still_creating_waits_for_that_request(org):
    """The account is not listed yet but its creation is IN_PROGRESS: no second CreateAccount."""
    requests = []

    def remember(parsed=None, model=None, **_):
        if model.name == "CreateAccount":
            requests.append(parsed["CreateAccountStatus"]["Id"])
            raise KeyboardInterrupt  # the operator's terminal closed right after the call

    with pytest.raises(KeyboardInterrupt):
        onboard(org, CREATE, ("after-call", remember))

    def still_creating(parsed=None, model=None, **_):
        if model.name == "ListAccounts":
            parsed["Accounts"] = [
                a for a in parsed["Accounts"] if a["Email"] != "aws+ml-new-prod@example.com"
            ]
        if model.name == "ListCreateAccountStatus":
            parsed["CreateAccountStatuses"] = [
                {"Id": requests[0], "AccountName": "ml-new-prod", "State": "IN_PROGRESS"}
            ]

    org.calls.calls.clear()
    result = onboard(org, CREATE, ("after-call", still_creating))
    assert "organizations:CreateAccount" not in org.calls.calls
    assert result.plan.steps[0].what == "account creation already in progress"
    assert result.plan.steps[0].detail == requests[0]
    assert len(accounts_with(org, "aws+ml-new-prod@example.com")) == 1


def test_creation_that_never_finishes_stops_with_a_rerun_hint(org):
    def stuck(parsed=None, model=None, **_):
        if model.name == "DescribeCreateAccountStatus":
            parsed["CreateAccountStatus"]["State"] = "IN_PROGRESS"

    aws = org.aws(("after-call", stuck))
    run = Onboarding(org.env(), CREATE, aws, poll_interval=7, poll_timeout=20)
    with pytest.raises(StepFailed) as exc:
        run.run()
    assert exc.value.code == EXIT_CREATE_FAILED
    assert str(exc.value).endswith(
        "is still IN_PROGRESS after 21s; rerun the same command to keep waiting (it will "
        "not create another)"
    )


def test_create_of_an_account_the_registry_already_has_never_creates_another(org):
    """accounts.yaml lists ml-serving-prod (400000000001), which moto's organization lacks:
    the same --create checks that id and invites it instead of creating a second account."""
    request = OnboardRequest(
        create=True,
        name="ml-serving-prod",
        email="aws+ml-serving-prod@example.com",
        owner="ml-platform@example.com",
        cost_centre="CC-2100",
        data_classification="confidential",
        ou="ml-prod",
        tags={"team": "ml-platform"},
    )
    invite = fake_response("InviteAccountToOrganization", {"Handshake": {"Id": "h-1"}})
    with pytest.raises(InvitationPending):
        onboard(
            org, request, fake_response("ListHandshakesForOrganization", {"Handshakes": []}), invite
        )
    assert "organizations:CreateAccount" not in org.calls.calls
    assert invite[1].seen[0]["Target"] == {"Id": "400000000001", "Type": "ACCOUNT"}


def test_new_accounts_access_role_is_retried_until_iam_has_propagated(org):
    """STS refuses a just-created account's role for a few seconds: retried, then done."""
    slept: list[float] = []
    aws = org.aws(fake_error("AssumeRole", "AccessDenied", "not yet", times=2))
    aws.sleep = slept.append
    result = Onboarding(org.env(), CREATE, aws, poll_interval=0, role_wait=3).run()
    assert result.role_proven is True
    assert slept == [0, 3, 3]  # one poll, then two waits for the role
    assert org.calls.calls.count("sts:AssumeRole") == 4


def test_existing_accounts_access_role_refused_is_access_denied_at_once(org):
    account_id = org.create_account("ml-old-prod", "aws+ml-old-prod@example.com")
    denied = fake_error("AssumeRole", "AccessDenied", "no trust")
    with pytest.raises(StepFailed) as exc:
        onboard(org, OnboardRequest(account_id=account_id, **NEW), denied)
    assert exc.value.code == EXIT_ACCESS_DENIED
    assert str(exc.value).startswith(
        f"AWS denied AssumeRole while assuming OrganizationAccountAccessRole in account "
        f"{account_id}: no trust"
    )
    assert org.calls.calls.count("sts:AssumeRole") == 1
