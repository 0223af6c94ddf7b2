"""Onboarding one account: validate, create or invite, place in its OU, tag, deployment role,
record in the registry.

Every step first reads the state from AWS and writes only what differs, so a rerun after a
crash finishes the job and a rerun after success writes nothing (to AWS or to the file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from obsgov.config import EnvironmentConfig
from obsgov.config.models import MemberAccount
from obsgov.errors import InputError, Problem

from .aws import Aws, aws_failure, error_code, is_access_denied, paginate
from .errors import (
    EXIT_ACCOUNT_LIMIT,
    EXIT_AWS,
    EXIT_CREATE_FAILED,
    EXIT_DUPLICATE_EMAIL,
    EXIT_INVITATION_PENDING,
    EXIT_UNKNOWN_OU,
    OnboardingError,
)
from .plan import Plan
from .registry import (
    ACCOUNT_OPTIONS,
    RegistryEditor,
    account_entry,
    insert_entry,
    section,
)

DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole"
# The deployment role deploys CloudWatch, OAM, SNS, EventBridge and SageMaker monitoring, none
# of which needs IAM: PowerUserAccess both grants that and, as the boundary, caps the role.
DEFAULT_ROLE_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
DEFAULT_BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"

# Placeholders that pass the registry's rules; used to validate before AWS tells us the
# real values (a new account's id, an existing account's name and email).
_PENDING_ID = "000000000000"
_PENDING_NAME = "pending-onboarding-entry"
_PENDING_EMAIL = "pending-onboarding@obsgov.invalid"

_PLACEHOLDERS = {
    "--account-id": ("id", _PENDING_ID),
    "--name": ("name", _PENDING_NAME),
    "--email": ("email", _PENDING_EMAIL),
    "--owner": ("owner", _PENDING_EMAIL),
}

_UNKNOWN_OU_CODES = {
    "ParentNotFoundException",
    "DestinationParentNotFoundException",
    "OrganizationalUnitNotFoundException",
    "SourceParentNotFoundException",
}
_MANAGED_FIELDS = {"environment", "owner", "cost-centre", "data-classification", "managed-by"}


@dataclass(frozen=True)
class OnboardRequest:
    owner: str
    cost_centre: str
    data_classification: str
    account_id: str | None = None
    create: bool = False
    name: str | None = None
    email: str | None = None
    ou: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    access_role: str = DEFAULT_ACCESS_ROLE
    deployer_arn: str | None = None
    permissions_boundary: str | None = DEFAULT_BOUNDARY
    role_policies: tuple[str, ...] = (DEFAULT_ROLE_POLICY,)


@dataclass
class OnboardResult:
    account_id: str | None
    name: str
    plan: Plan
    role_proven: bool | None = None
    notes: list[str] = field(default_factory=list)


class InvitationPending(OnboardingError):
    def __init__(self, message: str, plan: Plan) -> None:
        super().__init__(message, EXIT_INVITATION_PENDING)
        self.plan = plan


class StepFailed(OnboardingError):
    """An AWS failure after some steps ran; carries the plan so far for the report."""

    def __init__(self, cause: OnboardingError, plan: Plan) -> None:
        super().__init__(str(cause), cause.code)
        self.plan = plan


def principal_arn(caller_arn: str) -> str:
    """The IAM principal behind a caller ARN: an assumed-role session becomes its role."""
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", caller_arn)
    if match:
        partition, account, role = match.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    match = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):(user/.+)", caller_arn)
    if match:
        return f"arn:{match[1]}:iam::{match[2]}:{match[3]}"
    return caller_arn


def trust_policy(deployer_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": deployer_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def _canonical(policy: Any) -> str:
    """Compare policies as IAM means them: a one-item list equals its item."""
    if isinstance(policy, str):
        from urllib.parse import unquote

        policy = json.loads(unquote(policy))

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
        return value

    return json.dumps(norm(policy), sort_keys=True)


def default_ou(env: EnvironmentConfig) -> str | None:
    """The environment's OU when the organization has exactly one named for it."""
    names = [ou.name for ou in env.org.organization.organizational_units]
    env_name = env.environment
    mine = [
        n
        for n in names
        if n == env_name or n.endswith(f"-{env_name}") or n.startswith(f"{env_name}-")
    ]
    return mine[0] if len(mine) == 1 else None


class Onboarding:
    """One onboarding run. ``run`` validates first (no AWS call), then walks the steps."""

    def __init__(
        self,
        env: EnvironmentConfig,
        request: OnboardRequest,
        aws: Aws,
        dry_run: bool = False,
        poll_interval: float = 5.0,
        poll_timeout: float = 900.0,
        role_attempts: int = 6,
        role_wait: float = 5.0,
    ) -> None:
        self.env = env
        self.request = request
        self.aws = aws
        self.plan = Plan(dry_run=dry_run)
        self.editor = RegistryEditor(env)
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.role_attempts = role_attempts
        self.role_wait = role_wait
        self.doing = "starting"
        self.fields: dict[str, Any] = {}
        self.existing: MemberAccount | None = None

    @property
    def dry_run(self) -> bool:
        return self.plan.dry_run

    # ------------------------------------------------------------------ validation

    def validate(self) -> None:
        """Every argument against the tag schema and the registry's rules; no AWS call."""
        r = self.request
        problems: list[Problem] = []
        if bool(r.account_id) == bool(r.create):
            problems.append(Problem("--account-id", "", "give either --account-id or --create"))
        if r.create:
            for option, value in (("--name", r.name), ("--email", r.email)):
                if not value:
                    problems.append(Problem(option, "", "is required with --create"))
        for key in sorted(set(r.tags) & _MANAGED_FIELDS):
            problems.append(
                Problem(
                    "--tag",
                    "",
                    f"{key!r} is set by obsgov; use --{key} instead"
                    if key not in ("environment", "managed-by")
                    else f"{key!r} is set by obsgov and cannot be overridden",
                )
            )
        ou = r.ou or default_ou(self.env)
        if ou is None:
            names = ", ".join(o.name for o in self.env.org.organization.organizational_units)
            problems.append(
                Problem(
                    "--ou",
                    "",
                    f"is required: environment "
                    f"{self.env.environment!r} has no single OU (choose from "
                    f"{names})",
                )
            )
        if problems:
            raise InputError(problems)
        self.fields = {
            "id": r.account_id or _PENDING_ID,
            "name": r.name or _PENDING_NAME,
            "email": r.email or _PENDING_EMAIL,
            "environment": self.env.environment,
            "organizationalUnit": ou,
            "owner": r.owner,
            "costCentre": r.cost_centre,
            "dataClassification": r.data_classification,
            "tags": dict(r.tags),
        }
        self.existing = self._registered()
        if self.existing is None:
            self._validate_entry()

    def _registered(self) -> MemberAccount | None:
        """The registry entry this run would finish, if any: same id, or same email for
        ``--create``. One with other values is an error, not something to overwrite."""
        r = self.request
        for account in self.env.registry.accounts:
            same = account.id == r.account_id if r.account_id else account.email == r.email
            if not same:
                continue
            wanted = {
                k: v
                for k, v in self.fields.items()
                if not (v in (_PENDING_NAME, _PENDING_EMAIL) or k == "id" and r.create)
            }
            recorded = self._entry_of(account)
            differ = [k for k, v in wanted.items() if recorded.get(k) != v]
            if differ:
                option = "--account-id" if r.account_id else "--email"
                details = "; ".join(
                    f"{k}: registry has {recorded.get(k)!r}, given {wanted[k]!r}" for k in differ
                )
                raise InputError.single(
                    option,
                    "",
                    (
                        f"account {account.id} ({account.name}) is already in the registry with "
                        f"other values ({details}); edit the registry or offboard it first"
                    ),
                )
            self.fields.update(recorded)
            return account
        return None

    @staticmethod
    def _entry_of(account: MemberAccount) -> dict[str, Any]:
        return {
            "id": account.id,
            "name": account.name,
            "email": account.email,
            "environment": account.environment,
            "organizationalUnit": account.organizational_unit,
            "owner": account.owner,
            "costCentre": account.cost_centre,
            "dataClassification": account.data_classification,
            "tags": dict(account.tags),
        }

    def _validate_entry(self) -> None:
        try:
            self.editor.edit(self._add_mutation(), ACCOUNT_OPTIONS, dry_run=True)
        except InputError as first:
            # The loader drops an entry that fails its model and so skips the rules across
            # files for it; rerun with the failing fields replaced, so a bad email does not
            # hide an unknown OU: every problem is reported at once.
            bad = {p.file for p in first.problems}
            fields = dict(self.fields)
            for option, (key, placeholder) in _PLACEHOLDERS.items():
                if option in bad:
                    fields[key] = placeholder
            if fields == self.fields:
                raise
            try:
                self.editor.edit(self._add_mutation(fields), ACCOUNT_OPTIONS, dry_run=True)
            except InputError as second:
                more = [p for p in second.problems if p not in first.problems and p.file not in bad]
                raise InputError([*first.problems, *more]) from None
            raise

    def _add_mutation(self, fields: dict[str, Any] | None = None) -> Callable[[Any], Any]:
        fields = dict(fields or self.fields)

        def add(doc: Any) -> Any:
            seq = section(doc, "accounts")
            for item in seq:
                same = (
                    isinstance(item, dict)
                    and fields["id"] != _PENDING_ID
                    and all(str(item.get(k)) == fields[k] for k in ("id", "name", "email"))
                )
                if same:
                    return None  # recorded meanwhile by a concurrent run
            at = insert_entry(seq, account_entry(fields), "environment")
            return (f"accounts[{at}]: {fields['id']} {fields['name']}", "insert", f"accounts[{at}]")

        return add

    # ------------------------------------------------------------------ the run

    def run(self) -> OnboardResult:
        self.validate()
        try:
            return self._steps()
        except (ClientError, BotoCoreError) as exc:
            raise StepFailed(aws_failure(exc, self.doing), self.plan) from None
        except InvitationPending:
            raise
        except OnboardingError as exc:
            raise StepFailed(exc, self.plan) from None

    def _steps(self) -> OnboardResult:
        orgs = self.aws.client("organizations")
        ou_id = self._ou_id()
        account_id, created = self._account(orgs, ou_id)
        name = self.fields["name"]
        result = OnboardResult(account_id, name, self.plan)
        self._place(orgs, account_id, ou_id)
        self._tag(orgs, account_id, created)
        result.role_proven = self._deployment_role(account_id, created)
        if result.role_proven is False:
            result.notes.append(
                f"the deployment role trusts {self.deployer} and these credentials are "
                f"{self.caller}: prove it with `obsgov accounts verify --env "
                f"{self.env.environment}` as the deployer"
            )
        self._record(account_id)
        return result

    def _ou_id(self) -> str:
        name = self.fields["organizationalUnit"]
        for ou in self.env.org.organization.organizational_units:
            if ou.name == name:
                return ou.id
        raise AssertionError(f"OU {name} passed validation but is not in the organization")

    # -- step 2: the account exists and is in the organization

    def _account(self, orgs: Any, ou_id: str) -> tuple[str | None, bool]:
        # a --create whose entry is already in the registry names a known account: check
        # that one rather than create a second account behind the registry's back
        if self.request.create and self.existing is None:
            return self._create(orgs, ou_id)
        return self._existing(orgs), False

    def _existing(self, orgs: Any) -> str:
        account_id = self.fields["id"]
        self.doing = f"checking that account {account_id} is in the organization"
        try:
            account = orgs.describe_account(AccountId=account_id)["Account"]
        except ClientError as exc:
            if error_code(exc) != "AccountNotFoundException":
                raise
            self._invite(orgs, account_id)
        if account.get("Status", "ACTIVE") != "ACTIVE":
            raise OnboardingError(
                f"account {account_id} is {account['Status']} in the organization; only "
                "ACTIVE accounts can be onboarded",
                EXIT_AWS,
            )
        if self.fields["name"] == _PENDING_NAME:
            self.fields["name"] = account["Name"]
        if self.fields["email"] == _PENDING_EMAIL:
            self.fields["email"] = account["Email"]
        self.plan.ok(
            "account is in the organization",
            "organizations:DescribeAccount",
            f"{account_id} {account['Name']}",
        )
        if self.existing is None:
            self._validate_entry()  # the name and email AWS gave us follow the same rules
        return account_id

    def _invite(self, orgs: Any, account_id: str) -> NoReturn:
        self.doing = f"inviting account {account_id} into the organization"
        handshakes = paginate(
            orgs, "list_handshakes_for_organization", "Handshakes", Filter={"ActionType": "INVITE"}
        )
        pending = [
            h
            for h in handshakes
            if h.get("State") in ("REQUESTED", "OPEN")
            and any(
                p.get("Type") == "ACCOUNT" and p.get("Id") == account_id
                for p in h.get("Parties", [])
            )
        ]
        if pending:
            handshake = pending[0]["Id"]
            self.plan.note(
                "invitation already sent, not yet accepted",
                "organizations:ListHandshakesForOrganization",
                "waiting",
                handshake,
            )
        elif self.dry_run:
            handshake = "(new)"
            self.plan.change(
                "invite the account into the organization",
                "organizations:InviteAccountToOrganization",
                account_id,
            )
        else:
            handshake = orgs.invite_account_to_organization(
                Target={"Id": account_id, "Type": "ACCOUNT"},
                Notes=f"obsgov: onboarding into {self.env.environment}",
            )["Handshake"]["Id"]
            self.plan.change(
                "invite the account into the organization",
                "organizations:InviteAccountToOrganization",
                handshake,
            )
        management = self.env.org.organization.management_account_id
        raise InvitationPending(
            f"account {account_id} is not in the organization; invitation {handshake} "
            "waits for its owner. In account {0}, the owner must: 1) accept the invitation "
            "(console: AWS Organizations > Invitations, or `aws organizations "
            "accept-handshake --handshake-id {1}`); 2) create the IAM role {2} trusting "
            "the management account {3} (invited accounts do not get it). Then rerun this "
            "command.".format(account_id, handshake, self.request.access_role, management),
            self.plan,
        )

    def _create(self, orgs: Any, ou_id: str) -> tuple[str | None, bool]:
        name, email = self.fields["name"], self.fields["email"]
        self.doing = f"looking for an account with email {email}"
        for account in paginate(orgs, "list_accounts", "Accounts"):
            if account["Email"].lower() != email.lower():
                continue
            if account["Name"] != name:
                raise OnboardingError(
                    f"--email: {email} already belongs to account {account['Id']} "
                    f"({account['Name']}) in the organization",
                    EXIT_DUPLICATE_EMAIL,
                )
            self.plan.ok(
                "account already exists", "organizations:ListAccounts", f"{account['Id']} {name}"
            )
            self.fields["id"] = account["Id"]
            return account["Id"], False
        self.doing = "checking account creations in progress"
        in_progress = paginate(
            orgs, "list_create_account_status", "CreateAccountStatuses", States=["IN_PROGRESS"]
        )
        pending = [s for s in in_progress if s.get("AccountName") == name]
        self.doing = f"checking that OU {self.fields['organizationalUnit']} exists"
        self._check_ou(orgs, ou_id)
        if pending:
            request_id = pending[0]["Id"]
            self.plan.ok(
                "account creation already in progress",
                "organizations:ListCreateAccountStatus",
                request_id,
            )
        elif self.dry_run:
            self.plan.change(
                f"create account {name} <{email}>",
                "organizations:CreateAccount",
                "with the schema's tags",
            )
            self.plan.change(
                "wait for the account", "organizations:DescribeCreateAccountStatus", write=False
            )
            return None, True
        else:
            self.doing = f"creating account {name}"
            try:
                status = orgs.create_account(
                    Email=email,
                    AccountName=name,
                    RoleName=self.request.access_role,
                    Tags=self._tag_list(self._desired_tags()),
                )["CreateAccountStatus"]
            except ClientError as exc:
                raise self._create_error(exc) from None
            request_id = status["Id"]
            self.plan.change(
                f"create account {name} <{email}>", "organizations:CreateAccount", request_id
            )
        account_id = self._poll(orgs, request_id)
        self.fields["id"] = account_id
        return account_id, not pending

    def _check_ou(self, orgs: Any, ou_id: str) -> None:
        try:
            orgs.describe_organizational_unit(OrganizationalUnitId=ou_id)
        except ClientError as exc:
            if error_code(exc) in _UNKNOWN_OU_CODES:
                raise self._unknown_ou(ou_id) from None
            raise

    def _unknown_ou(self, ou_id: str) -> OnboardingError:
        return OnboardingError(
            f"OU {self.fields['organizationalUnit']!r} ({ou_id}, from "
            f"{self.env.organization_file.name}) does not exist in the organization; fix its "
            "id in the organization file",
            EXIT_UNKNOWN_OU,
        )

    def _create_error(self, exc: ClientError) -> Exception:
        code = error_code(exc)
        reason = str(exc.response.get("Reason", "")) + " " + str(exc)
        if code == "ConstraintViolationException" and "ACCOUNT_NUMBER_LIMIT_EXCEEDED" in reason:
            return OnboardingError(
                "the organization has reached its account limit "
                "(ACCOUNT_NUMBER_LIMIT_EXCEEDED); request a quota increase",
                EXIT_ACCOUNT_LIMIT,
            )
        if is_access_denied(exc):
            return exc
        if code in ("TooManyRequestsException", "ServiceException"):
            return exc
        return OnboardingError(
            f"AWS refused CreateAccount: {code}: {exc.response.get('Error', {}).get('Message')}",
            EXIT_CREATE_FAILED,
        )

    def _poll(self, orgs: Any, request_id: str) -> str:
        self.doing = f"waiting for account creation {request_id}"
        waited, interval = 0.0, self.poll_interval
        while True:
            # creation takes minutes: back off (doubling, at most a minute) so a slow one
            # costs a few calls, not one every few seconds
            self.aws.sleep(interval)
            waited += interval
            interval = min(interval * 2, max(self.poll_interval, 60.0))
            status = orgs.describe_create_account_status(CreateAccountRequestId=request_id)[
                "CreateAccountStatus"
            ]
            state = status.get("State")
            if state == "SUCCEEDED":
                self.plan.ok(
                    "account created",
                    "organizations:DescribeCreateAccountStatus",
                    status["AccountId"],
                )
                return str(status["AccountId"])
            if state == "FAILED":
                reason = status.get("FailureReason", "unknown")
                code = {
                    "EMAIL_ALREADY_EXISTS": EXIT_DUPLICATE_EMAIL,
                    "ACCOUNT_LIMIT_EXCEEDED": EXIT_ACCOUNT_LIMIT,
                }.get(reason, EXIT_CREATE_FAILED)
                raise OnboardingError(
                    f"AWS could not create account {self.fields['name']}: {reason} "
                    f"(request {request_id})",
                    code,
                )
            if waited >= self.poll_timeout:
                raise OnboardingError(
                    f"account creation {request_id} is still {state} after {waited:.0f}s; "
                    "rerun the same command to keep waiting (it will not create another)",
                    EXIT_CREATE_FAILED,
                )

    # -- step 3: OU and tags

    def _place(self, orgs: Any, account_id: str | None, ou_id: str) -> None:
        ou = self.fields["organizationalUnit"]
        if account_id is None:
            self.plan.change(f"move the account into OU {ou}", "organizations:MoveAccount", ou_id)
            return
        self.doing = f"moving account {account_id} into OU {ou}"
        current = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        if current == ou_id:
            self.plan.ok(f"account is in OU {ou}", "organizations:ListParents", ou_id)
            return
        if self.dry_run:
            self._check_ou(orgs, ou_id)
            self.plan.change(
                f"move the account into OU {ou}",
                "organizations:MoveAccount",
                f"{current} -> {ou_id}",
            )
            return
        try:
            orgs.move_account(
                AccountId=account_id, SourceParentId=current, DestinationParentId=ou_id
            )
        except ClientError as exc:
            if error_code(exc) in _UNKNOWN_OU_CODES:
                raise self._unknown_ou(ou_id) from None
            raise
        self.plan.change(
            f"move the account into OU {ou}", "organizations:MoveAccount", f"{current} -> {ou_id}"
        )

    def _desired_tags(self) -> dict[str, str]:
        account = MemberAccount.model_validate(self.fields)
        return self.env.account_default_tags(account)

    @staticmethod
    def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def _tag(self, orgs: Any, account_id: str | None, created: bool) -> None:
        desired = self._desired_tags()
        if account_id is None or created:
            if account_id is None:
                return  # the plan's CreateAccount step carries the tags
            self.plan.ok(
                "account tagged at creation",
                "organizations:CreateAccount",
                ", ".join(sorted(desired)),
            )
            return
        self.doing = f"tagging account {account_id}"
        current = {
            t["Key"]: t["Value"]
            for t in paginate(orgs, "list_tags_for_resource", "Tags", ResourceId=account_id)
        }
        missing = {k: v for k, v in desired.items() if current.get(k) != v}
        if not missing:
            self.plan.ok("account has the schema's tags", "organizations:ListTagsForResource")
            return
        if not self.dry_run:
            orgs.tag_resource(ResourceId=account_id, Tags=self._tag_list(missing))
        self.plan.change(
            "tag the account",
            "organizations:TagResource",
            ", ".join(f"{k}={v}" for k, v in missing.items()),
        )

    # -- step 4: the deployment role

    def _deployment_role(self, account_id: str | None, created: bool) -> bool | None:
        r = self.request
        role_name = self.env.org.organization.deployment_role_name
        self.doing = "reading the caller's identity"
        caller_arn = self.aws.client("sts").get_caller_identity()["Arn"]
        self.caller = principal_arn(caller_arn)
        partition = caller_arn.split(":")[1]  # aws, aws-us-gov, aws-cn
        self.deployer = r.deployer_arn or self.caller
        trust = trust_policy(self.deployer)
        if account_id is None:
            for what, call in (
                (f"assume {r.access_role} in the new account", "sts:AssumeRole"),
                (f"create role {role_name} trusting {self.deployer}", "iam:CreateRole"),
                *((f"attach {p}", "iam:AttachRolePolicy") for p in r.role_policies),
                (f"prove {role_name} by assuming it", "sts:AssumeRole"),
            ):
                self.plan.change(what, call, write=call != "sts:AssumeRole")
            return None
        self.doing = f"assuming {r.access_role} in account {account_id}"
        member = self.aws.assume(
            f"arn:{partition}:iam::{account_id}:role/{r.access_role}",
            attempts=self.role_attempts if created else 1,
            wait=self.role_wait,
        )
        iam = self.aws.client("iam", member)
        self.doing = f"checking role {role_name} in account {account_id}"
        changed = False
        try:
            role = iam.get_role(RoleName=role_name)["Role"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            role = None
        if role is None:
            self.doing = f"creating role {role_name} in account {account_id}"
            params: dict[str, Any] = {
                "RoleName": role_name,
                "AssumeRolePolicyDocument": json.dumps(trust),
                "Description": "obsgov deployment role: pulumi up for this account",
                "Tags": [{"Key": "managed-by", "Value": "obsgov"}],
            }
            if r.permissions_boundary:
                params["PermissionsBoundary"] = r.permissions_boundary
            if not self.dry_run:
                iam.create_role(**params)
            self.plan.change(
                f"create role {role_name} trusting {self.deployer}",
                "iam:CreateRole",
                f"boundary {r.permissions_boundary or 'none'}",
            )
            attached: set[str] = set()
            changed = True
        else:
            if _canonical(role["AssumeRolePolicyDocument"]) != _canonical(trust):
                if not self.dry_run:
                    iam.update_assume_role_policy(
                        RoleName=role_name, PolicyDocument=json.dumps(trust)
                    )
                self.plan.change(
                    f"limit {role_name}'s trust to {self.deployer}", "iam:UpdateAssumeRolePolicy"
                )
                changed = True
            boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if r.permissions_boundary and boundary != r.permissions_boundary:
                if not self.dry_run:
                    iam.put_role_permissions_boundary(
                        RoleName=role_name, PermissionsBoundary=r.permissions_boundary
                    )
                self.plan.change(
                    f"set {role_name}'s permissions boundary",
                    "iam:PutRolePermissionsBoundary",
                    r.permissions_boundary,
                )
                changed = True
            attached = {
                p["PolicyArn"]
                for p in paginate(
                    iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name
                )
            }
        for policy in r.role_policies:
            if policy in attached:
                continue
            if not self.dry_run:
                iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)
            self.plan.change(f"attach {policy}", "iam:AttachRolePolicy")
            changed = True
        if not changed:
            self.plan.ok(f"role {role_name} is as required", "iam:GetRole")
        role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
        if self.dry_run and changed:
            self.plan.change(f"prove {role_name} by assuming it", "sts:AssumeRole", write=False)
            return None
        if self.deployer != self.caller:
            self.plan.note(
                f"prove {role_name} by assuming it",
                "sts:AssumeRole",
                "skipped",
                "these credentials are not the deployer",
            )
            return False
        self.doing = f"proving {role_arn} by assuming it"
        self.aws.assume(
            role_arn, attempts=self.role_attempts if changed else 1, wait=self.role_wait
        )
        self.plan.ok(f"assumed {role_name}", "sts:AssumeRole", role_arn)
        return True

    # -- step 5: the registry

    def _record(self, account_id: str | None) -> None:
        shown = self.editor.path.name
        if self.existing is not None:
            self.plan.ok(f"already recorded in {shown}", "registry")
            return
        if account_id is None:
            self.plan.change(
                f"add {self.fields['name']} to {shown}",
                "registry",
                f"environment {self.env.environment}",
            )
            return
        self.doing = f"recording the account in {shown}"
        edit = self.editor.edit(self._add_mutation(), ACCOUNT_OPTIONS, dry_run=self.dry_run)
        if edit.changed:
            self.plan.change(f"record the account in {shown}", "registry", edit.summary)
        else:
            self.plan.ok(f"already recorded in {shown}", "registry")
