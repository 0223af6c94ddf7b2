"""The log groups a workload writes to, the critical events found in them, and their forwarding.

Each log group the registry names (or the kind's default) is encrypted with the account's key
and kept for the environment's retention. A workload whose ``logGroup`` is ``adopt`` already
has its groups (the service made them when the workload first ran, or its logging set-up
did): they are imported with Pulumi's import option (a log group's import id is its name) and
the same settings are applied in place (``AssociateKmsKey``, ``PutRetentionPolicy``), which
the engine does in the same update since Pulumi 3.174 (Pulumi.yaml's requiredPulumiVersion);
they are retained when the stack is destroyed, since the workload keeps writing to them
(docs/log-group-adoption.md). One metric filter per group counts the
lines matching any of the workload's critical-event terms into one metric per workload, which
gets an alarm; a subscription filter forwards the group to the central log destination.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from obsgov_policies.signals import ERRORS

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef

if TYPE_CHECKING:
    from obsgov.config.models.accounts import WorkloadModel

LOG_EVENTS_NAMESPACE = "Obsgov/LogEvents"
CRITICAL_EVENTS_FILTER = "obsgov-critical-events"
FORWARD_FILTER = "obsgov-central-forward"


@dataclass(frozen=True)
class LogSettings:
    key_arn: pulumi.Input[str]
    retention_days: int
    destination_arn: str | None  # the central log destination; None: no forwarding
    opts: pulumi.ResourceOptions  # log resources need not wait for the alarm topics
    # the central destination and its access policy: a subscription filter waits for them
    destination_ready: tuple[pulumi.Resource, ...] = ()


def critical_event_pattern(terms: list[str]) -> str:
    """An unstructured filter pattern matching a line that contains any of ``terms``."""
    return " ".join(f'?"{term}"' for term in terms)


def critical_event_metric(workload: WorkloadModel) -> str:
    # Filters on unstructured lines cannot set constant dimensions, so the workload is in the
    # metric's name.
    return f"{workload.name}.CriticalEvents"


def _group_options(
    workload: WorkloadModel, group_name: str, opts: pulumi.ResourceOptions
) -> pulumi.ResourceOptions:
    if workload.log_group != "adopt":
        return opts
    # Only settings the provider updates in place are declared (name is the import id; no
    # logGroupClass, which would force a replacement the engine refuses for an import).
    adopted = pulumi.ResourceOptions(import_=group_name, retain_on_delete=True)
    return pulumi.ResourceOptions.merge(opts, adopted)


def workload_logs(ctx: AlarmContext, workload: WorkloadModel, logs: LogSettings) -> list[AlarmSpec]:
    """Create the workload's log groups and filters; return the critical-event alarm's spec."""
    groups = workload.log_group_names()
    terms = workload.critical_patterns()
    metric = critical_event_metric(workload)
    for i, group_name in enumerate(groups):
        group = aws.cloudwatch.LogGroup(
            f"{ctx.logical_prefix}-{workload.name}-logs-{i}",
            name=group_name,
            kms_key_id=logs.key_arn,
            retention_in_days=logs.retention_days,
            opts=_group_options(workload, group_name, logs.opts),
        )
        # Literal group names keep the filters judgeable at preview; depends_on orders them.
        after_group = pulumi.ResourceOptions.merge(
            logs.opts, pulumi.ResourceOptions(depends_on=[group])
        )
        if terms:
            aws.cloudwatch.LogMetricFilter(
                f"{ctx.logical_prefix}-{workload.name}-critical-events-{i}",
                name=CRITICAL_EVENTS_FILTER,
                log_group_name=group_name,
                pattern=critical_event_pattern(terms),
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric,
                    namespace=LOG_EVENTS_NAMESPACE,
                    value="1",
                    unit="Count",
                ),
                opts=after_group,
            )
        if logs.destination_arn and workload.forward_logs:
            aws.cloudwatch.LogSubscriptionFilter(
                f"{ctx.logical_prefix}-{workload.name}-log-forward-{i}",
                name=FORWARD_FILTER,
                log_group=group_name,
                filter_pattern="",  # every event: the central store decides what it keeps
                destination_arn=logs.destination_arn,
                opts=pulumi.ResourceOptions.merge(
                    after_group, pulumi.ResourceOptions(depends_on=list(logs.destination_ready))
                ),
            )
    if not (groups and terms):
        return []
    return [
        AlarmSpec(
            "critical-logs",
            ERRORS,
            f"{workload.name} logged a critical event (any of: {', '.join(terms)}).",
            f"log group(s) {', '.join(groups)}, filtering on the same terms",
            "GreaterThanThreshold",
            {"m1": MetricRef(LOG_EVENTS_NAMESPACE, metric, {}, "Sum", "Count")},
            threshold=0,
            evaluation=(1, 1),
            # the filter emits nothing while no line matches: silence is health
            treat_missing="notBreaching",
        )
    ]
