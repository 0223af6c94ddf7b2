"""The registry entry an onboarding adds: checked before any AWS call, recorded last.

Every argument is checked against the tag schema and the registry's rules first, with
placeholders for what only AWS can tell (a new account's id, an existing account's name and
email), so a bad argument costs no AWS call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from obsgov.config import EnvironmentConfig
from obsgov.config.aws_api import ACCESS_ROLE, policy_arn_problem, principal_problem
from obsgov.config.models import MemberAccount
from obsgov.errors import InputError, Problem

from .onboard_run import RunState
from .registry_file import ACCOUNT_OPTIONS, account_entry, insert_entry, section

# Placeholders that pass the registry's rules; used to validate before AWS tells us the
# real values (a new account's id, an existing account's name and email).
PENDING_ID = "000000000000"
PENDING_NAME = "pending-onboarding-entry"
PENDING_EMAIL = "pending-onboarding@obsgov.invalid"

_PLACEHOLDERS = {
    "--account-id": ("id", PENDING_ID),
    "--name": ("name", PENDING_NAME),
    "--email": ("email", PENDING_EMAIL),
    "--owner": ("owner", PENDING_EMAIL),
}

_MANAGED_FIELDS = {"environment", "owner", "cost-centre", "data-classification", "managed-by"}


ENVIRONMENTS = ("dev", "staging", "prod")


def ou_environment(name: str) -> str | None:
    """The environment an OU's name says it holds (``ml-prod``, ``prod``, ``prod-data``)."""
    for env_name in ENVIRONMENTS:
        if name == env_name or name.endswith(f"-{env_name}") or name.startswith(f"{env_name}-"):
            return env_name
    return None


def default_ou(env: EnvironmentConfig) -> str | None:
    """The environment's OU when the organization has exactly one named for it."""
    names = [ou.name for ou in env.org.organization.organizational_units]
    mine = [n for n in names if ou_environment(n) == env.environment]
    return mine[0] if len(mine) == 1 else None


def deployer_of(env: EnvironmentConfig, given: str | None) -> str | None:
    return given or env.org.account_factory.deployer_arn


def request_problems(state: RunState) -> list[Problem]:
    """The arguments AWS would refuse or that would open the account: checked against AWS's
    API models (botocore) and IAM's ARN formats, before any call."""
    r = state.request
    problems: list[Problem] = []
    reason = ACCESS_ROLE.problem(r.access_role)
    if reason:
        problems.append(Problem("--access-role", "", reason))
    deployer = deployer_of(state.env, r.deployer_arn)
    if deployer is None:
        problems.append(
            Problem(
                "--deployer-arn",
                "",
                "is required: organization.yaml sets no accountFactory.deployerArn (the CI "
                "principal pulumi up runs as); the deployment role never trusts whoever "
                "runs onboarding by default",
            )
        )
    elif r.deployer_arn is not None:
        reason = principal_problem(r.deployer_arn)
        if reason:
            problems.append(Problem("--deployer-arn", "", reason))
    if r.permissions_boundary is not None:
        reason = policy_arn_problem(r.permissions_boundary)
        if reason:
            problems.append(Problem("--permissions-boundary", "", reason))
    for policy in r.role_policies:
        reason = policy_arn_problem(policy)
        if reason:
            problems.append(Problem("--role-policy", "", reason))
    if r.ou is not None:
        other = ou_environment(r.ou)
        if other is not None and other != state.env.environment:
            problems.append(
                Problem(
                    "--ou",
                    "",
                    f"{r.ou!r} holds {other} accounts; an account of {state.env.environment} "
                    "cannot go there",
                )
            )
    return problems


def validate(state: RunState) -> None:
    """Every argument against the tag schema and the registry's rules; no AWS call."""
    r = state.request
    env = state.env
    problems: list[Problem] = request_problems(state)
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
    ou = r.ou or default_ou(env)
    if ou is None:
        names = ", ".join(o.name for o in env.org.organization.organizational_units)
        problems.append(
            Problem(
                "--ou",
                "",
                f"is required: environment "
                f"{env.environment!r} has no single OU (choose from "
                f"{names})",
            )
        )
    if problems:
        raise InputError(problems)
    state.fields = {
        "id": r.account_id or PENDING_ID,
        "name": r.name or PENDING_NAME,
        "email": r.email or PENDING_EMAIL,
        "environment": env.environment,
        "organizationalUnit": ou,
        "owner": r.owner,
        "costCentre": r.cost_centre,
        "dataClassification": r.data_classification,
        "tags": dict(r.tags),
    }
    state.existing = _registered(state)
    if state.existing is None:
        validate_entry(state)


def _registered(state: RunState) -> MemberAccount | None:
    """The registry entry this run would finish, if any: same id, or same email for
    ``--create``. One with other values is an error, not something to overwrite."""
    r = state.request
    for account in state.env.registry.accounts:
        same = (
            account.id == r.account_id
            if r.account_id
            else account.email.lower() == (r.email or "").lower()
        )
        if not same:
            continue
        wanted = {
            k: v
            for k, v in state.fields.items()
            if not (v in (PENDING_NAME, PENDING_EMAIL) or k == "id" and r.create)
        }
        recorded = _entry_of(account)
        differ = [k for k, v in wanted.items() if not _same(k, recorded.get(k), v)]
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
        state.fields.update(recorded)
        return account
    return None


def _same(key: str, recorded: Any, given: Any) -> bool:
    if key in ("email", "owner") and isinstance(recorded, str) and isinstance(given, str):
        return recorded.lower() == given.lower()  # email addresses are matched without case
    return bool(recorded == given)


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


def validate_entry(state: RunState) -> None:
    try:
        state.editor.edit(_add_mutation(state.fields), ACCOUNT_OPTIONS, dry_run=True)
    except InputError as first:
        # The loader drops an entry that fails its model and so skips the rules across
        # files for it; rerun with the failing fields replaced, so a bad email does not
        # hide an unknown OU: every problem is reported at once.
        bad = {p.file for p in first.problems}
        fields = dict(state.fields)
        for option, (key, placeholder) in _PLACEHOLDERS.items():
            if option in bad:
                fields[key] = placeholder
        if fields == state.fields:
            raise
        try:
            state.editor.edit(_add_mutation(fields), ACCOUNT_OPTIONS, dry_run=True)
        except InputError as second:
            more = [p for p in second.problems if p not in first.problems and p.file not in bad]
            raise InputError([*first.problems, *more]) from None
        raise


def _add_mutation(fields: dict[str, Any]) -> Callable[[Any], Any]:
    fields = dict(fields)

    def add(doc: Any) -> Any:
        seq = section(doc, "accounts")
        for item in seq:
            same = (
                isinstance(item, dict)
                and fields["id"] != PENDING_ID
                and str(item.get("id")) == fields["id"]
                and str(item.get("name")) == fields["name"]
                and str(item.get("email")).lower() == str(fields["email"]).lower()
            )
            if same:
                return None  # recorded meanwhile by a concurrent run
        at = insert_entry(seq, account_entry(fields), "environment")
        return (f"accounts[{at}]: {fields['id']} {fields['name']}", "insert", f"accounts[{at}]")

    return add


def record(state: RunState, account_id: str | None) -> None:
    """Step 5: the account in the registry, once AWS has it."""
    shown = state.editor.path.name
    if state.existing is not None:
        state.plan.ok(f"already recorded in {shown}", "registry")
        return
    if account_id is None:
        state.plan.change(
            f"add {state.fields['name']} to {shown}",
            "registry",
            f"environment {state.env.environment}",
        )
        return
    state.doing = f"recording the account in {shown}"
    edit = state.editor.edit(_add_mutation(state.fields), ACCOUNT_OPTIONS, dry_run=state.dry_run)
    if edit.changed:
        state.plan.change(f"record the account in {shown}", "registry", edit.summary)
    else:
        state.plan.ok(f"already recorded in {shown}", "registry")
