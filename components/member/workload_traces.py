"""X-Ray for the workloads the registry marks ``traced``: a group whose filter selects the
workload's traces, with insights and insight notifications on, and a sampling rule."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from obsgov.config.models.settings import Tracing

if TYPE_CHECKING:
    from obsgov.config.models.accounts import WorkloadModel

# CreateGroup and CreateSamplingRule accept names of at most 32 characters.
_MAX_NAME = 32
SAMPLING_PRIORITY = 1000  # 1-9999; lower wins. Leaves room for teams' own finer rules.


def xray_name(workload_name: str) -> str:
    """The workload's name, or a stable shortened form when X-Ray's 32 characters are few."""
    if len(workload_name) <= _MAX_NAME:
        return workload_name
    digest = hashlib.sha256(workload_name.encode()).hexdigest()[:8]
    return f"{workload_name[: _MAX_NAME - 9]}-{digest}"


def filter_expression(workload: WorkloadModel) -> str:
    return f'service("{workload.name}")'


def workload_traces(
    logical_prefix: str, workload: WorkloadModel, tracing: Tracing, opts: pulumi.ResourceOptions
) -> None:
    name = xray_name(workload.name)
    aws.xray.Group(
        f"{logical_prefix}-{workload.name}-traces",
        group_name=name,
        filter_expression=filter_expression(workload),
        insights_configuration=aws.xray.GroupInsightsConfigurationArgs(
            insights_enabled=True, notifications_enabled=True
        ),
        opts=opts,
    )
    aws.xray.SamplingRule(
        f"{logical_prefix}-{workload.name}-sampling",
        rule_name=name,
        priority=SAMPLING_PRIORITY,
        fixed_rate=tracing.sampling_rate,
        reservoir_size=tracing.reservoir_size,
        service_name=workload.name,
        service_type="*",
        host="*",
        http_method="*",
        url_path="*",
        resource_arn="*",
        version=1,
        opts=opts,
    )
