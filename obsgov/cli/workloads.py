"""``obsgov workloads``: add and remove the registry's workloads.

Edits go through the same locked, validated, atomic writer as account onboarding, so a bad
workload is reported with its key path and the registry is never half-written.
"""

from __future__ import annotations

from pathlib import Path

import typer

from obsgov.errors import InputError

from .common import EnvOption, StacksDirOption, command, load_env, out

app = typer.Typer(
    help="Add and remove workloads (ML endpoints, ETL pipelines, business KPIs) in "
    "stacks/accounts.yaml.\n\nExit codes: 0 done (or nothing to do); 2 bad input; "
    "3 internal error.",
    no_args_is_help=True,
    # as the root command: plain help that fits 80 columns
    rich_markup_mode=None,
    context_settings={"max_content_width": 80, "help_option_names": ["--help", "-h"]},
)


@app.command("add")
@command
def add(
    file: Path = typer.Argument(
        ...,
        metavar="FILE",
        dir_okay=False,
        help="YAML file with one workload (kind, name, account, ...; as in "
        "accounts.yaml); '-' reads stdin. environment defaults to --env.",
    ),
    env_name: str = EnvOption,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and show the change without writing it."
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Add a workload, validated with the registry's rules; comments and order kept."""
    from obsgov.accounts import RegistryEditor
    from obsgov.accounts.edits import add_workload, read_workload
    from obsgov.accounts.registry_file import display

    env = load_env(env_name, stacks_dir)
    entry = read_workload(file, env.environment)
    shown = "-" if str(file) == "-" else display(file)
    edit = RegistryEditor(env).edit(add_workload(entry, shown), {"*": shown}, dry_run=dry_run)
    if not edit.changed:
        out.print(f"already in {env.registry_file.name}: nothing to do")
        return
    out.print(f"{edit} in {env.registry_file.name}")
    if not dry_run:
        out.print(f"next: pulumi up --stack {env.stack}")


@app.command("remove")
@command
def remove(
    name: str = typer.Argument(..., metavar="NAME", help="The workload's name."),
    env_name: str = EnvOption,
    kind: str | None = typer.Option(
        None, "--kind", metavar="KIND", help="Only a workload of this kind."
    ),
    account: str | None = typer.Option(
        None, "--account", metavar="ACCOUNT", help="Only a workload of this account (name)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the change without writing it."),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Remove a workload from the registry."""
    from obsgov.accounts import RegistryEditor
    from obsgov.accounts.edits import remove_workload

    env = load_env(env_name, stacks_dir)
    edit = RegistryEditor(env).edit(
        remove_workload(name, env.environment, kind, account), dry_run=dry_run
    )
    if not edit.changed:
        raise InputError.single(
            "NAME",
            "",
            f"no workload {name!r} in environment {env.environment} in {env.registry_file.name}",
        )
    out.print(f"{edit} in {env.registry_file.name}")
    if not dry_run:
        out.print(f"next: pulumi up --stack {env.stack}")
