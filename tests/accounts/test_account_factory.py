"""Issue 35 against moto: trust, account creation guards, role drift, offboarding order, the
Account Factory steps (contacts, Identity Center, default VPCs, Region-deny SCP) and
`accounts apply`.

What moto lacks is named where a test works around it: it does not refuse a trust policy
naming a role without its path (IAM does), and it runs Identity Center assignments
synchronously (AWS answers IN_PROGRESS first: the waiting is tested with a fault hook).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import yaml
from typer.testing import CliRunner

from obsgov.accounts import Aws, Onboarding, OnboardRequest, StepFailed
from obsgov.accounts.apply import reconcile
from obsgov.accounts.deployment_role import principal_arn
from obsgov.accounts.errors import EXIT_BASELINE_DEPLOYED, EXIT_DUPLICATE_EMAIL
from obsgov.accounts.verify import Finding, verify
from obsgov.cli.accounts import app

from .support import DEPLOYER, REGION, fake_response
from .test_onboard import CREATE, NEW, member_iam, onboard

ROLE = "ObsgovDeploymentRole"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def member_session(account_id: str) -> boto3.Session:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="test",
    )["Credentials"]
    return boto3.Session(
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def only_prod(org, *keep: str) -> None:
    """Registry with only the listed prod accounts (plus dev as shipped)."""
    path = org.stacks / "accounts.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["accounts"] = [a for a in doc["accounts"] if a["environment"] != "prod" or a["id"] in keep]
    doc["workloads"] = [w for w in doc["workloads"] if w["environment"] != "prod"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


# --------------------------------------------------------------------------- item 2: trust


def test_a_session_caller_is_resolved_to_its_role_with_the_path(org):
    """An Identity Center session's ARN drops the role's path; IAM refuses a trust policy
    naming the role without it, so the caller is read back from IAM."""
    iam = boto3.client("iam", region_name=REGION)
    path = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
    role = iam.create_role(
        RoleName="AWSReservedSSO_PlatformAdmin_0123456789abcdef",
        Path=path,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": DEPLOYER}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]
    session_arn = (
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_PlatformAdmin_0123456789abcdef/me"
    )
    assert principal_arn(session_arn, iam) == role["Arn"]
    assert role["Arn"] == (
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
        "AWSReservedSSO_PlatformAdmin_0123456789abcdef"
    )
    # without IAM to ask (the old behaviour) the path is lost
    assert principal_arn(session_arn) != role["Arn"]


def test_the_role_trusts_the_configured_deployer_not_whoever_runs_onboarding(org):
    path = org.stacks / "organization.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["accountFactory"]["deployerArn"] = "arn:aws:iam::123456789012:role/ci/obsgov-deployer"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = onboard(org)
    role = member_iam(result.account_id).get_role(RoleName=ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:role/ci/obsgov-deployer"
    }
    assert result.role_proven is False  # these credentials (moto's user) are not the deployer


# --------------------------------------------------------------------------- item 3: --create


def test_create_refuses_a_closed_account_found_by_email(org):
    account_id = org.create_account("ml-new-prod", "aws+ml-new-prod@example.com")
    org.orgs.close_account(AccountId=account_id)
    with pytest.raises(StepFailed) as exc:
        onboard(org)
    assert exc.value.code == EXIT_DUPLICATE_EMAIL
    assert f"belongs to account {account_id} (ml-new-prod), which is SUSPENDED (closed)" in str(
        exc.value
    )


def test_emails_match_without_case(org):
    org.create_account("ml-new-prod", "AWS+ML-New-Prod@Example.com")
    result = onboard(org)
    assert "organizations:CreateAccount" not in org.calls.calls
    assert [s.what for s in result.plan.steps][0] == "account already exists"


def test_a_creation_in_progress_under_the_name_with_another_email_is_not_adopted(org):
    """CreateAccountStatus carries the name only: a creation asked with a typo'd email is
    waited for, then its email compared, never adopted."""
    status = org.orgs.create_account(AccountName="ml-new-prod", Email="aws+ml-nwe-prod@example.com")
    request_id = status["CreateAccountStatus"]["Id"]

    def still_creating(parsed=None, model=None, **_):
        if model.name == "ListAccounts":
            parsed["Accounts"] = [a for a in parsed["Accounts"] if a["Name"] != "ml-new-prod"]
        if model.name == "ListCreateAccountStatus":
            parsed["CreateAccountStatuses"] = [
                {"Id": request_id, "AccountName": "ml-new-prod", "State": "IN_PROGRESS"}
            ]

    with pytest.raises(StepFailed) as exc:
        onboard(org, CREATE, ("after-call", still_creating))
    assert exc.value.code == EXIT_DUPLICATE_EMAIL
    assert "was asked with aws+ml-nwe-prod@example.com, not aws+ml-new-prod@example.com" in str(
        exc.value
    )
    assert "organizations:CreateAccount" not in org.calls.calls
    assert "ml-new-prod" not in (org.stacks / "accounts.yaml").read_text()


# --------------------------------------------------------------------------- item 4: drift


def test_verify_reports_role_drift_and_unregistered_accounts_and_a_rerun_repairs_the_role(org):
    account_id = onboard(org).account_id
    only_prod(org, account_id)
    assert verify(org.env(), org.aws()) == []

    iam = member_iam(account_id)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [DEPLOYER, "arn:aws:iam::999999999999:root"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))
    iam.delete_role_permissions_boundary(RoleName=ROLE)
    iam.attach_role_policy(RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="backdoor",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    stray = org.create_account("ml-stray-prod", "aws+stray@example.com")
    org.orgs.tag_resource(
        ResourceId=stray,
        Tags=[{"Key": "managed-by", "Value": "obsgov"}, {"Key": "environment", "Value": "prod"}],
    )

    found = verify(org.env(), org.aws())
    role = [f.detail for f in found if f.check == "role"]
    assert role == [
        "trusts arn:aws:iam::999999999999:root besides the deployer",
        "has no permissions boundary",
        "has arn:aws:iam::aws:policy/PowerUserAccess attached",
        "has inline policy backdoor",
    ]
    assert [f for f in found if f.check == "unregistered"] == [
        Finding(
            stray,
            "ml-stray-prod",
            "unregistered",
            "tagged managed-by=obsgov for prod but not in accounts.yaml: onboard it or offboard it",
        )
    ]

    org.calls.calls.clear()
    onboard(org)  # the rerun brings the role back
    assert {"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy"} <= set(
        org.calls.calls
    )
    assert [f for f in verify(org.env(), org.aws()) if f.check == "role"] == []


# --------------------------------------------------------------------------- parity steps


def test_account_factory_steps_are_applied_and_a_rerun_writes_nothing(org):
    account_id = onboard(org).account_id
    account = boto3.client("account", region_name=REGION)
    security = account.get_alternate_contact(AccountId=account_id, AlternateContactType="SECURITY")
    assert security["AlternateContact"]["EmailAddress"] == "security@example.com"
    sso = boto3.client("sso-admin", region_name=REGION)
    factory = org.env().org.account_factory.identity_center
    assignments = sso.list_account_assignments(
        InstanceArn=factory.instance_arn,
        AccountId=account_id,
        PermissionSetArn=factory.assignments[0].permission_set_arn,
    )["AccountAssignments"]
    assert [(a["PrincipalType"], a["PrincipalId"]) for a in assignments] == [
        ("GROUP", "12345678-1234-1234-1234-123456789012")
    ]
    scps = org.orgs.list_policies_for_target(TargetId=account_id, Filter="SERVICE_CONTROL_POLICY")
    deny = [p for p in scps["Policies"] if p["Name"] == "obsgov-region-deny"]
    content = json.loads(org.orgs.describe_policy(PolicyId=deny[0]["Id"])["Policy"]["Content"])
    condition = content["Statement"][0]["Condition"]
    assert condition["StringNotEquals"] == {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}
    assert condition["ArnNotLike"] == {
        "aws:PrincipalARN": ["arn:aws:iam::*:role/OrganizationAccountAccessRole"]
    }

    org.calls.calls.clear()
    again = onboard(org)
    assert again.plan.changes == []
    assert org.calls.writes == []


def test_identity_center_assignment_in_progress_is_waited_for(org):
    """AWS answers CreateAccountAssignment with IN_PROGRESS; moto with SUCCEEDED at once."""
    polls: list[Any] = []

    def in_progress(parsed=None, model=None, **_):
        if model.name == "CreateAccountAssignment":
            parsed["AccountAssignmentCreationStatus"]["Status"] = "IN_PROGRESS"
            parsed["AccountAssignmentCreationStatus"]["RequestId"] = (
                "00000000-0000-0000-0000-000000000001"
            )

    status = fake_response(
        "DescribeAccountAssignmentCreationStatus",
        {
            "AccountAssignmentCreationStatus": {
                "Status": "SUCCEEDED",
                "RequestId": "00000000-0000-0000-0000-000000000001",
            }
        },
    )
    aws = org.aws(("after-call", in_progress), status)
    aws.sleep = polls.append
    Onboarding(org.env(), CREATE, aws, poll_interval=2).run()
    assert status[1].seen == [
        {
            "InstanceArn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "AccountAssignmentCreationRequestId": "00000000-0000-0000-0000-000000000001",
        }
    ]
    assert polls[-1] == 2


def test_default_vpcs_are_deleted_in_every_region_then_left_alone(org):
    path = org.stacks / "organization.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["accountFactory"]["deleteDefaultVpcs"] = True
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = onboard(org)
    session = member_session(result.account_id)
    regions = [r["RegionName"] for r in session.client("ec2").describe_regions()["Regions"]]
    deleted = [s for s in result.plan.steps if s.call == "ec2:DeleteVpc"]
    assert len(deleted) == len(regions) > 10
    for region in regions:
        vpcs = session.client("ec2", region_name=region).describe_vpcs(
            Filters=[{"Name": "isDefault", "Values": ["true"]}]
        )["Vpcs"]
        assert vpcs == [], region
    org.calls.calls.clear()
    again = onboard(org)
    assert org.calls.writes == []
    assert [s.what for s in again.plan.steps if s.call == "ec2:DescribeVpcs"] == [
        f"no default VPC in {len(regions)} Regions"
    ]


# --------------------------------------------------------------------------- item 5


def test_two_runs_of_the_same_create_wait_for_each_other(org, tmp_path):
    """The AWS phase holds a lock per account: the second run starts once the first is done
    and finds the account (the subprocess race is in test_end_to_end). The lock is a POSIX
    record lock, held per process, so the first run here is another process holding it."""
    import multiprocessing
    import threading

    from obsgov.accounts.onboard import account_lock

    registry = org.stacks / "accounts.yaml"
    forked = multiprocessing.get_context("fork")
    held, release = forked.Event(), forked.Event()

    def first_run() -> None:
        with account_lock(registry, "aws+ml-new-prod@example.com"):
            held.set()
            release.wait(120)

    holder = forked.Process(target=first_run)
    holder.start()
    assert held.wait(120)
    order: list[str] = []
    started = threading.Event()

    def second_run() -> None:
        order.append("waiting")
        started.set()
        onboard(org)
        order.append("second done")

    worker = threading.Thread(target=second_run)
    worker.start()
    assert started.wait(timeout=120)
    worker.join(timeout=2)
    assert worker.is_alive()
    assert order == ["waiting"]  # blocked behind the lock
    order.append("first released")
    release.set()
    holder.join(timeout=120)
    worker.join(timeout=120)
    assert order == ["waiting", "first released", "second done"]
    # another account is not held up by this one's lock
    with account_lock(registry, "aws+ml-new-prod@example.com"):
        other = OnboardRequest(
            create=True, name="ml-other-prod", email="aws+ml-other-prod@example.com", **NEW
        )
        assert onboard(org, other).account_id


# --------------------------------------------------------------------------- item 6


def test_offboard_waits_for_pulumi_then_removes_the_role_suspends_and_keeps_billing_tags(org):
    account_id = onboard(org).account_id
    registry = org.stacks / "accounts.yaml"
    topic = (
        member_session(account_id)
        .client("sns")
        .create_topic(Name="obsgov-prod-alarms", Tags=[{"Key": "managed-by", "Value": "obsgov"}])[
            "TopicArn"
        ]
    )

    first = run("offboard", account_id, "--stacks-dir", "stacks")
    assert first.exit_code == EXIT_BASELINE_DEPLOYED, first.output
    assert f"still holds 1 resources of obsgov's baseline ({topic})" in first.stderr
    assert "ml-new-prod" not in registry.read_text()  # what makes pulumi up destroy it
    assert "next: pulumi up --stack prod" in first.stdout
    assert member_iam(account_id).get_role(RoleName=ROLE)  # pulumi still needs it

    member_session(account_id).client("sns").delete_topic(TopicArn=topic)  # pulumi up
    second = run("offboard", account_id, "--close", "--yes", "--stacks-dir", "stacks")
    assert second.exit_code == 0, second.output
    with pytest.raises(Exception, match="NoSuchEntity"):
        member_iam(account_id).get_role(RoleName=ROLE)
    local = member_iam(account_id).list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local] == []
    assert org.orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"] == org.ou_ids["suspended"]
    tags = {t["Key"] for t in org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]}
    assert tags == {"cost-centre", "owner"}
    scps = org.orgs.list_policies_for_target(TargetId=account_id, Filter="SERVICE_CONTROL_POLICY")
    assert "obsgov-region-deny" not in {p["Name"] for p in scps["Policies"]}
    assert org.orgs.describe_account(AccountId=account_id)["Account"]["Status"] in (
        "SUSPENDED",
        "PENDING_CLOSURE",
    )
    third = run("offboard", account_id, "--stacks-dir", "stacks")
    assert third.exit_code == 0, third.output
    assert "nothing more to do" in third.stdout


# --------------------------------------------------------------------------- apply


def test_apply_plans_first_then_converges_and_reports_unregistered_accounts(org):
    legacy = org.create_account("ml-legacy-prod", "aws+ml-legacy-prod@example.com")
    path = org.stacks / "accounts.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["accounts"] = [a for a in doc["accounts"] if a["environment"] != "prod"]
    doc["workloads"] = [w for w in doc["workloads"] if w["environment"] != "prod"]
    doc["accounts"].append(
        {
            "id": legacy,
            "name": "ml-legacy-prod",
            "email": "aws+ml-legacy-prod@example.com",
            "environment": "prod",
            "organizationalUnit": "ml-prod",
            "owner": "ml-platform@example.com",
            "costCentre": "CC-2100",
            "dataClassification": "internal",
        }
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    stray = org.create_account("ml-stray-prod", "aws+stray@example.com")
    org.orgs.tag_resource(
        ResourceId=stray,
        Tags=[{"Key": "managed-by", "Value": "obsgov"}, {"Key": "environment", "Value": "prod"}],
    )
    before = path.read_bytes()

    planned = reconcile(org.env(), org.aws(), dry_run=True, poll_interval=0)
    assert org.calls.writes == []
    calls = [s.call for s in planned.accounts[0].plan.changes]
    assert calls[:3] == [
        "organizations:MoveAccount",
        "organizations:TagResource",
        "iam:CreatePolicy",
    ]
    assert [f.account_id for f in planned.unregistered] == [stray]

    dry = run(
        "apply", "--env", "prod", "--dry-run", "--stacks-dir", "stacks", "--poll-interval", "0"
    )
    assert dry.exit_code == 0, dry.output
    assert (
        dry.stdout.splitlines()[-1] == f"would make {planned.writes} changes in 1 accounts of prod"
    )

    applied = run("apply", "--env", "prod", "--stacks-dir", "stacks", "--poll-interval", "0")
    assert applied.exit_code == 0, applied.output
    assert org.orgs.list_parents(ChildId=legacy)["Parents"][0]["Id"] == org.ou_ids["ml-prod"]
    assert member_iam(legacy).get_role(RoleName=ROLE)
    org.calls.calls.clear()
    again = reconcile(org.env(), org.aws(), dry_run=False, poll_interval=0)
    assert again.writes == 0
    assert org.calls.writes == []
    assert path.read_bytes() == before  # the registry was the request: never rewritten


def test_a_crlf_registry_stays_crlf_after_an_edit(org):
    registry = org.stacks / "accounts.yaml"
    registry.write_bytes(registry.read_bytes().replace(b"\n", b"\r\n"))
    onboard(org)
    data = registry.read_bytes()
    assert b"name: ml-new-prod\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_aws_phase_uses_the_environments_region(org):
    assert Aws(region=REGION).region == org.env().settings.region


def test_validate_refuses_names_and_emails_aws_would_refuse(inline_env):
    """Issue 33: the registry itself (validate, the gate, onboard --dry-run) holds AWS's
    CreateAccount limits, from botocore's Organizations model."""
    from obsgov.errors import InputError

    env = inline_env("prod")
    env.accounts[0]["name"] = "a" * 51
    env.accounts[1]["email"] = "aws+" + "e" * 49 + "@example.com"
    with pytest.raises(InputError) as exc:
        env.load()
    messages = [p.message for p in exc.value.problems]
    assert "must be 1-50 characters for Organizations AccountName (this one has 51)" in messages
    assert "must be 6-64 characters for Organizations Email (this one has 65)" in messages
