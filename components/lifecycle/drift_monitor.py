"""A scheduled drift and data-quality job for one monitored endpoint or pipeline.

The job is a zip Lambda function (the platform function: key, dead letters, logs, alarms) on
the drift layer that ``obsgov build-layer`` builds and :mod:`.monitoring_store` publishes:
numpy, scipy, pyarrow, pydantic and PyYAML stripped to 223 MB unzipped (75.4 MB zipped) for
python3.12 on x86_64, with the job's own code (about 1 MB) inside Lambda's 250 MB for a
function and its layers (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
No image and no registry: the runtime was chosen by ``benchmarks/runtime_size.py``
(README, "Runtime size"); AWS's managed pandas layer lacks scipy, pydantic and zstd, and a
Glue Python shell job runs Python 3.9.

Every hour (by default) the function reads the capture or pipeline output that arrived since
its checkpoint, compares it with the baseline, publishes the ``Obsgov/DataQuality`` metrics
(always NoData, RowsEvaluated and MalformedRecords; drift figures only for a window it could
judge) and writes the JSON report. Its role may list and read exactly its data prefix and
baseline, read and write its report prefix (the checkpoint lives there), and publish metrics
only in that namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from obsgov import metric_contract as mc

from ..shared.platform_function import (
    PlatformFunction,
    PlatformFunctionArgs,
    invoke_on_schedule,
    package_files,
)
from ..shared.type_tokens import formerly

HANDLER = "obsgov.drift.job.handler"
# Lambda function names are at most 64 characters.
_MAX_FUNCTION_NAME = 64


@dataclass
class DriftMonitorArgs:
    environment: str
    account_id: str
    region: str
    workload_kind: str  # "Endpoint" or "Pipeline": the metric dimension
    workload_name: str
    layer_arn: pulumi.Input[str]  # the drift layer (MonitoringStore)
    data_bucket: str
    data_prefix: str  # capture or pipeline output, ending in "/"
    baseline_bucket: str
    baseline_key: str
    report_bucket: str
    report_prefix: str  # ending in "/"
    key_statement: Mapping[str, Any]  # use of the key the buckets are encrypted with
    alarm_topic_arn: pulumi.Input[str]
    capture: bool = True  # SageMaker data capture (endpoints) or plain files (pipelines)
    schedule_expression: str = "rate(1 hour)"
    schedule_period_seconds: int = 3600
    window_minutes: int = 60
    log_retention_days: int = 365  # Security Hub CloudWatch.16 asks for at least a year
    memory_mb: int = 3008
    timeout_seconds: int = 900


def function_name(kind: str, name: str) -> str:
    return f"obsgov-drift-{kind.lower()}-{name}"[:_MAX_FUNCTION_NAME]


def job_statements(args: DriftMonitorArgs) -> list[dict[str, Any]]:
    """The job's own permissions (the platform function adds logs, queue and its key)."""
    s3 = "arn:aws:s3:::"
    return [
        {
            "Sid": "ListWindow",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{args.data_bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{args.data_prefix}*"]}},
        },
        {
            "Sid": "ReadWindowAndBaseline",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": sorted(
                {
                    f"{s3}{args.data_bucket}/{args.data_prefix}*",
                    f"{s3}{args.baseline_bucket}/{args.baseline_key}",
                }
            ),
        },
        {
            # reports, and the checkpoint that remembers what was read
            "Sid": "ReportsAndCheckpoint",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"{s3}{args.report_bucket}/{args.report_prefix}*",
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
        dict(args.key_statement),
    ]


class DriftMonitor(pulumi.ComponentResource):
    platform: PlatformFunction

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
        fn_name = function_name(args.workload_kind, args.workload_name)
        self._create_function(name, args, fn_name)
        self._create_schedule(name, args, fn_name)
        self.register_outputs({"function_name": self.platform.function.name})

    def _create_function(self, name: str, args: DriftMonitorArgs, fn_name: str) -> None:
        """The zip function on the drift layer."""
        environment: dict[str, pulumi.Input[str]] = {
            "OBSGOV_WORKLOAD_KIND": args.workload_kind,
            "OBSGOV_WORKLOAD_NAME": args.workload_name,
            "OBSGOV_DATA_URI": f"s3://{args.data_bucket}/{args.data_prefix}",
            "OBSGOV_BASELINE_URI": f"s3://{args.baseline_bucket}/{args.baseline_key}",
            "OBSGOV_REPORT_URI": f"s3://{args.report_bucket}/{args.report_prefix}",
            "OBSGOV_WINDOW_MINUTES": str(args.window_minutes),
            "OBSGOV_CAPTURE": "true" if args.capture else "false",
        }
        self.platform = PlatformFunction(
            f"{name}-fn",
            PlatformFunctionArgs(
                environment=args.environment,
                account_id=args.account_id,
                region=args.region,
                function_name=fn_name,
                handler=HANDLER,
                archive_files=package_files("drift"),
                statements=job_statements(args),
                alarm_topic_arn=args.alarm_topic_arn,
                environment_variables=environment,
                log_retention_days=args.log_retention_days,
                # one run at a time: overlapping runs would read the same window twice
                reserved_concurrency=1,
                timeout_seconds=args.timeout_seconds,
                memory_mb=args.memory_mb,
                schedule_period_seconds=args.schedule_period_seconds,
                description=f"{fn_name}: environment, queue, logs",
                layers=[args.layer_arn],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_schedule(self, name: str, args: DriftMonitorArgs, fn_name: str) -> None:
        invoke_on_schedule(
            name,
            self.platform.function,
            rule_name=fn_name,
            schedule=args.schedule_expression,
            parent=self,
            description=f"Drift check of {args.workload_kind.lower()} {args.workload_name}",
        )
