"""The scheduled model-quality job for endpoints whose registry entry names a ground-truth
location: joins the last window of captured predictions with labels and publishes accuracy,
precision, recall, F1 and AUC (or MAE, RMSE and MAPE) per endpoint and model version.

The role may read exactly the capture and label prefixes it is given and write one metric
namespace; everything else is the platform function's hygiene.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from obsgov import metric_contract as contract

from ..shared.platform_function import (
    PlatformFunction,
    PlatformFunctionArgs,
    invoke_on_schedule,
    package_files,
)

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


def served_model_statement(
    sources: Sequence[QualitySource], region: str, account_id: str
) -> dict[str, Any]:
    """The job reads the model version an endpoint serves at run time
    (obsgov.model_quality.served): DescribeEndpoint, DescribeEndpointConfig, DescribeModel,
    then DescribeModelPackage of the registry's package (which may live in the registry
    account). SageMaker's resource types: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"""
    base = f"arn:aws:sagemaker:{region}:{account_id}"
    return {
        "Sid": "ReadServedModel",
        "Effect": "Allow",
        "Action": [
            "sagemaker:DescribeEndpoint",
            "sagemaker:DescribeEndpointConfig",
            "sagemaker:DescribeModel",
            "sagemaker:DescribeModelPackage",
        ],
        "Resource": [
            *sorted(f"{base}:endpoint/{s.endpoint.lower()}" for s in sources),
            f"{base}:endpoint-config/*",
            f"{base}:model/*",
            f"arn:aws:sagemaker:{region}:*:model-package/*",
        ],
    }


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
    # statements for the buckets' key (the monitoring bucket's, when config names none)
    extra_statements: Sequence[Mapping[str, Any]] = ()


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
                statements=[
                    *job_statements(args.sources),
                    served_model_statement(args.sources, args.region, args.account_id),
                    *map(dict, args.extra_statements),
                ],
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
            invoke_on_schedule(
                f"{name}-{source.endpoint}",
                platform.function,
                rule_name=f"{function_name}-{source.endpoint}"[:64],
                schedule=args.schedule,
                parent=self,
                rule_suffix="",
                event=json.dumps(
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
            )
        self.register_outputs({"functionArn": platform.function.arn})
