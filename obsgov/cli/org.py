"""``obsgov org``: what the organization needs before ``pulumi up`` (trusted access, policy
types, service-linked roles, the Region-deny SCP) and the principals the config names.

The steps live in :mod:`obsgov.org.prepare`; plans print and fail as ``obsgov accounts``'s do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer

from obsgov.accounts.errors import EXIT_CODES_HELP, OnboardingError

from .accounts import _plan_table
from .common import EXIT_VERDICT, EnvOption, StacksDirOption, command, fail, load_env, out

app = typer.Typer(
    help="Prepare the AWS organization for an environment's stack, and check it.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"max_content_width": 80, "help_option_names": ["--help", "-h"]},
)

AccessRoleOption = typer.Option(
    "OrganizationAccountAccessRole",
    "--access-role",
    metavar="ROLE",
    help="Role the management account assumes in the central accounts.",
)


def _failed(exc: OnboardingError) -> NoReturn:
    fail(str(exc), exc.code)


def _run(env_name: str, stacks_dir: Path | None, dry_run: bool, access_role: str) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    from obsgov.accounts import Aws
    from obsgov.accounts.aws import aws_failure
    from obsgov.config.aws_api import ACCESS_ROLE
    from obsgov.errors import InputError
    from obsgov.org.prepare import prepare

    reason = ACCESS_ROLE.problem(access_role)
    if reason:
        raise InputError.single("--access-role", "", reason)
    env = load_env(env_name, stacks_dir)
    try:
        return env, prepare(
            env, Aws(region=env.settings.region), dry_run=dry_run, access_role=access_role
        )
    except (ClientError, BotoCoreError) as exc:
        _failed(aws_failure(exc, "preparing the organization"))


def _print_missing(missing: list[Any]) -> None:
    """One principal per two lines: its ARN whole (so it can be copied), then why."""
    for m in missing:
        out.print(m.principal, soft_wrap=True)
        out.print(f"  [red]missing:[/red] {m.detail}")
        out.print(f"  named by {m.named_by}")


@app.command(
    "prepare",
    help=(
        "Enable what the environment's stack needs in the organization: trusted access "
        "(CloudTrail, Account Management, Identity Center as configured), SCP and tag "
        "policy types on the root, the OpenSearch service-linked role, the Region-deny SCP; "
        "then check that the principals the config names exist (exit 1 if one does not). "
        "Reads before it writes: a rerun changes nothing.\n\n" + EXIT_CODES_HELP
    ),
)
@command
def prepare_org(
    env_name: str = EnvOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    access_role: str = AccessRoleOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    env, done = _run(env_name, stacks_dir, dry_run, access_role)
    out.print(_plan_table(done.plan))
    writes = len(done.plan.changes)
    if dry_run:
        out.print(f"dry run: {writes} changes would be made; nothing was changed")
    else:
        out.print(f"changed: {writes} ({'nothing' if not writes else 'see above'})")
    if done.missing:
        _print_missing(done.missing)
        out.print(f"[red]missing:[/red] {len(done.missing)} principals; create them, then rerun")
        raise typer.Exit(EXIT_VERDICT)


@app.command(
    "check",
    help=(
        "Read-only: report what `org prepare` would enable and the principals the config "
        "names that do not exist. Exit 1 when anything is missing.\n\n" + EXIT_CODES_HELP
    ),
)
@command
def check_org(
    env_name: str = EnvOption,
    access_role: str = AccessRoleOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    if not organization_ready(env_name, stacks_dir, access_role):
        raise typer.Exit(EXIT_VERDICT)


def organization_ready(env_name: str, stacks_dir: Path | None, access_role: str) -> bool:
    """``org check``: print what the organization lacks for the environment (the settings
    ``org prepare`` would enable, the principals the config names that do not exist) and say
    whether it is ready. ``obsgov deploy`` runs it before any ``pulumi up``. AWS failures end
    the command with the accounts' exit codes (:func:`_failed`)."""
    env, done = _run(env_name, stacks_dir, True, access_role)
    todo = done.plan.changes
    if not todo and not done.missing:
        out.print(f"[green]ok[/green] the organization is ready for {env.environment}")
        return True
    if todo:
        out.print(_plan_table(type(done.plan)(True, todo)))
    if done.missing:
        _print_missing(done.missing)
    out.print(
        f"[red]not ready:[/red] {len(todo)} settings to enable (`obsgov org prepare`), "
        f"{len(done.missing)} missing principals"
    )
    return False
