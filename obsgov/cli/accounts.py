"""``obsgov accounts``: onboard, list, verify and offboard member accounts.

The commands parse options and print; the steps live in :mod:`obsgov.accounts`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from obsgov.accounts.errors import EXIT_CODES_HELP, OnboardingError
from obsgov.errors import InputError, Problem

from .common import (
    EXIT_INPUT,
    EXIT_VERDICT,
    EnvOption,
    StacksDirOption,
    command,
    default_stacks_dir,
    err,
    fail,
    load_env,
    out,
)

if TYPE_CHECKING:
    from obsgov.config.models import MemberAccount

app = typer.Typer(
    help="Bring AWS accounts under governance and keep stacks/accounts.yaml in step with "
    "AWS Organizations.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    # as the root command: plain help that fits 80 columns
    rich_markup_mode=None,
    context_settings={"max_content_width": 80, "help_option_names": ["--help", "-h"]},
)


def _environments(env_name: str | None, stacks_dir: Path | None) -> list[Any]:
    if env_name:
        return [load_env(env_name, stacks_dir)]
    directory = stacks_dir or default_stacks_dir()
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
    if not names:
        raise InputError.single("--stacks-dir", "", f"no Pulumi.<ENV>.yaml in {directory}")
    # a member shard's accounts are its environment's (README "Stacks"): each once
    loaded = [load_env(name, stacks_dir) for name in names]
    return [env for env in loaded if env.settings.stack_role != "shard"]


def _tags(values: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    problems = []
    for value in values:
        key, sep, tag_value = value.partition("=")
        if not sep or not key:
            problems.append(Problem("--tag", "", f"{value!r} must be KEY=VALUE"))
        elif len(key) > 128 or len(tag_value) > 256 or key.lower().startswith("aws:"):
            problems.append(
                Problem(
                    "--tag",
                    "",
                    f"{key!r}: AWS tag keys are 1-128 "
                    "characters not starting with aws:, values at most 256",
                )
            )
        elif key in tags:
            problems.append(Problem("--tag", "", f"{key!r} is given twice"))
        else:
            tags[key] = tag_value
    if problems:
        raise InputError(problems)
    return tags


def _failed(exc: OnboardingError) -> NoReturn:
    fail(str(exc), exc.code)


def _plan_table(plan: Any) -> Table:
    """Each step as two lines (the API call, then what and why), so it fits 80 columns."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    marks = {
        "done": "[green]done[/]",
        "planned": "[yellow]would[/]",
        "ok": "ok",
        "waiting": "[yellow]wait[/]",
        "skipped": "[dim]skip[/]",
    }
    for step in plan.steps:
        detail = f" ({step.detail})" if step.detail else ""
        table.add_row(
            marks[step.status], Text.assemble((step.call, "bold"), "\n", step.what + detail)
        )
    return table


@app.command(
    "onboard",
    help=(
        "Bring an account under governance: create it (--create) or check an existing one is in "
        "the organization (inviting it if not), move it into its OU, tag it with the tag "
        "schema's tags, ensure the deployment role (assuming the organization access role) and "
        "prove it by assuming it, then record it in stacks/accounts.yaml. Every argument is "
        "validated before any AWS call; a rerun finishes a run that stopped halfway and changes "
        "nothing once the account is onboarded.\n\n" + EXIT_CODES_HELP
    ),
)
@command
def onboard(
    env_name: str = EnvOption,
    account_id: str | None = typer.Option(
        None, "--account-id", metavar="ID", help="An existing account (12 digits)."
    ),
    create: bool = typer.Option(False, "--create", help="Create a new account."),
    name: str | None = typer.Option(
        None,
        "--name",
        metavar="NAME",
        help="Account name (required with --create; default: its name in Organizations).",
    ),
    email: str | None = typer.Option(
        None, "--email", metavar="EMAIL", help="Root email (required with --create)."
    ),
    owner: str = typer.Option(
        ..., "--owner", metavar="EMAIL", help="Owning team's email (owner tag)."
    ),
    cost_centre: str = typer.Option(..., "--cost-centre", metavar="CC", help="cost-centre tag."),
    data_classification: str = typer.Option(
        ..., "--data-classification", metavar="CLASS", help="data-classification tag."
    ),
    ou: str | None = typer.Option(
        None,
        "--ou",
        metavar="OU",
        help="OU name from organization.yaml (default: the environment's only OU).",
    ),
    tag: list[str] = typer.Option([], "--tag", metavar="KEY=VALUE", help="Extra tag; repeatable."),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print each AWS call and registry change it would make; "
        "change nothing (read calls still run).",
    ),
    access_role: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--access-role",
        metavar="ROLE",
        help="Role the management account assumes in the member account.",
    ),
    deployer_arn: str | None = typer.Option(
        None,
        "--deployer-arn",
        metavar="ARN",
        help="Role or user the deployment role trusts (default: accountFactory.deployerArn "
        "in organization.yaml; never a wildcard or a whole account).",
    ),
    permissions_boundary: str | None = typer.Option(
        None,
        "--permissions-boundary",
        metavar="ARN",
        help="Boundary of the deployment role (default: obsgov-deployment-boundary, "
        "generated for the account).",
    ),
    role_policy: list[str] = typer.Option(
        [],
        "--role-policy",
        metavar="ARN",
        help="Extra managed policy for the deployment role, capped by its boundary; repeatable.",
    ),
    poll_interval: float = typer.Option(
        10.0,
        "--poll-interval",
        metavar="SECONDS",
        min=0.0,
        help="Seconds between checks while AWS creates the account.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    from obsgov.accounts import Aws, InvitationPending, Onboarding, OnboardRequest, StepFailed

    tags = _tags(tag)
    env = load_env(env_name, stacks_dir)
    request = OnboardRequest(
        account_id=account_id,
        create=create,
        name=name,
        email=email,
        owner=owner,
        cost_centre=cost_centre,
        data_classification=data_classification,
        ou=ou,
        tags=tags,
        access_role=access_role,
        deployer_arn=deployer_arn,
        permissions_boundary=permissions_boundary,
        role_policies=tuple(role_policy),
    )
    run = Onboarding(
        env, request, Aws(region=env.settings.region), dry_run=dry_run, poll_interval=poll_interval
    )
    try:
        result = run.run()
    except InvitationPending as exc:
        out.print(_plan_table(exc.plan))
        out.print(f"[yellow]waiting:[/yellow] {exc}")
        raise typer.Exit(exc.code) from None
    except StepFailed as exc:
        if exc.plan.steps:
            out.print(_plan_table(exc.plan))
        _failed(exc)
    except OnboardingError as exc:
        _failed(exc)
    out.print(_plan_table(result.plan))
    label = result.account_id or "(new account)"
    writes = [s for s in result.plan.changes if s.call != "registry"]
    registry = [s for s in result.plan.changes if s.call == "registry"]
    if dry_run:
        out.print(
            f"dry run: {len(writes)} AWS writes and {len(registry)} registry change "
            "would be made; nothing was changed"
        )
        return
    for note in result.notes:
        out.print(f"[yellow]note:[/yellow] {note}")
    if not result.plan.changes:
        out.print(
            f"{label} ({result.name}) is already onboarded into {env.environment}", soft_wrap=False
        )
        out.print(f"changed: nothing (AWS and {env.registry_file.name} untouched)")
    else:
        out.print(
            f"[green]onboarded[/green] {label} ({result.name}) into {env.environment}",
            soft_wrap=False,
        )
        out.print(f"changed: {len(writes)} AWS writes, {len(registry)} registry change")
    out.print(f"next: pulumi up --stack {env.stack}")


@app.command(
    "apply",
    help=(
        "Accounts as code: bring every account the registry lists for the environment to "
        "what onboarding makes (organization, OU, tags, deployment role, contacts, Identity "
        "Center access, default VPCs, Region-deny SCP). Plans every account first with no "
        "write; then applies each plan, unless --dry-run. Accounts tagged managed-by=obsgov "
        "that the registry no longer lists are reported for `accounts offboard`.\n\n"
        + EXIT_CODES_HELP
    ),
)
@command
def apply(
    env_name: str = EnvOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    access_role: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--access-role",
        metavar="ROLE",
        help="Role the management account assumes in member accounts.",
    ),
    poll_interval: float = typer.Option(
        10.0,
        "--poll-interval",
        metavar="SECONDS",
        min=0.0,
        help="Seconds between checks while AWS works (invitations, assignments).",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    from obsgov.accounts import Aws, StepFailed
    from obsgov.accounts.apply import reconcile
    from obsgov.accounts.errors import EXIT_INVITATION_PENDING

    env = load_env(env_name, stacks_dir)
    try:
        done = reconcile(
            env,
            Aws(region=env.settings.region),
            dry_run=dry_run,
            access_role=access_role,
            progress=lambda s: err.print(s),
            poll_interval=poll_interval,
        )
    except StepFailed as exc:
        if exc.plan.steps:
            out.print(_plan_table(exc.plan))
        _failed(exc)
    except OnboardingError as exc:
        _failed(exc)
    for item in done.accounts:
        changes = item.plan.changes
        out.print(f"{item.account.name} ({item.account.id}): {len(changes)} changes")
        if changes:
            out.print(_plan_table(type(item.plan)(item.plan.dry_run, changes)))
        if item.pending:
            out.print(f"[yellow]waiting:[/yellow] {item.pending}")
    for finding in done.unregistered:
        out.print(f"[yellow]not in the registry:[/yellow] {finding.account_id} {finding.detail}")
    verb = "would make" if dry_run else "made"
    out.print(f"{verb} {done.writes} changes in {len(done.accounts)} accounts of {env.environment}")
    if done.pending:
        raise typer.Exit(EXIT_INVITATION_PENDING)


@app.command("list")
@command
def list_accounts(
    env_name: str | None = typer.Option(
        None,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Only this environment (default: all).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """List the registry's member accounts."""
    rows = []
    for env in _environments(env_name, stacks_dir):
        for account in env.member_accounts:
            rows.append(account.model_dump(by_alias=True))
    rows.sort(key=lambda r: (r["environment"], r["name"]))
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    headers = ("id", "name", "env", "OU", "owner", "cost centre")
    cells = [
        (r["id"], r["name"], r["environment"], r["organizationalUnit"], r["owner"], r["costCentre"])
        for r in rows
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *cells, strict=False)]
    if sum(widths) + 2 * (len(widths) - 1) <= out.width:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in headers:
            table.add_column(column, no_wrap=True)
        for row in cells:
            table.add_row(*(Text(str(c)) for c in row))
        out.print(table)
    else:
        # too narrow for the table: one block per account, never a name or address cut in two
        for account_id, name, env_name_, ou, owner, cost in cells:
            out.print(f"{name}  {account_id}  {env_name_}", markup=False, soft_wrap=True)
            out.print(f"  OU {ou}, owner {owner}, cost centre {cost}", markup=False, soft_wrap=True)
    out.print(f"{len(rows)} account{'' if len(rows) == 1 else 's'}", markup=False)


@app.command(
    "verify",
    help=(
        "Compare the registry with AWS Organizations and IAM: accounts missing from the "
        "organization, in the wrong OU or with drifted tags; deployment roles that trust "
        "more than the deployer, lost their boundary, carry other policies or cannot be "
        "assumed; and accounts tagged managed-by=obsgov that the registry does not list. "
        "Read-only; exit 1 when anything drifted.\n\n" + EXIT_CODES_HELP
    ),
)
@command
def verify_accounts(
    env_name: str | None = typer.Option(
        None,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Only this environment (default: all).",
    ),
    check_role: bool = typer.Option(
        True,
        "--role/--no-role",
        help="Also read each deployment role through the access role and, when these "
        "credentials are the deployer's, assume it (default).",
    ),
    access_role: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--access-role",
        metavar="ROLE",
        help="Role the management account assumes to read member accounts' IAM.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.progress import Progress

    from obsgov.accounts import Aws
    from obsgov.accounts.aws import aws_failure
    from obsgov.accounts.verify import verify

    envs = _environments(env_name, stacks_dir)
    findings = []
    total = sum(len(e.member_accounts) for e in envs)
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("checking accounts", total=total)

            def step(account: MemberAccount) -> None:
                progress.update(task, advance=1, description=f"checking {account.name}")

            for env in envs:
                found = verify(env, Aws(region=env.settings.region), check_role, step, access_role)
                findings += [(env.environment, f) for f in found]
    except (ClientError, BotoCoreError) as exc:
        _failed(aws_failure(exc, "reading the organization"))
    if not findings:
        out.print(f"[green]ok[/green] {total} accounts match the registry")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("account", "check", "finding"):
        table.add_column(column, overflow="fold")
    for environment, f in findings:
        table.add_row(f"{f.name}\n{f.account_id} ({environment})", f.check, f.detail)
    out.print(table)
    out.print(f"[red]drift:[/red] {len(findings)} findings in {total} accounts")
    raise typer.Exit(EXIT_VERDICT)


@app.command(
    "offboard",
    help=(
        "Take an account out of governance, in order: remove it from the registry (so "
        "`pulumi up` destroys its baseline), then, once the baseline is gone, delete the "
        "deployment role and obsgov's boundaries, detach obsgov's Region-deny SCP, move it "
        "to the suspended OU, and remove obsgov's tags but the billing ones. Run it again "
        "after `pulumi up`: it goes on where it stopped. With --close, also close the account "
        "(after you type its id, or --yes); closing cannot be undone after 90 days.\n\n"
        + EXIT_CODES_HELP
    ),
)
@command
def offboard(
    account_id: str = typer.Argument(..., metavar="ID", help="The account's 12-digit id."),
    env_name: str | None = typer.Option(
        None,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Environment of the account (default: found in the registry).",
    ),
    close: bool = typer.Option(False, "--close", help="Also close the account."),
    yes: bool = typer.Option(
        False, "--yes", help="Do not ask to type the account id before closing it (CI)."
    ),
    with_workloads: bool = typer.Option(
        False, "--with-workloads", help="Also remove the account's workloads."
    ),
    access_role: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--access-role",
        metavar="ROLE",
        help="Role the management account assumes in the member account.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change."),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    from obsgov.accounts import Aws, RegistryEditor
    from obsgov.accounts.aws import aws_failure
    from obsgov.accounts.edits import remove_account
    from obsgov.accounts.offboard import find_target, release
    from obsgov.config.aws_api import ACCESS_ROLE

    if not re.fullmatch(r"\d{12}", account_id):
        raise InputError.single("ID", "", f"{account_id!r} must be 12 digits")
    reason = ACCESS_ROLE.problem(access_role)
    if reason:
        raise InputError.single("--access-role", "", reason)
    envs = _environments(env_name, stacks_dir)
    editor, mutate = None, remove_account(account_id, with_workloads)
    registered = next((e for e in envs if account_id in {a.id for a in e.member_accounts}), None)
    if registered is not None:
        editor = RegistryEditor(registered)
        editor.edit(mutate, dry_run=True)  # the registry stays valid without it: checked first
    aws = Aws(region=(registered or envs[0]).settings.region)
    try:
        target = find_target(envs, account_id, env_name, aws)
    except OnboardingError as exc:
        _failed(exc)
    except Exception as exc:  # botocore's, worded
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (ClientError, BotoCoreError)):
            _failed(aws_failure(exc, f"looking for account {account_id}"))
        raise
    if close and not dry_run and not yes:
        typed = typer.prompt(
            f"closing {account_id} ({target.name}) cannot be undone after "
            "90 days; type the account id to confirm"
        )
        if typed.strip() != account_id:
            fail("confirmation did not match the account id; nothing was changed", EXIT_INPUT)
    env = target.env
    if editor is not None:
        edit = editor.edit(mutate, dry_run=dry_run)
        out.print(f"{edit} in {env.registry_file.name}")
    try:
        release(
            target,
            Aws(region=env.settings.region),
            close=close,
            dry_run=dry_run,
            report=out.print,
            access_role=access_role,
        )
    except OnboardingError as exc:
        if editor is not None and not dry_run:
            out.print(f"next: pulumi up --stack {env.stack}  (destroys its baseline)")
        _failed(exc)
