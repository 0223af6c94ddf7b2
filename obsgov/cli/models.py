"""``obsgov models``: the model approval guard's rules, run from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from obsgov.errors import InputError

from .common import EXIT_AWS, EXIT_OK, EXIT_VERDICT, StacksDirOption, command, fail, load_stack, out

app = typer.Typer(help="Model packages: check them against the organisation's approval rules.",
                  no_args_is_help=True)


def guard_rules(env, stacks_dir: Optional[Path] = None):
    """The guard's rules for ``env``, with the previous environment's registry account read from
    its own stack file (the promotion rule describes packages there)."""
    from obsgov.config.loader import load_environment, stack_file_for

    approval = env.settings.model_approval
    order = list(approval.promotion_order)
    previous_account = None
    if env.environment in order and order.index(env.environment) > 0:
        earlier = order[order.index(env.environment) - 1]
        try:
            previous = load_environment(earlier, stack_file_for(env.stack_file.parent, earlier))
            previous_account = previous.settings.model_approval.registry_account_id
        except InputError:
            previous_account = None  # promotion then needs approved-environments metadata
    return approval.guard.rules(env.environment, list(approval.required_metadata), order,
                                previous_account)


@app.command("check")
@command
def check(
    package_arn: str = typer.Argument(..., metavar="MODEL_PACKAGE_ARN",
                                      help="The versioned model package to check."),
    env_name: str = typer.Option(..., "--env", "-s", metavar="ENV",
                                 help="Environment whose approval rules apply."),
    approver: Optional[str] = typer.Option(
        None, "--approver", metavar="ARN",
        help="Check this principal against allowedApprovers too."),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Run the approval guard's rules on a model package, before anyone approves it.

    Reads the package, its model quality report in S3 and, for the promotion rule, the package
    in the previous environment. Exit 1 when a rule fails, 4 when AWS refuses.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from obsgov.model_guard.events import PACKAGE_ARN
    from obsgov.model_guard.guard import Clients, check_package

    if not PACKAGE_ARN.match(package_arn):
        raise InputError.single("MODEL_PACKAGE_ARN", "", f"{package_arn!r} is not a versioned "
                                "model package ARN (arn:aws:sagemaker:<region>:<account>:"
                                "model-package/<group>/<version>)")
    env = load_stack(env_name, stacks_dir)
    rules = guard_rules(env)
    config = Config(retries={"mode": "standard"}, region_name=package_arn.split(":")[3])
    try:
        clients = Clients(sagemaker=boto3.client("sagemaker", config=config),
                          s3=boto3.client("s3", config=config))
        verdict = check_package(clients, package_arn, rules, approver)
    except NoCredentialsError:
        fail("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
             EXIT_AWS)
    except ClientError as exc:
        detail = exc.response.get("Error", {})
        fail(f"AWS refused {exc.operation_name}: {detail.get('Code')}: {detail.get('Message')}",
             EXIT_AWS)
    except BotoCoreError as exc:
        fail(str(exc), EXIT_AWS)
    table = Table(title=f"{package_arn.rsplit('/', 2)[-2]} v{package_arn.rsplit('/', 1)[-1]} "
                        f"for {env.environment}", title_justify="left")
    table.add_column("rule", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for r in verdict.results:
        result = "pass" if r.passed and r.judged else ("skipped" if r.passed else "FAIL")
        table.add_row(r.rule, result, r.detail)
    out.print(table)
    raise typer.Exit(EXIT_OK if verdict.passed else EXIT_VERDICT)
