"""``obsgov registry``: the SageMaker model registry, as the model-governance pack sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from obsgov.errors import InputError

from .common import EXIT_AWS, StacksDirOption, command, fail, load_stack, out
from .output import check_output

app = typer.Typer(help="The SageMaker model registry, as the model-governance pack sees it.",
                  no_args_is_help=True)


@app.command("snapshot")
@command
def snapshot(
    env_name: str = typer.Option(..., "--env", "--stack", "-s", metavar="ENV",
                                 help="Environment whose modelApproval settings name the "
                                 "registry."),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE", dir_okay=False,
        help="Snapshot file (default: the environment's modelApproval.snapshotFile)."),
    assume_role: bool = typer.Option(
        True, "--assume-role/--no-assume-role",
        help="Assume the deployment role in the registry account (default) or use the current "
             "credentials as they are."),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Record every model package's approval status and metadata with boto3.

    The offline gate verifies model approval against this file; commit it with the change
    that deploys the model. Exit 4 when AWS refuses or cannot be reached.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from obsgov.config.loader import display_path
    from obsgov.model_registry import registry_client, take_snapshot, write_snapshot

    env = load_stack(env_name, stacks_dir)
    approval = env.settings.model_approval
    key = f"{display_path(env.stack_file)}: config.obsgov:modelApproval"
    if not approval.registry_account_id:
        raise InputError.single(key, "registryAccountId",
                                "is not set: the environment has no model registry")
    target = output
    if target is None:
        if not approval.snapshot_file:
            raise InputError.single("--output", "", f"give --output or set snapshotFile in {key}")
        target = (env.stack_file.parent / approval.snapshot_file).resolve()
    check_output(target, "--output", [env.stack_file, env.organization_file, env.registry_file])
    role = env.role_arn(approval.registry_account_id) if assume_role else None
    try:
        client = registry_client(env.settings.region, role)
        taken = take_snapshot(client, approval.registry_account_id, env.settings.region)
    except NoCredentialsError:
        fail("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
             EXIT_AWS)
    except ClientError as exc:
        detail = exc.response.get("Error", {})
        fail(f"AWS refused {exc.operation_name}: {detail.get('Code')}: {detail.get('Message')}",
             EXIT_AWS)
    except BotoCoreError as exc:
        fail(str(exc), EXIT_AWS)
    write_snapshot(taken, target)
    out.print(f"wrote {len(taken['packages'])} model packages to {display_path(target)}")
