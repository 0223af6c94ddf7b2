"""Onboarding steps 2 and 3: the account is in the organization (found, invited or created),
sits in its OU and carries the tag schema's tags.

Each step reads the state from AWS Organizations first and writes only what differs.
"""

from __future__ import annotations

from typing import Any, NoReturn

from botocore.exceptions import ClientError

from obsgov.config.models import MemberAccount

from .aws import error_code, is_access_denied, paginate
from .errors import (
    EXIT_ACCOUNT_LIMIT,
    EXIT_AWS,
    EXIT_CREATE_FAILED,
    EXIT_DUPLICATE_EMAIL,
    EXIT_UNKNOWN_OU,
    OnboardingError,
)
from .onboard_entry import PENDING_EMAIL, PENDING_NAME, validate_entry
from .onboard_run import InvitationPending, RunState

_UNKNOWN_OU_CODES = {
    "ParentNotFoundException",
    "DestinationParentNotFoundException",
    "OrganizationalUnitNotFoundException",
    "SourceParentNotFoundException",
}


def target_ou_id(state: RunState) -> str:
    """The id of the OU the validated fields name."""
    name = state.fields["organizationalUnit"]
    for ou in state.env.org.organization.organizational_units:
        if ou.name == name:
            return ou.id
    raise AssertionError(f"OU {name} passed validation but is not in the organization")


# -- step 2: the account exists and is in the organization


def ensure_account(state: RunState, orgs: Any, ou_id: str) -> tuple[str | None, bool]:
    # a --create whose entry is already in the registry names a known account: check
    # that one rather than create a second account behind the registry's back
    if state.request.create and state.existing is None:
        return _create(state, orgs, ou_id)
    return _existing(state, orgs), False


def _existing(state: RunState, orgs: Any) -> str:
    account_id = state.fields["id"]
    state.doing = f"checking that account {account_id} is in the organization"
    try:
        account = orgs.describe_account(AccountId=account_id)["Account"]
    except ClientError as exc:
        if error_code(exc) != "AccountNotFoundException":
            raise
        _invite(state, orgs, account_id)
    if account.get("Status", "ACTIVE") != "ACTIVE":
        raise OnboardingError(
            f"account {account_id} is {account['Status']} in the organization; only "
            "ACTIVE accounts can be onboarded",
            EXIT_AWS,
        )
    if state.fields["name"] == PENDING_NAME:
        state.fields["name"] = account["Name"]
    if state.fields["email"] == PENDING_EMAIL:
        state.fields["email"] = account["Email"]
    state.plan.ok(
        "account is in the organization",
        "organizations:DescribeAccount",
        f"{account_id} {account['Name']}",
    )
    if state.existing is None:
        validate_entry(state)  # the name and email AWS gave us follow the same rules
    return account_id


def _invite(state: RunState, orgs: Any, account_id: str) -> NoReturn:
    state.doing = f"inviting account {account_id} into the organization"
    handshakes = paginate(
        orgs, "list_handshakes_for_organization", "Handshakes", Filter={"ActionType": "INVITE"}
    )
    pending = [
        h
        for h in handshakes
        if h.get("State") in ("REQUESTED", "OPEN")
        and any(
            p.get("Type") == "ACCOUNT" and p.get("Id") == account_id for p in h.get("Parties", [])
        )
    ]
    if pending:
        handshake = pending[0]["Id"]
        state.plan.note(
            "invitation already sent, not yet accepted",
            "organizations:ListHandshakesForOrganization",
            "waiting",
            handshake,
        )
    elif state.dry_run:
        handshake = "(new)"
        state.plan.change(
            "invite the account into the organization",
            "organizations:InviteAccountToOrganization",
            account_id,
        )
    else:
        handshake = orgs.invite_account_to_organization(
            Target={"Id": account_id, "Type": "ACCOUNT"},
            Notes=f"obsgov: onboarding into {state.env.environment}",
        )["Handshake"]["Id"]
        state.plan.change(
            "invite the account into the organization",
            "organizations:InviteAccountToOrganization",
            handshake,
        )
    management = state.env.org.organization.management_account_id
    raise InvitationPending(
        f"account {account_id} is not in the organization; invitation {handshake} "
        "waits for its owner. In account {0}, the owner must: 1) accept the invitation "
        "(console: AWS Organizations > Invitations, or `aws organizations "
        "accept-handshake --handshake-id {1}`); 2) create the IAM role {2} trusting "
        "the management account {3} (invited accounts do not get it). Then rerun this "
        "command.".format(account_id, handshake, state.request.access_role, management),
        state.plan,
    )


def _create(state: RunState, orgs: Any, ou_id: str) -> tuple[str | None, bool]:
    name, email = state.fields["name"], state.fields["email"]
    state.doing = f"looking for an account with email {email}"
    for account in paginate(orgs, "list_accounts", "Accounts"):
        if account["Email"].lower() != email.lower():
            continue
        if account.get("Status", "ACTIVE") != "ACTIVE":
            # a closed account keeps its email for 90 days (Organizations, CloseAccount):
            # adopting it would onboard an account nobody can use
            raise OnboardingError(
                f"--email: {email} belongs to account {account['Id']} ({account['Name']}), "
                f"which is {account['Status']} (closed); use another email, or reopen the "
                "account through AWS Support within 90 days of closing it",
                EXIT_DUPLICATE_EMAIL,
            )
        if account["Name"] != name:
            raise OnboardingError(
                f"--email: {email} already belongs to account {account['Id']} "
                f"({account['Name']}) in the organization",
                EXIT_DUPLICATE_EMAIL,
            )
        state.plan.ok(
            "account already exists", "organizations:ListAccounts", f"{account['Id']} {name}"
        )
        state.fields["id"] = account["Id"]
        return account["Id"], False
    state.doing = "checking account creations in progress"
    in_progress = paginate(
        orgs, "list_create_account_status", "CreateAccountStatuses", States=["IN_PROGRESS"]
    )
    pending = [s for s in in_progress if s.get("AccountName") == name]
    state.doing = f"checking that OU {state.fields['organizationalUnit']} exists"
    _check_ou(state, orgs, ou_id)
    if pending:
        request_id = pending[0]["Id"]
        state.plan.ok(
            "account creation already in progress",
            "organizations:ListCreateAccountStatus",
            request_id,
        )
    elif state.dry_run:
        state.plan.change(
            f"create account {name} <{email}>",
            "organizations:CreateAccount",
            "with the schema's tags",
        )
        state.plan.change(
            "wait for the account", "organizations:DescribeCreateAccountStatus", write=False
        )
        return None, True
    else:
        state.doing = f"creating account {name}"
        try:
            status = orgs.create_account(
                Email=email,
                AccountName=name,
                RoleName=state.request.access_role,
                Tags=_tag_list(_desired_tags(state)),
            )["CreateAccountStatus"]
        except ClientError as exc:
            raise _create_error(exc) from None
        request_id = status["Id"]
        state.plan.change(
            f"create account {name} <{email}>", "organizations:CreateAccount", request_id
        )
    account_id = _poll(state, orgs, request_id)
    if pending:
        # CreateAccountStatus names the account, not its email: a creation in progress under
        # this name may have been asked with another email (a typo since corrected)
        found = orgs.describe_account(AccountId=account_id)["Account"]
        if found["Email"].lower() != email.lower():
            raise OnboardingError(
                f"--email: the account creation {request_id} in progress for {name!r} was "
                f"asked with {found['Email']}, not {email}; it became account {account_id}. "
                "Onboard that account with --account-id, or choose another name",
                EXIT_DUPLICATE_EMAIL,
            )
    state.fields["id"] = account_id
    return account_id, not pending


def _check_ou(state: RunState, orgs: Any, ou_id: str) -> None:
    try:
        orgs.describe_organizational_unit(OrganizationalUnitId=ou_id)
    except ClientError as exc:
        if error_code(exc) in _UNKNOWN_OU_CODES:
            raise _unknown_ou(state, ou_id) from None
        raise


def _unknown_ou(state: RunState, ou_id: str) -> OnboardingError:
    return OnboardingError(
        f"OU {state.fields['organizationalUnit']!r} ({ou_id}, from "
        f"{state.env.organization_file.name}) does not exist in the organization; fix its "
        "id in the organization file",
        EXIT_UNKNOWN_OU,
    )


def _create_error(exc: ClientError) -> Exception:
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


def _poll(state: RunState, orgs: Any, request_id: str) -> str:
    state.doing = f"waiting for account creation {request_id}"
    waited, interval = 0.0, state.poll_interval
    while True:
        # creation takes minutes: back off (doubling, at most a minute) so a slow one
        # costs a few calls, not one every few seconds
        state.aws.sleep(interval)
        waited += interval
        interval = min(interval * 2, max(state.poll_interval, 60.0))
        status = orgs.describe_create_account_status(CreateAccountRequestId=request_id)[
            "CreateAccountStatus"
        ]
        phase = status.get("State")
        if phase == "SUCCEEDED":
            state.plan.ok(
                "account created",
                "organizations:DescribeCreateAccountStatus",
                status["AccountId"],
            )
            return str(status["AccountId"])
        if phase == "FAILED":
            reason = status.get("FailureReason", "unknown")
            code = {
                "EMAIL_ALREADY_EXISTS": EXIT_DUPLICATE_EMAIL,
                "ACCOUNT_LIMIT_EXCEEDED": EXIT_ACCOUNT_LIMIT,
            }.get(reason, EXIT_CREATE_FAILED)
            raise OnboardingError(
                f"AWS could not create account {state.fields['name']}: {reason} "
                f"(request {request_id})",
                code,
            )
        if waited >= state.poll_timeout:
            raise OnboardingError(
                f"account creation {request_id} is still {phase} after {waited:.0f}s; "
                "rerun the same command to keep waiting (it will not create another)",
                EXIT_CREATE_FAILED,
            )


# -- step 3: OU and tags


def place(state: RunState, orgs: Any, account_id: str | None, ou_id: str) -> None:
    ou = state.fields["organizationalUnit"]
    if account_id is None:
        state.plan.change(f"move the account into OU {ou}", "organizations:MoveAccount", ou_id)
        return
    state.doing = f"moving account {account_id} into OU {ou}"
    current = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    if current == ou_id:
        state.plan.ok(f"account is in OU {ou}", "organizations:ListParents", ou_id)
        return
    if state.dry_run:
        _check_ou(state, orgs, ou_id)
        state.plan.change(
            f"move the account into OU {ou}",
            "organizations:MoveAccount",
            f"{current} -> {ou_id}",
        )
        return
    try:
        orgs.move_account(AccountId=account_id, SourceParentId=current, DestinationParentId=ou_id)
    except ClientError as exc:
        if error_code(exc) in _UNKNOWN_OU_CODES:
            raise _unknown_ou(state, ou_id) from None
        raise
    state.plan.change(
        f"move the account into OU {ou}", "organizations:MoveAccount", f"{current} -> {ou_id}"
    )


def _desired_tags(state: RunState) -> dict[str, str]:
    account = MemberAccount.model_validate(state.fields)
    return state.env.account_default_tags(account)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tag(state: RunState, orgs: Any, account_id: str | None, created: bool) -> None:
    desired = _desired_tags(state)
    if account_id is None or created:
        if account_id is None:
            return  # the plan's CreateAccount step carries the tags
        state.plan.ok(
            "account tagged at creation",
            "organizations:CreateAccount",
            ", ".join(sorted(desired)),
        )
        return
    state.doing = f"tagging account {account_id}"
    current = {
        t["Key"]: t["Value"]
        for t in paginate(orgs, "list_tags_for_resource", "Tags", ResourceId=account_id)
    }
    missing = {k: v for k, v in desired.items() if current.get(k) != v}
    if not missing:
        state.plan.ok("account has the schema's tags", "organizations:ListTagsForResource")
        return
    if not state.dry_run:
        orgs.tag_resource(ResourceId=account_id, Tags=_tag_list(missing))
    state.plan.change(
        "tag the account",
        "organizations:TagResource",
        ", ".join(f"{k}={v}" for k, v in missing.items()),
    )
