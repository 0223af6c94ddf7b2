"""A scheduled drift and data-quality job for one monitored endpoint or pipeline.

The job is a Lambda function packaged as a **container image**: numpy, scipy and pyarrow
take 384 MB unzipped as installed (x86_64 wheels: numpy 73, scipy 143, pyarrow 170) and still
247 MB after stripping tests, headers and the Arrow modules the engine does not load (Flight,
S3/GCS/Azure filesystems), before pydantic and obsgov itself; a zip function and its layers
must fit in 250 MB unzipped. A Glue Python shell job has the libraries preinstalled but runs
Python 3.9 only, which obsgov (3.10+) does not support. An image keeps Lambda's per-run
billing, schedule, DLQ and logging, with a 10 GB image limit.

Every hour (by default) the function reads the last window of SageMaker data capture (or the
pipeline's output) under one S3 prefix, compares it with the baseline, publishes the
``Obsgov/DataQuality`` metrics the workload alarms watch and writes the JSON report. Its role
may read exactly that prefix and the baseline object, write only under the report prefix, and
publish metrics only in that namespace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov import metric_contract as mc
from obsgov_policies.signals import FUNCTION_NAME, LAMBDA_NAMESPACE, QUALITY

from ..shared.type_tokens import formerly

# Lambda function names are at most 64 characters.
_MAX_FUNCTION_NAME = 64


@dataclass
class DriftMonitorArgs:
    workload_kind: str  # "Endpoint" or "Pipeline": the metric dimension
    workload_name: str
    image_uri: pulumi.Input[str]  # the obsgov drift image in ECR
    data_bucket: pulumi.Input[str]
    data_prefix: pulumi.Input[str]  # capture or pipeline output, ending in "/"
    baseline_bucket: pulumi.Input[str]
    baseline_key: pulumi.Input[str]
    report_bucket: pulumi.Input[str]
    report_prefix: pulumi.Input[str]  # ending in "/"
    kms_key_arn: pulumi.Input[str]
    capture: bool = True  # SageMaker data capture (endpoints) or plain files (pipelines)
    schedule_expression: pulumi.Input[str] = "rate(1 hour)"
    window_minutes: int = 60
    log_retention_days: int = 365  # Security Hub CloudWatch.16 asks for at least a year
    memory_mb: int = 3008
    timeout_seconds: int = 900
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def function_name(kind: str, name: str) -> str:
    return f"obsgov-drift-{kind.lower()}-{name}"[:_MAX_FUNCTION_NAME]


def role_policy(  # noqa: PLR0913 - the resolved Args fields of one Output.all, each a name in the document
    partition: str,
    region: str,
    account: str,
    fn_name: str,
    data_bucket: str,
    data_prefix: str,
    baseline_bucket: str,
    baseline_key: str,
    report_bucket: str,
    report_prefix: str,
    kms_key_arn: str,
) -> str:
    """The function's only permissions, as an IAM policy document. ARNs are built from names
    rather than taken from the resources' outputs, so the document is known at preview and
    policy packs can judge it."""
    log_group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{fn_name}"
    dlq_arn = f"arn:{partition}:sqs:{region}:{account}:{fn_name}-dlq"
    s3 = f"arn:{partition}:s3:::"
    statements = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        {
            "Sid": "ListWindow",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{data_bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{data_prefix}*"]}},
        },
        {
            "Sid": "ReadWindow",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{s3}{data_bucket}/{data_prefix}*",
        },
        {
            "Sid": "ReadBaseline",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{s3}{baseline_bucket}/{baseline_key}",
        },
        {
            "Sid": "WriteReports",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{s3}{report_bucket}/{report_prefix}*",
        },
        # PutMetricData has no resource-level permissions; the namespace condition is the
        # only way to narrow it.
        {
            "Sid": "PublishDataQualityMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": mc.DATA_QUALITY_NAMESPACE}},
        },
        {
            "Sid": "UseKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": kms_key_arn,
        },
        {"Sid": "DeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": dlq_arn},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class DriftMonitor(pulumi.ComponentResource):
    function: aws.lambda_.Function
    role: aws.iam.Role
    dead_letter_queue: aws.sqs.Queue
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: DriftMonitorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "obsgov:drift_monitor:DriftMonitor",
            name,
            None,
            formerly(opts, "obsgov:quality:DriftMonitor"),
        )
        if args.workload_kind not in mc.WORKLOAD_DIMENSIONS:
            raise ValueError(f"workload_kind must be one of {', '.join(mc.WORKLOAD_DIMENSIONS)}")
        tags = {**args.tags, "obsgov:workload": args.workload_name, "obsgov:signal": QUALITY}
        fn_name = function_name(args.workload_kind, args.workload_name)
        self._create_logs_and_queue(name, args, fn_name, tags)
        role_policy = self._create_role(name, args, fn_name, tags)
        self._create_function(name, args, fn_name, tags, role_policy)
        self._create_alarms(name, args, fn_name, tags)
        self.register_outputs(
            {
                "function_name": self.function.name,
                "role_arn": self.role.arn,
                "dead_letter_queue_arn": self.dead_letter_queue.arn,
            }
        )

    def _create_logs_and_queue(
        self, name: str, args: DriftMonitorArgs, fn_name: str, tags: dict[str, str]
    ) -> None:
        """The function's log group and the dead-letter queue of failed runs."""
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{fn_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{fn_name}-dlq",
            kms_master_key_id=args.kms_key_arn,
            message_retention_seconds=14 * 24 * 3600,
            tags=tags,
            opts=child,
        )

    def _create_role(
        self, name: str, args: DriftMonitorArgs, fn_name: str, tags: dict[str, str]
    ) -> aws.iam.RolePolicy:
        """The function's role, allowed to read the data and baseline and write the report."""
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                }
            ),
            tags=tags,
            opts=child,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        policy = pulumi.Output.all(
            aws.get_partition_output(opts=invoke).partition,
            aws.get_region_output(opts=invoke).region,
            aws.get_caller_identity_output(opts=invoke).account_id,
            fn_name,
            args.data_bucket,
            args.data_prefix,
            args.baseline_bucket,
            args.baseline_key,
            args.report_bucket,
            args.report_prefix,
            args.kms_key_arn,
        ).apply(lambda v: role_policy(*v))
        role_policy_resource = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id, policy=policy, opts=child
        )
        return role_policy_resource

    def _create_function(
        self,
        name: str,
        args: DriftMonitorArgs,
        fn_name: str,
        tags: dict[str, str],
        role_policy: aws.iam.RolePolicy,
    ) -> None:
        """The function and the schedule that runs it."""
        child = pulumi.ResourceOptions(parent=self)
        environment: dict[str, Any] = {
            "OBSGOV_WORKLOAD_KIND": args.workload_kind,
            "OBSGOV_WORKLOAD_NAME": args.workload_name,
            "OBSGOV_DATA_URI": pulumi.Output.concat(
                "s3://", args.data_bucket, "/", args.data_prefix
            ),
            "OBSGOV_BASELINE_URI": pulumi.Output.concat(
                "s3://", args.baseline_bucket, "/", args.baseline_key
            ),
            "OBSGOV_REPORT_URI": pulumi.Output.concat(
                "s3://", args.report_bucket, "/", args.report_prefix
            ),
            "OBSGOV_WINDOW_MINUTES": str(args.window_minutes),
            "OBSGOV_CAPTURE": "true" if args.capture else "false",
            "OBSGOV_KMS_KEY_ARN": args.kms_key_arn,
        }
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=fn_name,
            package_type="Image",
            image_uri=args.image_uri,
            role=self.role.arn,
            timeout=args.timeout_seconds,
            memory_size=args.memory_mb,
            # one run at a time: overlapping windows would publish the same hour twice
            reserved_concurrent_executions=1,
            kms_key_arn=args.kms_key_arn,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(
                target_arn=self.dead_letter_queue.arn
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="Text", log_group=self.log_group.name
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, self.log_group]),
        )
        self.schedule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            schedule_expression=args.schedule_expression,
            description=f"Drift check of {args.workload_kind.lower()} {args.workload_name}",
            tags=tags,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=self.schedule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target", rule=self.schedule.name, arn=self.function.arn, opts=child
        )

    def _create_alarms(
        self, name: str, args: DriftMonitorArgs, fn_name: str, tags: dict[str, str]
    ) -> None:
        """Alarms on failed runs and dead letters: a failed run publishes no drift metrics."""
        child = pulumi.ResourceOptions(parent=self)
        self.error_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-errors",
            name=f"{fn_name}-errors",
            alarm_description=(
                f"The drift job of {args.workload_name} failed: its metrics and "
                f"report are missing for this window. Look in /aws/lambda/"
                f"{fn_name}."
            ),
            namespace=LAMBDA_NAMESPACE,
            metric_name="Errors",
            dimensions={FUNCTION_NAME: fn_name},
            statistic="Sum",
            period=3600,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=list(args.alarm_actions),
            tags=tags,
            opts=child,
        )
        self.dead_letter_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters",
            name=f"{fn_name}-dead-letters",
            alarm_description=(
                f"Scheduled runs of the drift job of {args.workload_name} "
                "failed every retry and were dead-lettered."
            ),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            period=3600,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=list(args.alarm_actions),
            tags=tags,
            opts=child,
        )
