"""The scheduled freshness job of one member account: the age of each pipeline's newest output,
from the platform's side (:mod:`obsgov.freshness.job`), as ``Obsgov/Pipelines`` DataAge and
DataStale, and each Step Functions pipeline's hung executions as OverdueExecutions (a hung
execution sends no ExecutionTime, so only listing RUNNING executions sees it).

One function per account reads every pipeline's output location named in its schedule's input
(interval, grace and key layout per pipeline). Its role may list exactly those prefixes (or read
those Glue tables' partitions) and publish in one namespace; the handler needs only boto3.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from obsgov import metric_contract as contract
from obsgov_policies.signals import LATENCY

from ..member.alarm_spec import AlarmSpec, MetricRef
from ..shared.platform_function import (
    PlatformFunction,
    PlatformFunctionArgs,
    invoke_on_schedule,
    package_files,
)
from .signal_alarms import heartbeat_period

HANDLER = "obsgov.freshness.job.handler"


@dataclass(frozen=True)
class PipelineOutput:
    pipeline: str
    location: str  # s3://bucket/prefix/ or glue://database/table
    interval_minutes: int
    grace_minutes: int
    layout: str | None = None
    # a Step Functions pipeline: its executions are listed for hung ones
    state_machine_arn: str | None = None
    max_duration_minutes: int | None = None

    def to_input(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "pipeline": self.pipeline,
            "location": self.location,
            "intervalMinutes": self.interval_minutes,
            "graceMinutes": self.grace_minutes,
        }
        if self.layout:
            entry["layout"] = self.layout
        if self.state_machine_arn and self.max_duration_minutes:
            entry["stateMachineArn"] = self.state_machine_arn
            entry["maxDurationMinutes"] = self.max_duration_minutes
        return entry


def job_statements(
    outputs: Sequence[PipelineOutput], region: str, account_id: str
) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PublishFreshness",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",  # PutMetricData has no resource type; the namespace is pinned
            "Condition": {"StringEquals": {"cloudwatch:namespace": contract.PIPELINE_NAMESPACE}},
        }
    ]
    prefixes: dict[str, set[str]] = {}
    tables: set[str] = set()
    for output in outputs:
        if output.location.startswith("s3://"):
            bucket, _, prefix = output.location[len("s3://") :].partition("/")
            prefixes.setdefault(bucket, set()).add(f"{prefix}*")
        else:
            database, table = output.location[len("glue://") :].split("/")
            base = f"arn:aws:glue:{region}:{account_id}"
            tables |= {f"{base}:catalog", f"{base}:database/{database}"}
            tables.add(f"{base}:table/{database}/{table}")
    for i, (bucket, wanted) in enumerate(sorted(prefixes.items())):
        statements.append(
            {
                "Sid": f"ListOutputs{i}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": sorted(wanted)}},
            }
        )
    machines = sorted({o.state_machine_arn for o in outputs if o.state_machine_arn})
    if machines:
        statements.append(
            {
                "Sid": "ListRunningExecutions",
                "Effect": "Allow",
                # ListExecutions is authorised on the state machine
                # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html)
                "Action": "states:ListExecutions",
                "Resource": machines,
            }
        )
    if tables:
        statements.append(
            {
                "Sid": "ReadPartitions",
                "Effect": "Allow",
                "Action": "glue:GetPartitions",
                "Resource": sorted(tables),
            }
        )
    return statements


def running_watch(pipeline: Any, region: str, account_id: str) -> tuple[str | None, int | None]:
    """(state machine ARN, maximum duration) of a Step Functions pipeline, whose hung
    executions the job counts; (None, None) for other engines, whose runs end on their own
    (a Lambda invocation within 15 minutes, a Glue run at its job timeout)."""
    if getattr(pipeline, "engine", None) != "step-functions":
        return None, None
    arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{pipeline.name}"
    return arn, pipeline.slo.max_duration_minutes


def overdue_signal_specs(output: PipelineOutput, schedule_seconds: int) -> list[AlarmSpec]:
    """The hung-execution alarm of a Step Functions pipeline the job watches."""
    if not (output.state_machine_arn and output.max_duration_minutes):
        return []
    return [
        AlarmSpec(
            "running-overdue",
            LATENCY,
            f"An execution of {output.pipeline} has been running for more than "
            f"{output.max_duration_minutes} minutes: it is hung or far slower than its SLO.",
            f"the RUNNING executions of {output.state_machine_arn} and the freshness job's logs",
            "GreaterThanOrEqualToThreshold",
            {
                "m1": MetricRef(
                    contract.PIPELINE_NAMESPACE,
                    contract.OVERDUE_EXECUTIONS.name,
                    {contract.PIPELINE_DIMENSION: output.pipeline},
                    "Maximum",
                    period=heartbeat_period(schedule_seconds),
                )
            },
            threshold=1,
            # the job publishes a count every run; its silence pages through data-stale, the
            # breaching alarm on the same Pipeline dimension
            treat_missing="notBreaching",
            evaluation=(1, 1),
            severity="high",
        )
    ]


@dataclass
class FreshnessJobArgs:
    environment: str
    account_id: str
    region: str
    account_name: str
    outputs: Sequence[PipelineOutput]
    alarm_topic_arn: pulumi.Input[str]
    schedule: str = "rate(15 minutes)"
    schedule_period_seconds: int = 900
    log_retention_days: int = 365
    extra_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


class FreshnessJob(pulumi.ComponentResource):
    platform: PlatformFunction

    def __init__(
        self, name: str, args: FreshnessJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:freshness_job:FreshnessJob", name, None, opts)
        if not args.outputs:
            raise ValueError("a freshness job needs at least one pipeline output")
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"obsgov-{args.environment}-{args.account_name}-freshness"[:64]
        self.platform = PlatformFunction(
            f"{name}-fn",
            PlatformFunctionArgs(
                environment=args.environment,
                account_id=args.account_id,
                region=args.region,
                function_name=function_name,
                handler=HANDLER,
                archive_files=package_files("freshness"),
                statements=[
                    *job_statements(args.outputs, args.region, args.account_id),
                    *map(dict, args.extra_statements),
                ],
                alarm_topic_arn=args.alarm_topic_arn,
                log_retention_days=args.log_retention_days,
                timeout_seconds=120,
                memory_mb=256,
                reserved_concurrency=1,
                schedule_period_seconds=args.schedule_period_seconds,
                description=f"{function_name}: environment, queue, logs",
            ),
            opts=child,
        )
        invoke_on_schedule(
            name,
            self.platform.function,
            rule_name=function_name,
            schedule=args.schedule,
            parent=self,
            description=f"Freshness of the pipelines of {args.account_name}",
            event=json.dumps({"pipelines": [o.to_input() for o in args.outputs]}, sort_keys=True),
        )
        self.register_outputs({"functionArn": self.platform.function.arn})
