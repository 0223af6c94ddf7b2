"""``obsgov registry``: the SageMaker model registry, as the model-governance pack sees it."""

from __future__ import annotations

from pathlib import Path

import typer

from obsgov.errors import InputError

from .common import EXIT_INPUT, StacksDirOption, aws_errors, command, fail, load_stack, out
from .output import check_output

app = typer.Typer(
    help="Snapshot the SageMaker model registry for the offline gate.", no_args_is_help=True
)


@app.command("snapshot")
@command
def snapshot(
    env_name: str = typer.Option(
        ...,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Environment whose modelApproval settings name the "
        "registry: reads stacks/Pulumi.<ENV>.yaml.",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        dir_okay=False,
        help="Snapshot file (default: the environment's modelApproval.snapshotFile).",
    ),
    assume_role: bool = typer.Option(
        True,
        "--assume-role/--no-assume-role",
        help="Assume the deployment role in the registry account (default) or use the "
        "current credentials as they are.",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace the snapshot even when the registry now lists fewer packages than it holds.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Record every model package's approval status and metadata.

    The offline gate verifies model approval against this file; commit it with the change
    that deploys the model. The credentials must reach the configured registry account.
    Exit 4 when AWS refuses or cannot be reached.
    """

    from obsgov.io import display_path
    from obsgov.sagemaker_snapshot import (
        SnapshotRefused,
        check_endpoint_variables,
        snapshot_registry,
    )

    env = load_stack(env_name, stacks_dir, option="--stack")
    approval = env.settings.model_approval
    shown = display_path(env.stack_file)
    if not approval.registry_account_id:
        raise InputError.single(
            shown,
            "config.obsgov:modelApproval.registryAccountId",
            "is not set: the environment has no model registry",
        )
    target = output
    if target is None:
        if not approval.snapshot_file:
            raise InputError.single(
                "--output",
                "",
                f"give --output or set config.obsgov:modelApproval.snapshotFile in {shown}",
            )
        target = env.stack_file.parent / approval.snapshot_file
    # The environment's own snapshot is the file this command regenerates, the one file in
    # the stack folder it may replace.
    own = [env.stack_file.parent / approval.snapshot_file] if approval.snapshot_file else []
    check_output(target, "--output", env.input_files, stacks_dir=env.stack_file.parent, allowed=own)
    check_endpoint_variables()
    role = env.role_arn(approval.registry_account_id) if assume_role else None
    with aws_errors():
        try:
            taken = snapshot_registry(
                env.settings.region, approval.registry_account_id, role, target, force=force
            )
        except SnapshotRefused as exc:
            fail(str(exc), EXIT_INPUT)
    out.print(
        f"wrote {len(taken['packages'])} model packages to {display_path(target)}", markup=False
    )
