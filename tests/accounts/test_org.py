"""`obsgov org prepare` and `obsgov org check` against moto.

The requirements come from the shipped prod config: an organization trail (CloudTrail
trusted access), alternate contacts (Account Management), Identity Center assignments (SSO),
the protect-monitoring SCP and tag policy (both policy types), an OpenSearch domain in a VPC
(its service-linked role in the observability account), allowed Regions (the Region-deny
SCP), and principals: trail decrypt principals, OpenSearch admins, QuickSight groups, model
approvers, the deployer and the central accounts' deployment roles.
"""

from __future__ import annotations

import json

import boto3
import pytest
from typer.testing import CliRunner

from obsgov.cli.org import app
from obsgov.org.prepare import principals

from .support import REGION, fake_error, http_response

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


class QuickSightSubscription:
    """moto has no DescribeAccountSubscription: a ``before-call`` hook answers it as AWS
    does (AccountInfo.Edition; ResourceNotFoundException for an account never signed up,
    docs.aws.amazon.com/quicksight/latest/APIReference/API_DescribeAccountSubscription.html)."""

    def __init__(self) -> None:
        self.edition: str | None = None
        self.asked: list[str] = []

    def __call__(self, model=None, params=None, **_):
        if model.name != "DescribeAccountSubscription":
            return None
        self.asked.append(params["url_path"].rsplit("/", 1)[-1])
        if self.edition is None:
            error = {"Code": "ResourceNotFoundException", "Message": "not signed up"}
            return http_response(404, b""), {
                "Error": error,
                "ResponseMetadata": {"HTTPStatusCode": 404},
            }
        info = {"AccountName": "obsgov", "Edition": self.edition}
        return http_response(200, b""), {
            "AccountInfo": info,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }


@pytest.fixture(autouse=True)
def quicksight(monkeypatch) -> QuickSightSubscription:
    import functools

    import obsgov.accounts
    from obsgov.accounts import Aws

    answer = QuickSightSubscription()
    monkeypatch.setattr(
        obsgov.accounts, "Aws", functools.partial(Aws, hooks=[("before-call", answer)])
    )
    return answer


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def session_in(account: str) -> boto3.Session:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    return boto3.Session(
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def create_principals(org) -> None:
    """Every principal the prod config names, where it says."""
    for arn, _ in principals(org.env()):
        account = arn.split(":")[4]
        session = (
            boto3.Session(region_name=REGION) if account == "123456789012" else session_in(account)
        )
        if ":quicksight:" in arn:
            namespace, name = arn.split(":group/")[1].split("/", 1)
            session.client("quicksight").create_group(
                AwsAccountId=account, Namespace=namespace, GroupName=name
            )
            continue
        name = (
            arn.split("/")[-1] if ":iam::" in arn else arn.split("assumed-role/")[1].split("/")[0]
        )
        if ":user/" in arn:
            session.client("iam").create_user(UserName=name)
        else:
            session.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def test_check_lists_what_is_missing_and_writes_nothing(org):
    result = run("check", "--env", "prod", "--stacks-dir", "stacks")
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    for expected in (
        "enable trusted access for cloudtrail.amazonaws.com",
        "enable trusted access for account.amazonaws.com",
        "enable trusted access for sso.amazonaws.com",
        "enable TAG_POLICY on the root",
        "create the service-linked role for opensearchservice.amazonaws.com in 100000000002",
        "create SCP obsgov-region-deny",
        "arn:aws:iam::100000000003:role/obsgov-auditor missing: does not exist named by "
        "obsgov:centralAudit.trail.decryptPrincipals",
        "arn:aws:iam::100000000002:role/obsgov-platform-admins missing: does not exist",
        "arn:aws:quicksight:eu-west-1:100000000002:group/default/obsgov-prod-viewers "
        "missing: does not exist named by obsgov:quickSight.principals",
        "arn:aws:iam::400000000002:role/ObsgovDeploymentRole missing: does not exist "
        "named by accounts.yaml data-platform-prod (deployment role)",
        "quicksight-subscription@100000000002 missing: does not exist: sign the account up "
        "for QuickSight Enterprise named by obsgov:quickSight",
    ):
        assert expected in text, expected
    assert text.endswith("missing principals")
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []
    services = org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert services == []


def test_prepare_enables_everything_then_a_rerun_changes_nothing(org, quicksight):
    create_principals(org)
    quicksight.edition = "ENTERPRISE"
    first = run("prepare", "--env", "prod", "--stacks-dir", "stacks")
    assert first.exit_code == 0, first.output
    enabled = {
        s["ServicePrincipal"]
        for s in org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    }
    assert enabled == {"cloudtrail.amazonaws.com", "account.amazonaws.com", "sso.amazonaws.com"}
    root = org.orgs.list_roots()["Roots"][0]
    types = {t["Type"] for t in root["PolicyTypes"] if t["Status"] == "ENABLED"}
    assert {"SERVICE_CONTROL_POLICY", "TAG_POLICY"} <= types
    roles = (
        session_in("100000000002")
        .client("iam")
        .list_roles(PathPrefix="/aws-service-role/opensearchservice.amazonaws.com/")["Roles"]
    )
    # one role on the service's path (AWS names it AWSServiceRoleForAmazonOpenSearchService;
    # moto derives another name from the service principal)
    assert len(roles) == 1

    org.calls.calls.clear()
    again = run("prepare", "--env", "prod", "--stacks-dir", "stacks")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == "changed: 0 (nothing)"
    assert run("check", "--env", "prod", "--stacks-dir", "stacks").stdout == (
        "ok the organization is ready for prod\n"
    )


def test_prepare_dry_run_writes_nothing(org):
    result = run("prepare", "--env", "prod", "--dry-run", "--stacks-dir", "stacks")
    assert result.exit_code == 1, result.output  # principals are missing
    assert "dry run: " in result.stdout
    assert org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []


@pytest.mark.parametrize(
    ("fault", "code", "start"),
    [
        (
            fake_error("EnableAWSServiceAccess", "AccessDeniedException", "no"),
            10,
            "error: AWS denied EnableAWSServiceAccess",
        ),
        (fake_error("ListRoots", "ServiceException", "boom"), 4, "error: AWS refused ListRoots"),
    ],
    ids=["access-denied", "other-aws"],
)
def test_aws_failures_have_accounts_exit_codes(org, monkeypatch, fault, code, start):
    import functools

    import obsgov.accounts
    from obsgov.accounts import Aws

    monkeypatch.setattr(obsgov.accounts, "Aws", functools.partial(Aws, hooks=[fault]))
    result = run("prepare", "--env", "prod", "--stacks-dir", "stacks")
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(start)


def test_bad_access_role_is_refused_before_any_call(org):
    result = run("check", "--env", "prod", "--access-role", "../x", "--stacks-dir", "stacks")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: 1 problem found:\n  --access-role: '../x' is not a valid Organizations RoleName"
    )


# --------------------------------------------------------------------------- obsgov deploy


@pytest.fixture
def deployed(monkeypatch) -> list[str]:
    """A stand-in for the stacks' `pulumi up` (obsgov.gate.deploy needs the Pulumi CLI):
    records the environments it was asked to deploy."""
    import obsgov.gate.deploy
    from obsgov.gate.deploy import Deployed

    calls: list[str] = []

    def deploy_environment(env, project, policy_args, workers=4, **choices):
        calls.append(env.environment)
        return [Deployed(env.environment, True, "succeeded")]

    monkeypatch.setattr(obsgov.gate.deploy, "deploy_environment", deploy_environment)
    return calls


def deploy(*args: str):
    from obsgov.cli import app as obsgov

    return CliRunner().invoke(
        obsgov, ["deploy", "--stack", "prod", "--stacks-dir", "stacks", *args]
    )


def test_deploy_stops_before_pulumi_up_when_the_organization_is_not_ready(org, deployed):
    """The prerequisites the deploy-readiness pack can only list (offline nobody knows
    whether an account has a service-linked role) are checked against AWS before the first
    `pulumi up`: a missing one is a verdict (exit 1), not a failure half-way through."""
    result = deploy()
    assert result.exit_code == 1, result.output
    assert deployed == []
    text = " ".join(result.stdout.split())
    assert "create the service-linked role for opensearchservice.amazonaws.com" in text
    assert "arn:aws:iam::100000000003:role/obsgov-auditor missing: does not exist" in text
    assert text.endswith(
        "not deploying: make what is missing (`obsgov org prepare --env prod`, then create "
        "the missing principals), or pass --skip-org-check"
    )
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []
    # read-only: nothing was enabled
    assert org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []


def test_a_standard_quicksight_edition_is_not_enough(org, quicksight):
    quicksight.edition = "STANDARD"
    result = run("check", "--env", "prod", "--stacks-dir", "stacks")
    assert result.exit_code == 1, result.output
    assert "is the STANDARD edition; the views need Enterprise" in " ".join(result.stdout.split())
    assert set(quicksight.asked) == {"100000000002"}  # the observability account


def test_deploy_runs_once_the_organization_is_prepared(org, deployed, quicksight):
    create_principals(org)
    quicksight.edition = "ENTERPRISE"
    assert run("prepare", "--env", "prod", "--stacks-dir", "stacks").exit_code == 0
    result = deploy()
    assert result.exit_code == 0, result.output
    assert deployed == ["prod"]
    assert result.stdout.splitlines()[0] == "ok the organization is ready for prod"


def test_deploy_can_skip_the_check_and_says_the_risk(org, deployed):
    result = deploy("--skip-org-check")
    assert result.exit_code == 0, result.output
    assert deployed == ["prod"]
    assert " ".join(result.stdout.split()).startswith(
        "warning: --skip-org-check: the organization was not checked; a missing "
        "prerequisite fails `pulumi up` part-way"
    )


def test_deploy_stops_with_the_org_exit_codes_when_aws_refuses_the_check(
    org, deployed, monkeypatch
):
    import functools

    import obsgov.accounts
    from obsgov.accounts import Aws

    fault = fake_error("ListRoots", "ServiceException", "boom")
    monkeypatch.setattr(obsgov.accounts, "Aws", functools.partial(Aws, hooks=[fault]))
    result = deploy()
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("error: AWS refused ListRoots")
    assert deployed == []


def test_the_organisation_stack_is_checked_like_an_environment(org):
    """The deploy workflow checks every stack before its `pulumi up`, the organisation stack
    first: `org check --env org` reads Pulumi.org.yaml and judges what that stack needs
    (the organization trail it owns needs CloudTrail's trusted access), read-only."""
    import shutil

    from tests.support.environments import STACKS

    shutil.copyfile(STACKS / "Pulumi.org.yaml", org.stacks / "Pulumi.org.yaml")
    result = run("check", "--env", "org", "--stacks-dir", "stacks")
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "enable trusted access for cloudtrail.amazonaws.com" in text, result.stdout
    services = org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert services == []
