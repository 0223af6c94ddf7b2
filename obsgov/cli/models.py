"""``obsgov models``: the model approval guard's rules, run from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from obsgov.errors import InputError

from .common import EXIT_OK, EXIT_VERDICT, StacksDirOption, aws_errors, command, load_stack, out

app = typer.Typer(
    help="Model packages: approval rules, lineage, and quality from ground truth.",
    no_args_is_help=True,
)


@app.command("check")
@command
def check(
    package_arn: str = typer.Argument(
        ..., metavar="MODEL_PACKAGE_ARN", help="The versioned model package to check."
    ),
    env_name: str = typer.Option(
        ...,
        "--stack",
        "-s",
        "--env",
        "-e",
        metavar="ENV",
        help="Environment whose approval rules apply.",
    ),
    approver: str | None = typer.Option(
        None, "--approver", metavar="ARN", help="Check this principal against allowedApprovers too."
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Run the approval guard's rules on a model package, before anyone approves it.

    Reads the package, its model quality report in S3 and, for the promotion rule, the package
    in the previous environment. Exit 1 when a rule fails, 4 when AWS refuses.
    """
    import boto3
    from botocore.config import Config

    from obsgov.model_guard.events import PACKAGE_ARN
    from obsgov.model_guard.guard import Clients, check_package

    if not PACKAGE_ARN.match(package_arn):
        raise InputError.single(
            "MODEL_PACKAGE_ARN",
            "",
            f"{package_arn!r} is not a versioned "
            "model package ARN (arn:aws:sagemaker:<region>:<account>:"
            "model-package/<group>/<version>)",
        )
    env = load_stack(env_name, stacks_dir)
    rules = env.settings.model_approval.guard_rules(env.environment)
    config = Config(retries={"mode": "standard"}, region_name=package_arn.split(":")[3])
    with aws_errors():
        clients = Clients(
            sagemaker=boto3.client("sagemaker", config=config), s3=boto3.client("s3", config=config)
        )
        verdict = check_package(clients, package_arn, rules, approver)
    table = Table(
        title=f"{package_arn.rsplit('/', 2)[-2]} v{package_arn.rsplit('/', 1)[-1]} "
        f"for {env.environment}",
        title_justify="left",
    )
    table.add_column("rule", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for r in verdict.results:
        result = "pass" if r.passed and r.judged else ("skipped" if r.passed else "FAIL")
        table.add_row(r.rule, result, r.detail)
    out.print(table)
    raise typer.Exit(EXIT_OK if verdict.passed else EXIT_VERDICT)


def _registry_clients(env, assume_role: bool):
    """SageMaker and S3 clients in the environment's registry region (and account, when the
    deployment role there is assumed)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard"})
    session = boto3.Session(region_name=env.settings.region)
    registry = env.settings.model_approval.registry_account_id
    if assume_role and registry:
        credentials = session.client("sts", config=config).assume_role(
            RoleArn=env.role_arn(registry), RoleSessionName="obsgov-models"
        )["Credentials"]
        session = boto3.Session(
            region_name=env.settings.region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return session.client("sagemaker", config=config), session.client("s3", config=config)


def _aws_call(fn):
    with aws_errors():
        return fn()


EnvOption = typer.Option(
    ...,
    "--stack",
    "-s",
    "--env",
    "-e",
    metavar="ENV",
    help="Environment whose model registry to read.",
)
AssumeRoleOption = typer.Option(
    False,
    "--assume-role/--no-assume-role",
    help="Assume the deployment role in the registry account (default: current credentials).",
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of tables.")


def _group_name(group: str) -> str:
    """``GROUP`` checked against SageMaker's own limits for a model package group name
    (``CreateModelPackageGroup.ModelPackageGroupName`` in botocore's service model), so a
    name AWS would refuse is bad input (exit 2), not an AWS refusal (exit 4)."""
    import re

    import botocore.session

    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateModelPackageGroup")
        .input_shape.members["ModelPackageGroupName"]
    )
    limits = shape.metadata
    if not (limits.get("min", 0) <= len(group) <= limits.get("max", len(group))) or not (
        re.fullmatch(limits.get("pattern", ".*"), group)
    ):
        raise InputError.single(
            "GROUP",
            "",
            f"{group!r} is not a model package group name ({limits.get('min')} to "
            f"{limits.get('max')} letters, digits and hyphens, starting and ending with a "
            "letter or digit)",
        )
    return group


def _short(value, width: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("history")
@command
def history(
    group: str = typer.Argument(..., metavar="GROUP", help="Model package group name."),
    env_name: str = EnvOption,
    assume_role: bool = AssumeRoleOption,
    as_json: bool = JsonOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """List a model package group's versions: approval, model lifecycle stage (the promotion
    state the approval guard reads), creation time, the training job behind each
    (hyperparameters, input data, final metrics) and the package's model metrics."""
    from obsgov.lineage.history import history as read_history

    _group_name(group)
    env = load_stack(env_name, stacks_dir)
    sagemaker, s3 = _registry_clients(env, assume_role)
    records = _aws_call(lambda: read_history(sagemaker, s3, group))
    if as_json:
        sys.stdout.write(
            json.dumps([r.to_json() for r in records], indent=2, sort_keys=True, default=str) + "\n"
        )
        return
    if not records:
        out.print(f"{group}: no versions")
        return
    table = Table(title=f"{group}: {len(records)} versions", title_justify="left")
    for column in ("v", "approval", "stage", "created", "training job", "metrics"):
        table.add_column(column, overflow="fold")
    for r in records:
        metrics = ", ".join(f"{k}={v:g}" for k, v in sorted(r.report_metrics.items())) or (
            r.report_note or ""
        )
        training = r.training.name if r.training else (r.training_note or "")
        created = r.created.strftime("%Y-%m-%d %H:%M") if r.created else ""
        stage = f"{r.stage} {r.stage_status}".strip()
        table.add_row(str(r.version), r.approval_status, stage, created, training, metrics)
    out.print(table)


@app.command("diff")
@command
def diff(
    group: str = typer.Argument(..., metavar="GROUP", help="Model package group name."),
    # A package version is 1 to 9 digits (DescribeModelPackage's ModelPackageName pattern).
    old: int = typer.Argument(
        ..., metavar="V1", min=1, max=999_999_999, help="The earlier version."
    ),
    new: int = typer.Argument(..., metavar="V2", min=1, max=999_999_999, help="The later version."),
    env_name: str = EnvOption,
    assume_role: bool = AssumeRoleOption,
    as_json: bool = JsonOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Show what changed between two versions: metrics, hyperparameters, input data,
    container images, metadata and approval."""
    from obsgov.lineage.history import diff as compare
    from obsgov.lineage.history import version_record

    _group_name(group)
    env = load_stack(env_name, stacks_dir)
    sagemaker, s3 = _registry_clients(env, assume_role)
    region = env.settings.region
    account = env.settings.model_approval.registry_account_id
    if account is None:
        account = _aws_call(lambda: boto3_account(sagemaker))
    arn = f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/{{}}"
    before = _aws_call(lambda: version_record(sagemaker, s3, arn.format(old)))
    after = _aws_call(lambda: version_record(sagemaker, s3, arn.format(new)))
    changes = compare(before, after)
    if as_json:
        sys.stdout.write(
            json.dumps(
                [
                    {"area": c.area, "key": str(c.key), "before": c.before, "after": c.after}
                    for c in changes
                ],
                indent=2,
                sort_keys=True,
                default=str,
            )
            + "\n"
        )
        return
    table = Table(title=f"{group}: v{old} -> v{new}, {len(changes)} changes", title_justify="left")
    for column in ("area", "key", f"v{old}", f"v{new}"):
        table.add_column(column, overflow="fold")
    for c in changes:
        table.add_row(c.area, str(c.key), _short(c.before), _short(c.after))
    out.print(table)


def boto3_account(sagemaker) -> str:
    """The caller's account, for registries the config does not name."""
    import boto3

    return boto3.client("sts", region_name=sagemaker.meta.region_name).get_caller_identity()[
        "Account"
    ]


def _attribute_option(value: str | None) -> str | int | None:
    """A position (digits) or a key, as Model Monitor's InferenceAttribute takes either."""
    if value is None or value == "":
        return None
    return int(value) if value.isdigit() else value


@app.command("quality")
@command
def quality(
    capture: str = typer.Option(
        ...,
        "--capture",
        metavar="S3URI",
        help="s3://bucket/prefix/ of the endpoint's data capture.",
    ),
    labels: str = typer.Option(
        ..., "--labels", metavar="S3URI", help="s3://bucket/prefix/ of its ground-truth labels."
    ),
    endpoint: str = typer.Option(..., "--endpoint", metavar="NAME", help="The endpoint."),
    model_version: str | None = typer.Option(
        None,
        "--model-version",
        metavar="VERSION",
        help="The model version it served in the window; default: read from the endpoint "
        "(DescribeEndpoint, its configuration, model and model package).",
    ),
    variant: str | None = typer.Option(
        None,
        "--variant",
        metavar="NAME",
        help="Variant whose model version to read; default: the one with most traffic.",
    ),
    problem: str = typer.Option(
        "binary", "--problem", metavar="KIND", help="binary, multiclass or regression."
    ),
    window_hours: int = typer.Option(
        24,
        "--window-hours",
        min=1,
        max=24 * 31,
        metavar="HOURS",
        help="Length of the window that ends at --window-end.",
    ),
    window_end: str = typer.Option(
        "",
        "--window-end",
        metavar="TIME",
        help="End of the window, ISO 8601 with an offset (2026-11-27T06:00:00Z); "
        "default: now minus --label-offset-hours. Set it to score a past window again.",
    ),
    label_offset_hours: int = typer.Option(
        0,
        "--label-offset-hours",
        min=0,
        metavar="HOURS",
        help="Score the window ending this long ago, so its labels have arrived "
        "(Model Monitor's EndTimeOffset).",
    ),
    label_deadline_hours: int = typer.Option(
        24,
        "--label-deadline-hours",
        min=0,
        metavar="HOURS",
        help="Labels collected later than this after their inference are counted as late.",
    ),
    min_labels: int = typer.Option(
        50,
        "--min-labels",
        min=1,
        metavar="N",
        help="Fewer labelled predictions than this: no metric, 'not enough labels'.",
    ),
    threshold: float = typer.Option(
        0.5,
        "--threshold",
        metavar="P",
        help="Binary: a positive-class probability above this predicts the positive class.",
    ),
    positive_class: str = typer.Option(
        "1", "--positive-class", metavar="LABEL", help="Binary: the label counted positive."
    ),
    positive_index: int | None = typer.Option(
        None,
        "--positive-index",
        min=0,
        metavar="N",
        help="Binary: position of the positive class in probability vectors "
        "(default 1 of [p0, p1]).",
    ),
    inference_attribute: str | None = typer.Option(
        None,
        "--inference-attribute",
        metavar="POS|KEY",
        help="Where the output holds the predicted label: a position or a key.",
    ),
    probability_attribute: str | None = typer.Option(
        None,
        "--probability-attribute",
        metavar="POS|KEY",
        help="Where the output holds the probability (or the vector): a position or a key.",
    ),
    classes: str = typer.Option(
        "",
        "--classes",
        metavar="A,B,...",
        help="Class labels by position of a probability vector (default: 0, 1, ...).",
    ),
    region: str | None = typer.Option(
        None, "--region", metavar="REGION", help="AWS Region (default: the SDK's)."
    ),
    publish: bool = typer.Option(
        False, "--publish", help="Publish the metrics to CloudWatch (Obsgov/ModelQuality)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Score an endpoint's predictions against ground truth, as the scheduled job does.

    Predictions and labels are joined by inference id; missing and late labels are counted,
    never guessed. Exit 4 when AWS refuses.
    """
    from datetime import timedelta

    import boto3
    from botocore.config import Config

    from obsgov.clock import parse_instant, utc_now
    from obsgov.errors import InputError as Bad
    from obsgov.model_quality.job import QualityRun, run, split_s3_uri
    from obsgov.model_quality.job import publish as publish_metrics
    from obsgov.model_quality.join import PROBLEMS, OutputSpec
    from obsgov.model_quality.served import served_model

    if problem not in PROBLEMS:
        raise Bad.single("--problem", "", f"{problem!r} is not {', '.join(PROBLEMS)}")
    for option, uri in (("--capture", capture), ("--labels", labels)):
        try:
            split_s3_uri(uri)
        except ValueError as exc:
            raise Bad.single(option, "", str(exc)) from None
    now = utc_now()
    try:
        end = (
            parse_instant(window_end)
            if window_end
            else now.replace(minute=0, second=0, microsecond=0)
            - timedelta(hours=label_offset_hours)
        )
    except ValueError as exc:
        raise Bad.single("--window-end", "", str(exc)) from None
    spec = OutputSpec(
        problem=problem,
        inference_attribute=_attribute_option(inference_attribute),
        probability_attribute=_attribute_option(probability_attribute),
        positive_class=positive_class,
        positive_index=positive_index,
        classes=tuple(c.strip() for c in classes.split(",") if c.strip()),
        threshold=threshold,
    )
    config = Config(retries={"mode": "standard"}, region_name=region)
    if model_version is None:
        served = _aws_call(
            lambda: served_model(boto3.client("sagemaker", config=config), endpoint, variant)
        )
        model_version = served.version
    version = model_version
    result = _aws_call(
        lambda: run(
            boto3.client("s3", config=config),
            QualityRun(
                capture_uri=capture,
                labels_uri=labels,
                endpoint=endpoint,
                model_version=version,
                window_end=end,
                spec=spec,
                window=timedelta(hours=window_hours),
                label_deadline=timedelta(hours=label_deadline_hours),
                min_labels=min_labels,
                as_of=now,
            ),
        )
    )
    if publish:
        _aws_call(lambda: publish_metrics(boto3.client("cloudwatch", config=config), result, now))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, sort_keys=True, default=str) + "\n")
        return
    table = Table(
        title=f"{endpoint} v{version}: {len(result.joined.pairs)} labelled predictions",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(result.metrics.items()):
        table.add_row(name, f"{value:.4f}")
    if not result.enough_labels:
        table.add_row("not enough labels", f"< {min_labels}")
    for name, value in (
        ("labels missing", result.joined.missing),
        ("labels late", result.joined.late),
        ("malformed lines", len(result.joined.malformed)),
    ):
        table.add_row(name, str(value))
    out.print(table)
