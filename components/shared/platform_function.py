"""A Lambda function with the platform's deployment hygiene, for every function obsgov ships.

One place decides what each platform function gets: a rotated KMS key for its environment
variables, dead letters and logs; an encrypted dead-letter queue; a log group with retention; a
role that trusts Lambda in this account only and holds the function's own statements plus the
ones every function needs (its log streams, its queue, its key); bounded concurrency; and alarms
on errors, throttles and dead letters that notify a topic; and active X-Ray tracing, whose
segments its role may send (traces reach the central account through the OAM link).
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov_policies.signals import FUNCTION_NAME, LAMBDA_NAMESPACE

from .iam_documents import (
    account_administers,
    alarms_use_key,
    document,
    logs_encrypt,
)
from .keys import rotated_key

RUNTIME = "python3.12"
# Lambda quotas: a function uses at most five layers
# (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MAX_LAYERS = 5


@dataclass
class PlatformFunctionArgs:
    environment: str
    account_id: str
    region: str
    function_name: str
    handler: str
    archive_files: Mapping[str, Path]  # archive path -> file
    # The function's own statements; the ones every function needs are added here.
    statements: Sequence[Mapping[str, Any]]
    alarm_topic_arn: pulumi.Input[str]
    environment_variables: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    log_retention_days: int = 365
    reserved_concurrency: int = 2
    timeout_seconds: int = 60
    memory_mb: int = 256
    description: str = ""
    # How the function is invoked, for its throughput alarm: on a schedule (no run within two
    # periods is an outage) or by events (more than this many an hour is a flood).
    schedule_period_seconds: int | None = None
    max_invocations_per_hour: int = 100
    # Layer version ARNs (at most five), e.g. the drift job's libraries (JobLayer)
    layers: Sequence[pulumi.Input[str]] = ()


def names(args: PlatformFunctionArgs) -> dict[str, str]:
    base = f"arn:aws:{{}}:{args.region}:{args.account_id}"
    log_group = f"/aws/lambda/{args.function_name}"
    return {
        "key_alias": f"alias/{args.function_name}",
        "log_group": log_group,
        "log_group_arn": f"{base.format('logs')}:log-group:{log_group}",
        "queue": f"{args.function_name}-dlq",
        "queue_arn": f"{base.format('sqs')}:{args.function_name}-dlq",
    }


def key_policy(args: PlatformFunctionArgs) -> str:
    return document(
        account_administers(args.account_id),
        logs_encrypt(args.region, names(args)["log_group_arn"]),
        alarms_use_key(args.account_id, sid="CloudWatchAlarmsPublish"),
    )


# Active tracing: Lambda samples invocations and sends their segments to X-Ray from the
# function's execution role, which needs these two actions (AWSXRayDaemonWriteAccess holds them;
# they have no resource type, so "*"):
# https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
TRACING_MODE = "Active"
TRACES_STATEMENT = {
    "Sid": "SendTraces",
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",
}


def role_policy(args: PlatformFunctionArgs) -> str:
    """Known at preview: the key is named by its alias (``kms:ResourceAliases``), not by an ARN
    that exists only after the key does."""
    n = names(args)
    baseline = [
        {
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": n["queue_arn"],
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{n['log_group_arn']}:log-stream:*",
        },
        {
            "Sid": "UseKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:{args.region}:{args.account_id}:key/*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": n["key_alias"]}},
        },
        TRACES_STATEMENT,
    ]
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [*map(dict, args.statements), *baseline]},
        sort_keys=True,
    )


@dataclass(frozen=True)
class FunctionAlarm:
    role: str
    what: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    period: int
    threshold: float
    operator: str
    missing: str


def alarm_specs(args: PlatformFunctionArgs) -> list[FunctionAlarm]:
    """Errors, throttles and dead letters (any is one too many), duration near the timeout, and
    invocation volume as the trigger makes it meaningful."""
    function = {FUNCTION_NAME: args.function_name}
    above = "GreaterThanThreshold"
    specs = [
        # no datapoint means no invocation, hence no error: healthy
        FunctionAlarm(
            "errors",
            "errors above 0",
            LAMBDA_NAMESPACE,
            "Errors",
            function,
            "Sum",
            300,
            0,
            above,
            "notBreaching",
        ),
        FunctionAlarm(
            "throttles",
            "throttles above 0",
            LAMBDA_NAMESPACE,
            "Throttles",
            function,
            "Sum",
            300,
            0,
            above,
            "notBreaching",
        ),
        FunctionAlarm(
            "dlq-depth",
            "dead letters waiting",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": names(args)["queue"]},
            "Maximum",
            300,
            0,
            above,
            "notBreaching",
        ),
        # Duration is in milliseconds; 80% of the timeout leaves room to act before it fails
        FunctionAlarm(
            "duration",
            "duration near its timeout",
            LAMBDA_NAMESPACE,
            "Duration",
            function,
            "Maximum",
            300,
            args.timeout_seconds * 1000 * 0.8,
            above,
            "notBreaching",
        ),
    ]
    if args.schedule_period_seconds:
        period = max(60, min(86_400, 2 * args.schedule_period_seconds) // 60 * 60)
        # a scheduled job that stops running sends no datapoints: that is the outage
        specs.append(
            FunctionAlarm(
                "not-running",
                "no run within two schedule periods",
                LAMBDA_NAMESPACE,
                "Invocations",
                function,
                "Sum",
                period,
                1,
                "LessThanThreshold",
                "breaching",
            )
        )
    else:
        specs.append(
            FunctionAlarm(
                "invocation-flood",
                f"more than {args.max_invocations_per_hour} invocations an hour",
                LAMBDA_NAMESPACE,
                "Invocations",
                function,
                "Sum",
                3600,
                args.max_invocations_per_hour,
                above,
                "notBreaching",
            )
        )
    return specs


class PlatformFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    key: aws.kms.Key

    def __init__(
        self, name: str, args: PlatformFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:platform_function:PlatformFunction", name, None, opts)
        if len(args.layers) > MAX_LAYERS:
            raise ValueError(
                f"{args.function_name}: at most {MAX_LAYERS} layers, not {len(args.layers)}"
            )
        queue, logs = self._create_key_queue_and_logs(name, args)
        self._create_function(name, args, queue, logs)
        self._create_alarms(name, args)
        self.register_outputs({"functionArn": self.function.arn})

    def _create_key_queue_and_logs(
        self, name: str, args: PlatformFunctionArgs
    ) -> tuple[aws.sqs.Queue, aws.cloudwatch.LogGroup]:
        """The function's key, its dead-letter queue and its log group."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args)
        self.key = rotated_key(
            f"{name}-key",
            description=args.description or args.function_name,
            policy=key_policy(args),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=n["key_alias"], target_key_id=self.key.key_id, opts=child
        )
        queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=n["queue"],
            kms_master_key_id=self.key.arn,
            message_retention_seconds=1_209_600,
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=n["log_group"],
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key.arn,
            opts=child,
        )
        return queue, logs

    def _create_function(
        self,
        name: str,
        args: PlatformFunctionArgs,
        queue: aws.sqs.Queue,
        logs: aws.cloudwatch.LogGroup,
    ) -> None:
        """The function and its role, from the archive of its files."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.function_name,
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                        }
                    ],
                },
                sort_keys=True,
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-role-policy", role=role.id, policy=role_policy(args), opts=child
        )
        archive = pulumi.AssetArchive(
            {path: pulumi.FileAsset(str(source)) for path, source in args.archive_files.items()}
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            runtime=RUNTIME,
            handler=args.handler,
            code=archive,
            role=role.arn,
            timeout=args.timeout_seconds,
            memory_size=args.memory_mb,
            kms_key_arn=self.key.arn,
            reserved_concurrent_executions=args.reserved_concurrency,
            layers=list(args.layers) or None,
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=queue.arn),
            # traces reach the central account through the OAM link (AWS::XRay::Trace)
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode=TRACING_MODE),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="Text", log_group=n["log_group"]
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables=dict(args.environment_variables)
            )
            if args.environment_variables
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )

    def _create_alarms(self, name: str, args: PlatformFunctionArgs) -> None:
        """The function's own alarms (see alarm_specs)."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args)
        for spec in alarm_specs(args):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.role}",
                name=f"{args.function_name}-{spec.role}",
                alarm_description=f"{args.function_name}: {spec.what}; see {n['log_group']}.",
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                period=spec.period,
                evaluation_periods=1,
                threshold=spec.threshold,
                comparison_operator=spec.operator,
                treat_missing_data=spec.missing,
                actions_enabled=True,
                alarm_actions=[args.alarm_topic_arn],
                ok_actions=[args.alarm_topic_arn],
                opts=child,
            )


def invoke_on_schedule(  # noqa: PLR0913 - keyword-only: the rule's settings, spelled at each call
    name: str,
    function: aws.lambda_.Function,
    *,
    rule_name: pulumi.Input[str],
    schedule: pulumi.Input[str],
    parent: pulumi.Resource,
    rule_suffix: str = "-schedule",
    description: str | None = None,
    event: str | None = None,
) -> aws.cloudwatch.EventTarget:
    """A scheduled EventBridge rule that invokes ``function`` (with ``event`` as its input):
    the rule ``{name}{rule_suffix}``, the permission ``{name}-invoke`` that lets the rule invoke
    the function, and the target ``{name}-target``, which waits for the permission because
    EventBridge drops what it matches until the function's policy admits it."""
    child = pulumi.ResourceOptions(parent=parent)
    rule = aws.cloudwatch.EventRule(
        f"{name}{rule_suffix}",
        name=rule_name,
        schedule_expression=schedule,
        description=description,
        opts=child,
    )
    permission = aws.lambda_.Permission(
        f"{name}-invoke",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=child,
    )
    return aws.cloudwatch.EventTarget(
        f"{name}-target",
        rule=rule.name,
        arn=function.arn,
        input=event,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[permission]),
    )


def package_files(package: str) -> dict[str, Path]:
    """Archive path -> file for an ``obsgov`` subpackage and every ``obsgov`` or
    ``obsgov_policies`` module it imports, followed transitively, plus the package markers;
    nothing else (boto3 comes with the Lambda runtime, other libraries with a layer). Derived
    from the imports rather than listed by hand: a module the code imports but the archive
    lacks fails only in AWS, at the function's first run."""
    return dict(_package_files(package))


@functools.cache
def _package_files(package: str) -> dict[str, Path]:
    """Parsed once per process and package: every member account's jobs ship the same
    archive, and parsing the imports again for each (0.2 s of CPU per account for drift)
    was a fifth of a shard's synthesis (benchmarks/gate.py --sharded)."""
    # components/shared/platform_function.py: the repository root is three levels up
    repository = Path(__file__).resolve().parents[2]
    roots = {"obsgov": repository / "obsgov", "obsgov_policies": repository / "policies"}
    files: dict[str, Path] = {}
    pending = [(roots["obsgov"], p) for p in sorted((roots["obsgov"] / package).glob("*.py"))]
    while pending:
        base, source = pending.pop()
        # archive paths start at the top-level package: obsgov/..., obsgov_policies/...
        top = base if base.name == "obsgov" else base / "obsgov_policies"
        name = source.relative_to(top.parent).as_posix()
        if name in files:
            continue
        files[name] = source
        for parent in source.relative_to(top.parent).parents:
            marker = top.parent / parent / "__init__.py"
            if parent.parts and marker.exists():
                pending.append((base, marker))
        pending.extend(_imported_modules(source, top, roots))
    return dict(sorted(files.items()))


def _imported_modules(
    source: Path, top: Path, roots: Mapping[str, Path]
) -> list[tuple[Path, Path]]:
    """(root, file) of the ``obsgov`` / ``obsgov_policies`` modules ``source`` imports
    (absolute or relative, at any depth: a handler's imports inside functions count too)."""
    package = source.parent
    found: list[tuple[Path, Path]] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                dotted = ".".join(base.relative_to(top.parent).parts)
                module = f"{dotted}.{node.module}" if node.module else dotted
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            head = name.split(".")[0]
            if head not in roots or name == head:
                continue
            root = roots[head]
            package_dir = root if head == "obsgov" else root / "obsgov_policies"
            path = package_dir.joinpath(*name.split(".")[1:])
            for candidate in (path.with_suffix(".py"), path / "__init__.py"):
                if candidate.is_file():
                    found.append((root, candidate))
    return found
