"""`obsgov accounts` through its command line (typer's CliRunner), against moto."""

from __future__ import annotations

import functools
import json

import boto3
import pytest
import yaml
from typer.testing import CliRunner

import obsgov.accounts
from obsgov.accounts import Aws
from obsgov.accounts.verify import Finding, verify
from obsgov.cli.accounts import app

from .support import REGION, fake_error, fake_response

CREATE = [
    "onboard",
    "--env",
    "prod",
    "--create",
    "--name",
    "ml-new-prod",
    "--email",
    "aws+ml-new-prod@example.com",
    "--owner",
    "ml-platform@example.com",
    "--cost-centre",
    "CC-2100",
    "--data-classification",
    "confidential",
    "--ou",
    "ml-prod",
    "--tag",
    "team=ml-platform",
    "--poll-interval",
    "0",
    "--stacks-dir",
    "stacks",
]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def with_option(args: list[str], option: str, value: str | None) -> list[str]:
    """``args`` with ``option``'s value replaced (or the option dropped when None)."""
    out = list(args)
    at = out.index(option)
    if value is None:
        del out[at : at + 2]
    else:
        out[at + 1] = value
    return out


@pytest.fixture
def no_aws(monkeypatch):
    """Any AWS client creation fails the test: proves a command made no AWS call."""

    def refuse(*args, **kwargs):
        raise AssertionError("an AWS client was created")

    monkeypatch.setattr(boto3.Session, "client", refuse)


@pytest.fixture
def hooks(monkeypatch):
    """Give the command's Aws extra botocore hooks (fault injection)."""

    def install(*extra):
        monkeypatch.setattr(
            obsgov.accounts, "Aws", functools.partial(Aws, hooks=list(extra), sleep=lambda s: None)
        )

    return install


BAD_INPUT = [
    (
        "malformed id",
        [
            "onboard",
            "--env",
            "prod",
            "--account-id",
            "12345",
            "--owner",
            "a@example.com",
            "--cost-centre",
            "CC-2100",
            "--data-classification",
            "internal",
            "--ou",
            "ml-prod",
            "--stacks-dir",
            "stacks",
        ],
        "1 problem found:\n  --account-id: must be 12 ASCII digits (0-9)",
    ),
    (
        "unknown env",
        with_option(CREATE, "--env", "qa"),
        "1 problem found:\n  --stack: no stack 'qa': stacks/Pulumi.qa.yaml does not exist "
        "(available: dev, prod)",
    ),
    (
        "unknown OU",
        with_option(CREATE, "--ou", "ml-qa"),
        "1 problem found:\n  --ou: unknown organizational unit 'ml-qa'; "
        "stacks/organization.yaml defines: data-dev, data-prod, data-staging, ml-dev, ml-prod, "
        "ml-staging, suspended",
    ),
    (
        "bad cost centre",
        with_option(CREATE, "--cost-centre", "12"),
        "1 problem found:\n  --cost-centre: '12' is not valid for tag 'cost-centre': expected "
        "a value matching CC-\\d{4}",
    ),
    (
        "bad classification",
        with_option(CREATE, "--data-classification", "secret"),
        "1 problem found:\n  --data-classification: 'secret' is not valid for tag "
        "'data-classification': expected one of public, internal, confidential, restricted",
    ),
    (
        "bad owner",
        with_option(CREATE, "--owner", "ml-platform"),
        "1 problem found:\n  --owner: must be an email address",
    ),
    (
        "bad email",
        with_option(CREATE, "--email", "not-an-email"),
        "1 problem found:\n  --email: must be an email address",
    ),
    (
        "duplicate name",
        with_option(CREATE, "--name", "analytics-prod"),
        "1 problem found:\n  --name: duplicate name 'analytics-prod' (already used by "
        "accounts[{analytics-prod}])",
    ),
    (
        "bad name",
        with_option(CREATE, "--name", "ml new"),
        "1 problem found:\n  --name: must be 1-63 letters, digits or hyphens, starting with a "
        "letter or digit",
    ),
    (
        "every problem at once",
        with_option(
            with_option(with_option(CREATE, "--email", "nope"), "--cost-centre", "12"),
            "--ou",
            "ml-qa",
        ),
        "3 problems found:\n  --email: must be an email address\n  --ou: unknown "
        "organizational unit 'ml-qa'; stacks/organization.yaml defines: data-dev, data-prod, "
        "data-staging, ml-dev, ml-prod, ml-staging, suspended\n  --cost-centre: '12' is not valid for tag "
        "'cost-centre': expected a value matching CC-\\d{4}",
    ),
    (
        "malformed tag",
        with_option(CREATE, "--tag", "team"),
        "1 problem found:\n  --tag: 'team' must be KEY=VALUE",
    ),
    (
        "managed tag",
        with_option(CREATE, "--tag", "owner=x@example.com"),
        "1 problem found:\n  --tag: 'owner' is set by obsgov; use --owner instead",
    ),
    (
        "create without name",
        with_option(CREATE, "--name", None),
        "1 problem found:\n  --name: is required with --create",
    ),
    (
        "id and create",
        [*CREATE, "--account-id", "400000000009"],
        "1 problem found:\n  --account-id: give either --account-id or --create",
    ),
    (
        "no OU and several",
        with_option(CREATE, "--ou", None),
        "1 problem found:\n  --ou: is required: environment 'prod' has no single OU (choose "
        "from ml-dev, data-dev, ml-staging, data-staging, ml-prod, data-prod, suspended)",
    ),
    (
        "registered differently",
        [
            "onboard",
            "--env",
            "prod",
            "--account-id",
            "400000000001",
            "--owner",
            "someone@example.com",
            "--cost-centre",
            "CC-2100",
            "--data-classification",
            "confidential",
            "--ou",
            "ml-prod",
            "--stacks-dir",
            "stacks",
        ],
        "1 problem found:\n  --account-id: account 400000000001 (ml-serving-prod) is already "
        "in the registry with other values (owner: registry has 'ml-platform@example.com', "
        "given 'someone@example.com'; tags: registry has {'team': 'ml-platform'}, given {}); "
        "edit the registry or offboard it first",
    ),
]


# Issue 33: values AWS refuses (limits from botocore's models) and values that would open the
# account (a deployment role trusting anyone), each refused before any AWS call.
BAD_INPUT += [
    (
        "world-trusting deployer",
        [*CREATE, "--deployer-arn", "*"],
        "1 problem found:\n  --deployer-arn: '*' must name one role or user: wildcards would let "
        "anyone assume the role",
    ),
    (
        "any account's root",
        [*CREATE, "--deployer-arn", "arn:aws:iam::*:root"],
        "1 problem found:\n  --deployer-arn: 'arn:aws:iam::*:root' must name one role or user: "
        "wildcards would let anyone assume the role",
    ),
    (
        "a whole account",
        [*CREATE, "--deployer-arn", "arn:aws:iam::111122223333:root"],
        "1 problem found:\n  --deployer-arn: 'arn:aws:iam::111122223333:root' must name one role "
        "or user, not the whole account (:root trusts every principal the account allows)",
    ),
    (
        "email over 64",
        with_option(CREATE, "--email", "aws+" + "a" * 49 + "@example.com"),
        "1 problem found:\n  --email: must be 6-64 characters for Organizations Email (this "
        "one has 65)",
    ),
    (
        "name over 50",
        with_option(CREATE, "--name", "ml-" + "n" * 48),
        "1 problem found:\n  --name: must be 1-50 characters for Organizations AccountName "
        "(this one has 51)",
    ),
    (
        "boundary not an ARN",
        [*CREATE, "--permissions-boundary", "notanarn"],
        "1 problem found:\n  --permissions-boundary: must be 20-2048 characters for IAM "
        "PolicyArn (this one has 8)",
    ),
    (
        "boundary ARN of another kind",
        [*CREATE, "--permissions-boundary", "arn:aws:iam::111122223333:role/admins"],
        "1 problem found:\n  --permissions-boundary: 'arn:aws:iam::111122223333:role/admins' must "
        "be a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)",
    ),
    (
        "role policy not an ARN",
        [*CREATE, "--role-policy", "not-an-arn"],
        "1 problem found:\n  --role-policy: must be 20-2048 characters for IAM PolicyArn (this "
        "one has 10)",
    ),
    (
        "access role with a path",
        [*CREATE, "--access-role", "../x"],
        "1 problem found:\n  --access-role: '../x' is not a valid Organizations RoleName (AWS's "
        "pattern: [\\w+=,.@-]{1,64})",
    ),
    (
        "OU of another environment",
        with_option(with_option(CREATE, "--env", "dev"), "--ou", "ml-prod"),
        "1 problem found:\n  --ou: 'ml-prod' holds prod accounts; an account of dev cannot go "
        "there",
    ),
]


@pytest.mark.parametrize(("case", "args", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_exits_2_before_any_aws_call(org, no_aws, case, args, message):
    before = (org.stacks / "accounts.yaml").read_bytes()
    names = [a["name"] for a in yaml.safe_load(before)["accounts"]]
    message = message.replace("{analytics-prod}", str(names.index("analytics-prod")))
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"
    assert (org.stacks / "accounts.yaml").read_bytes() == before


def test_onboard_prints_the_changes_and_the_next_command_then_a_rerun_changes_nothing(org):
    result = run(*CREATE)
    assert result.exit_code == 0, result.output
    account_id = org.orgs.list_accounts()["Accounts"][-1]["Id"]
    lines = result.stdout.splitlines()
    assert lines[-3:] == [
        f"onboarded {account_id} (ml-new-prod) into prod",
        "changed: 12 AWS writes, 1 registry change",
        "next: pulumi up --stack prod",
    ]
    assert all(len(line) <= 80 for line in lines)

    again = run(*CREATE)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-3:] == [
        f"{account_id} (ml-new-prod) is already onboarded into prod",
        "changed: nothing (AWS and accounts.yaml untouched)",
        "next: pulumi up --stack prod",
    ]
    assert all(len(line) <= 80 for line in again.stdout.splitlines())


def test_dry_run_prints_the_plan_and_changes_nothing(org):
    before = (org.stacks / "accounts.yaml").read_bytes()
    result = run(*CREATE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "dry run: 12 AWS writes and 1 registry change would be made; nothing was changed"
    )
    for call in (
        "organizations:CreateAccount",
        "organizations:MoveAccount",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "account:PutAlternateContact",
        "sso:CreateAccountAssignment",
        "organizations:AttachPolicy",
        "registry",
    ):
        assert call in result.stdout
    assert org.orgs.list_accounts()["Accounts"][1:] == []
    assert (org.stacks / "accounts.yaml").read_bytes() == before


@pytest.mark.parametrize(
    ("fault", "code", "message"),
    [
        (
            fake_error("ListAccounts", "AccessDeniedException", "no"),
            10,
            "error: AWS denied ListAccounts while looking for an account with email "
            "aws+ml-new-prod@example.com: no; run with credentials of the management account (or a "
            "delegated administrator) that allow it\n",
        ),
        (
            fake_error(
                "CreateAccount",
                "ConstraintViolationException",
                "limit",
                Reason="ACCOUNT_NUMBER_LIMIT_EXCEEDED",
            ),
            12,
            "error: the organization has reached its account limit (ACCOUNT_NUMBER_LIMIT_EXCEEDED); "
            "request a quota increase\n",
        ),
        (
            fake_error("CreateAccount", "InvalidInputException", "bad name"),
            13,
            "error: AWS refused CreateAccount: InvalidInputException: bad name\n",
        ),
        (
            fake_error("ListParents", "ServiceException", "boom"),
            4,
            "error: AWS refused ListParents while moving account {id} into OU ml-prod: "
            "ServiceException: boom\n",
        ),
    ],
    ids=["access-denied", "account-limit", "create-failed", "other-aws"],
)
def test_aws_failures_have_distinct_exit_codes(org, hooks, fault, code, message):
    hooks(fault)
    before = (org.stacks / "accounts.yaml").read_bytes()
    result = run(*CREATE)
    assert result.exit_code == code, result.output
    created = org.orgs.list_accounts()["Accounts"][1:]
    assert result.stderr == message.format(id=created[0]["Id"] if created else "")
    assert (org.stacks / "accounts.yaml").read_bytes() == before


def test_duplicate_email_exits_11(org):
    org.create_account("someone-else", "aws+ml-new-prod@example.com")
    result = run(*CREATE)
    assert result.exit_code == 11, result.output
    assert "already belongs to account" in result.stderr


def test_unknown_ou_in_aws_exits_14(org):
    path = org.stacks / "organization.yaml"
    path.write_text(path.read_text().replace(org.ou_ids["ml-prod"], "ou-zzzz-zzzzzzzz"))
    result = run(*CREATE)
    assert result.exit_code == 14, result.output
    assert result.stderr.startswith(
        "error: OU 'ml-prod' (ou-zzzz-zzzzzzzz, from "
        "organization.yaml) does not exist in the organization"
    )


def test_invitation_exits_15_with_the_owners_instructions(org, hooks):
    hooks(
        fake_error("DescribeAccount", "AccountNotFoundException", "no such account"),
        fake_response("ListHandshakesForOrganization", {"Handshakes": []}),
        fake_response("InviteAccountToOrganization", {"Handshake": {"Id": "h-77"}}),
    )
    result = run(
        "onboard",
        "--env",
        "prod",
        "--account-id",
        "555555555555",
        "--owner",
        "a@example.com",
        "--cost-centre",
        "CC-2100",
        "--data-classification",
        "internal",
        "--ou",
        "ml-prod",
        "--stacks-dir",
        "stacks",
    )
    assert result.exit_code == 15, result.output
    assert "accept-handshake --handshake-id h-77" in " ".join(result.stdout.split())


# --------------------------------------------------------------------------- list


def test_list_json_and_table(org):
    result = run("list", "--env", "prod", "--json", "--stacks-dir", "stacks")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["analytics-prod", "data-platform-prod", "ml-serving-prod"]
    assert rows[0] == {
        "id": "400000000003",
        "name": "analytics-prod",
        "email": "aws+analytics-prod@example.com",
        "environment": "prod",
        "organizationalUnit": "data-prod",
        "owner": "analytics@example.com",
        "costCentre": "CC-2300",
        "dataClassification": "internal",
        "tags": {"team": "analytics"},
    }
    table = run("list", "--stacks-dir", "stacks")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[-1] == "6 accounts"  # dev and prod stacks in the copy
    assert all(len(line) <= 80 for line in table.stdout.splitlines())


# --------------------------------------------------------------------------- verify


def _only(org, account_id: str) -> None:
    """Registry with just ``account_id`` for prod (plus dev as shipped)."""
    path = org.stacks / "accounts.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["accounts"] = [
        a for a in doc["accounts"] if a["environment"] != "prod" or a["id"] == account_id
    ]
    doc["workloads"] = [w for w in doc["workloads"] if w["environment"] != "prod"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_verify_passes_after_onboarding_and_reports_drift(org, hooks):
    assert run(*CREATE).exit_code == 0
    account_id = org.orgs.list_accounts()["Accounts"][-1]["Id"]
    _only(org, account_id)
    clean = run("verify", "--env", "prod", "--stacks-dir", "stacks")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == "ok 1 accounts match the registry\n"

    org.orgs.move_account(
        AccountId=account_id,
        SourceParentId=org.ou_ids["ml-prod"],
        DestinationParentId=org.ou_ids["data-prod"],
    )
    org.orgs.tag_resource(
        ResourceId=account_id, Tags=[{"Key": "owner", "Value": "old@example.com"}]
    )
    org.orgs.untag_resource(ResourceId=account_id, TagKeys=["team"])
    fault = fake_error("AssumeRole", "AccessDenied", "not authorized to perform sts:AssumeRole")
    hooks(fault)
    drift = run("verify", "--env", "prod", "--stacks-dir", "stacks")
    assert drift.exit_code == 1, drift.output
    assert drift.stdout.splitlines()[-1] == "drift: 5 findings in 1 accounts"
    assert all(len(line) <= 80 for line in drift.stdout.splitlines())

    aws = Aws(region=REGION, hooks=[fault])
    assert verify(org.env(), aws) == [
        Finding(account_id, "ml-new-prod", "ou", "in data-prod, registry says ml-prod"),
        Finding(
            account_id,
            "ml-new-prod",
            "tag",
            "owner: 'old@example.com', want 'ml-platform@example.com'",
        ),
        Finding(account_id, "ml-new-prod", "tag", "team: missing, want 'ml-platform'"),
        Finding(
            account_id,
            "ml-new-prod",
            "role",
            "cannot read ObsgovDeploymentRole through OrganizationAccountAccessRole: "
            "AccessDenied: not authorized to perform sts:AssumeRole",
        ),
        Finding(
            account_id,
            "ml-new-prod",
            "role",
            f"cannot assume arn:aws:iam::{account_id}:role/ObsgovDeploymentRole: "
            "AccessDenied: not authorized to perform sts:AssumeRole",
        ),
    ]


def test_verify_reports_accounts_missing_from_the_organization(org):
    result = run("verify", "--env", "prod", "--no-role", "--stacks-dir", "stacks")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1] == "drift: 3 findings in 3 accounts"
    assert verify(org.env(), Aws(region=REGION), check_role=False) == [
        Finding(account_id, name, "missing", "not in the organization")
        for account_id, name in (
            ("400000000001", "ml-serving-prod"),
            ("400000000002", "data-platform-prod"),
            ("400000000003", "analytics-prod"),
        )
    ]


# --------------------------------------------------------------------------- offboard


def test_offboard_removes_the_entry_and_our_tags_only(org):
    registry = org.stacks / "accounts.yaml"
    before = registry.read_text()
    assert run(*CREATE).exit_code == 0
    account_id = org.orgs.list_accounts()["Accounts"][-1]["Id"]
    org.orgs.tag_resource(ResourceId=account_id, Tags=[{"Key": "billing", "Value": "x"}])
    result = run("offboard", account_id, "--stacks-dir", "stacks")
    assert result.exit_code == 0, result.output
    assert registry.read_text() == before
    tags = org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]
    # obsgov's tags come off but the billing ones (its own and the account's) stay
    assert {t["Key"]: t["Value"] for t in tags} == {
        "billing": "x",
        "owner": "ml-platform@example.com",
        "cost-centre": "CC-2100",
    }
    assert org.orgs.describe_account(AccountId=account_id)["Account"]["Status"] == "ACTIVE"


def test_offboard_close_needs_the_typed_id(org):
    assert run(*CREATE).exit_code == 0
    account_id = org.orgs.list_accounts()["Accounts"][-1]["Id"]
    registry = org.stacks / "accounts.yaml"
    before = registry.read_bytes()
    wrong = run("offboard", account_id, "--close", "--stacks-dir", "stacks", input="yes\n")
    assert wrong.exit_code == 2, wrong.output
    assert wrong.stderr == (
        "error: confirmation did not match the account id; nothing was changed\n"
    )
    assert registry.read_bytes() == before
    assert len(org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]) == 6

    right = run(
        "offboard", account_id, "--close", "--stacks-dir", "stacks", input=f"{account_id}\n"
    )
    assert right.exit_code == 0, right.output
    status = org.orgs.describe_account(AccountId=account_id)["Account"]["Status"]
    assert status in ("SUSPENDED", "PENDING_CLOSURE")
    assert account_id not in registry.read_text()


def test_offboard_refuses_to_orphan_workloads(org, no_aws):
    registry = org.stacks / "accounts.yaml"
    before = registry.read_bytes()
    result = run("offboard", "400000000003", "--stacks-dir", "stacks")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: 1 problem found:\n  ID: account 400000000003 (analytics-prod) still has "
        "workloads: approved-loans-prod, checkout-conversion-prod; remove them with `obsgov "
        "workloads remove` or pass --with-workloads\n"
    )
    assert registry.read_bytes() == before


def test_offboard_with_workloads_removes_them_too(org):
    result = run("offboard", "400000000003", "--with-workloads", "--stacks-dir", "stacks")
    assert result.exit_code == 0, result.output
    assert "account 400000000003 is not in the organization: nothing to do in AWS" in result.stdout
    env = org.env()
    assert "analytics-prod" not in {a.name for a in env.registry.accounts}
    assert not [w for w in env.registry.workloads if w.account == "analytics-prod"]
    text = (org.stacks / "accounts.yaml").read_text()
    assert text.count("# --- prod") == 2
    assert text.startswith("# The accounts registry")


def test_help_documents_the_exit_codes(org):
    result = run("onboard", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for phrase in (
        "10 access denied",
        "11 email already used by another account",
        "12 organization's account limit reached",
        "13 account creation failed",
        "14 OU not found in the organization",
        "15 invitation sent or pending",
    ):
        assert phrase in text
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_region_comes_from_the_environments_stack(org, monkeypatch):
    """No AWS_DEFAULT_REGION: the clients use the stack's aws:region (botocore would raise
    NoRegionError otherwise)."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run(*CREATE)
    assert result.exit_code == 0, result.output


def test_offboard_dry_run_changes_nothing(org):
    assert run(*CREATE).exit_code == 0
    account_id = org.orgs.list_accounts()["Accounts"][-1]["Id"]
    registry = org.stacks / "accounts.yaml"
    before = registry.read_bytes()
    result = run("offboard", account_id, "--close", "--dry-run", "--stacks-dir", "stacks")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("would remove account ")
    assert lines[1] == f"would untag {account_id}: team"
    assert lines[2] == f"baseline of {account_id} is gone"
    assert lines[3] == f"would delete role ObsgovDeploymentRole in {account_id}"
    assert f"would move {account_id} to OU suspended" in lines
    assert lines[-2] == (
        f"would untag {account_id}: environment, data-classification, managed-by (billing "
        "tags stay)"
    )
    assert lines[-1] == f"would close {account_id} (Organizations: CloseAccount)"
    assert registry.read_bytes() == before
    assert len(org.orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]) == 6
    assert org.orgs.describe_account(AccountId=account_id)["Account"]["Status"] == "ACTIVE"


def test_a_registry_ruamel_cannot_reproduce_is_refused_not_reformatted(org, no_aws):
    """Mixed list indentation: no single ruamel setting writes it back unchanged."""
    registry = org.stacks / "accounts.yaml"
    head, tail = registry.read_text().split("\nworkloads:\n", 1)
    tail = (
        "\n".join(line[2:] if line.startswith("  ") else line for line in tail.splitlines()) + "\n"
    )
    registry.write_text(f"{head}\nworkloads:\n{tail}")
    before = registry.read_bytes()
    assert org.env().registry.workloads  # still a valid registry
    result = run(*CREATE)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: 1 problem found:\n  stacks/accounts.yaml: cannot be edited without "
        "reformatting it (ruamel.yaml does not reproduce its indentation or line breaks); "
        "indent mappings by 2 and list items by 4 with offset 2, as the shipped file does\n"
    )
    assert registry.read_bytes() == before
