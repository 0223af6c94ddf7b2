"""The scheduled model-quality job for endpoints whose registry entry names a ground-truth
location: joins the last window of captured predictions with labels and publishes accuracy,
precision, recall, F1 and AUC (or MAE, RMSE and MAPE) per endpoint and model version.

The role may read exactly the capture and label prefixes it is given and write one metric
namespace; everything else is the platform function's hygiene.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov import metric_contract as contract

from ..shared.platform_function import PlatformFunction, PlatformFunctionArgs, package_files

HANDLER = "obsgov.model_quality.job.handler"


@dataclass(frozen=True)
class QualitySource:
    endpoint: str
    model_version: str
    problem: str  # binary | regression
    capture_uri: str  # s3://bucket/prefix/ of the endpoint's data capture
    labels_uri: str  # s3://bucket/prefix/ of its ground-truth labels


def _prefix_arns(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    return f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/{prefix + '/' if prefix else ''}*"


def job_statements(sources: Sequence[QualitySource]) -> list[dict[str, Any]]:
    objects = sorted({_prefix_arns(u)[1] for s in sources for u in (s.capture_uri, s.labels_uri)})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadCaptureAndLabels",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": objects,
        },
        {
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",  # PutMetricData has no resource type; the namespace is pinned
            "Condition": {
                "StringEquals": {"cloudwatch:namespace": contract.MODEL_QUALITY_NAMESPACE}
            },
        },
    ]
    for i, (bucket, prefixes) in enumerate(sorted(_listing(sources).items())):
        statements.append(
            {
                "Sid": f"ListPrefixes{i}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket,
                "Condition": {"StringLike": {"s3:prefix": sorted(prefixes)}},
            }
        )
    return statements


def _listing(sources: Sequence[QualitySource]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source in sources:
        for uri in (source.capture_uri, source.labels_uri):
            bucket, _, prefix = uri[len("s3://") :].partition("/")
            prefix = prefix.strip("/")
            found.setdefault(f"arn:aws:s3:::{bucket}", set()).add(f"{prefix}/*" if prefix else "*")
    return found


@dataclass
class ModelQualityJobArgs:
    environment: str
    account_id: str
    region: str
    account_name: str
    sources: Sequence[QualitySource]
    alarm_topic_arn: pulumi.Input[str]
    schedule: str = "rate(1 hour)"
    schedule_period_seconds: int = 3600  # what `schedule` means, for the not-running alarm
    window_hours: int = 24
    label_deadline_hours: int = 24
    log_retention_days: int = 365


class ModelQualityJob(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ModelQualityJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:model_quality_job:ModelQualityJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"obsgov-{args.environment}-{args.account_name}-model-quality"[:64]
        platform = PlatformFunction(
            f"{name}-fn",
            PlatformFunctionArgs(
                environment=args.environment,
                account_id=args.account_id,
                region=args.region,
                function_name=function_name,
                handler=HANDLER,
                archive_files=package_files("model_quality"),
                statements=job_statements(args.sources),
                alarm_topic_arn=args.alarm_topic_arn,
                log_retention_days=args.log_retention_days,
                timeout_seconds=300,
                memory_mb=512,
                schedule_period_seconds=args.schedule_period_seconds,
                description=f"{function_name}: environment, queue, logs",
            ),
            opts=child,
        )
        for source in args.sources:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{source.endpoint}",
                name=f"{function_name}-{source.endpoint}"[:64],
                schedule_expression=args.schedule,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{source.endpoint}-target",
                rule=rule.name,
                arn=platform.function.arn,
                input=json.dumps(
                    {
                        "endpoint": source.endpoint,
                        "modelVersion": source.model_version,
                        "problem": source.problem,
                        "captureUri": source.capture_uri,
                        "labelsUri": source.labels_uri,
                        "windowHours": args.window_hours,
                        "labelDeadlineHours": args.label_deadline_hours,
                    },
                    sort_keys=True,
                ),
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-{source.endpoint}-invoke",
                action="lambda:InvokeFunction",
                function=platform.function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )
        self.register_outputs({"functionArn": platform.function.arn})
