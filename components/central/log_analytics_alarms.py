"""Health alarms of the central log and metric pipelines, notifying the severity topics.

Each alarm watches a metric an AWS service publishes for a resource the component creates, at
the threshold AWS recommends where it recommends one:

* OpenSearch Service publishes ``AWS/ES`` per domain (dimensions ``DomainName`` and
  ``ClientId``, the account) every minute; the thresholds are those of "Recommended CloudWatch
  alarms for Amazon OpenSearch Service"
  (docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html), the
  metrics those of docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html.
* Firehose publishes ``AWS/Firehose`` per stream (``DeliveryStreamName``)
  (docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html); AWS advises
  an alarm when ``DataFreshness`` passes the 15-minute buffering limit
  (docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html).
* CloudWatch publishes ``AWS/CloudWatch/MetricStreams`` per metric stream
  (``MetricStreamName``) while it runs
  (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-metric-streams-monitoring.html).

A lost cluster, blocked writes or a full disk lose logs: ``critical``. A yellow cluster, memory
pressure, failed or late deliveries degrade and recover: ``warning``. The description starts with
the severity as every routed alarm's does (``[CRITICAL] ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .event_routing import severity_description
from .log_analytics_args import LogAnalyticsArgs
from .log_analytics_documents import names

OPENSEARCH_NAMESPACE = "AWS/ES"
FIREHOSE_NAMESPACE = "AWS/Firehose"
METRIC_STREAMS_NAMESPACE = "AWS/CloudWatch/MetricStreams"
# Firehose buffers for at most 15 minutes: older undelivered data means delivery is failing.
FRESHNESS_LIMIT_SECONDS = 900


@dataclass(frozen=True)
class HealthAlarm:
    """One alarm: what it watches, when it fires and whom it tells."""

    role: str  # the resource name's suffix and the alarm name's
    severity: str  # critical | warning
    text: str
    namespace: str
    metric: str
    statistic: str
    operator: str
    threshold: float
    period: int = 60
    evaluation_periods: int = 1
    treat_missing_data: str = "missing"


def domain_alarms(args: LogAnalyticsArgs) -> list[HealthAlarm]:
    """AWS's recommended domain alarms; free storage at a quarter of one node's volume (the
    metric is in MiB per node)."""
    quarter_of_node_mib = args.volume_size_gib * 1024 // 4
    ge = "GreaterThanOrEqualToThreshold"
    return [
        HealthAlarm(
            "cluster-red",
            "critical",
            "at least one primary shard is unassigned: searches miss data and indexing fails",
            OPENSEARCH_NAMESPACE,
            "ClusterStatus.red",
            "Maximum",
            ge,
            1,
        ),
        HealthAlarm(
            "writes-blocked",
            "critical",
            "the cluster blocks index writes (disk or memory pressure): logs go to the backup",
            OPENSEARCH_NAMESPACE,
            "ClusterIndexWritesBlocked",
            "Maximum",
            ge,
            1,
            period=300,
        ),
        HealthAlarm(
            "free-storage",
            "critical",
            f"a node has under {quarter_of_node_mib} MiB (25%) of its volume free: writes "
            "block at the flood stage",
            OPENSEARCH_NAMESPACE,
            "FreeStorageSpace",
            "Minimum",
            "LessThanOrEqualToThreshold",
            quarter_of_node_mib,
        ),
        HealthAlarm(
            "cluster-yellow",
            "warning",
            "at least one replica shard is unassigned: one more node loss loses data",
            OPENSEARCH_NAMESPACE,
            "ClusterStatus.yellow",
            "Maximum",
            ge,
            1,
            evaluation_periods=5,
        ),
        HealthAlarm(
            "jvm-pressure",
            "warning",
            "JVM memory pressure at or over 95%: the cluster may block writes",
            OPENSEARCH_NAMESPACE,
            "JVMMemoryPressure",
            "Maximum",
            ge,
            95,
            evaluation_periods=3,
        ),
    ]


def delivery_alarms(destination: str) -> list[HealthAlarm]:
    """A Firehose stream's delivery to ``destination`` (``AmazonOpenSearchService``, ``S3``):
    some records failed, or the oldest undelivered record passed the buffering limit. Both are
    published only while records flow, so no data is no failure."""
    return [
        HealthAlarm(
            "delivery-failures",
            "warning",
            f"records failed delivery to {destination} (they go to the error prefix or backup)",
            FIREHOSE_NAMESPACE,
            f"DeliveryTo{destination}.Success",
            "Minimum",
            "LessThanThreshold",
            1,
            period=300,
            evaluation_periods=3,
            treat_missing_data="notBreaching",
        ),
        HealthAlarm(
            "delivery-freshness",
            "warning",
            f"records wait over {FRESHNESS_LIMIT_SECONDS} s for delivery to {destination}",
            FIREHOSE_NAMESPACE,
            f"DeliveryTo{destination}.DataFreshness",
            "Maximum",
            "GreaterThanThreshold",
            FRESHNESS_LIMIT_SECONDS,
            period=300,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
        ),
    ]


def create_alarms(
    parent: pulumi.Resource,
    name: str,
    alarm_prefix: str,
    alarms: list[HealthAlarm],
    dimensions: dict[str, pulumi.Input[str]],
    topics: Any,
) -> list[aws.cloudwatch.MetricAlarm]:
    """``alarms`` on the resource ``dimensions`` name, each notifying the topic of its severity
    when it fires and when it clears."""
    created = []
    for spec in alarms:
        topic = topics.get(spec.severity)
        actions = [topic] if topic is not None else []
        created.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.role}",
                name=f"{alarm_prefix}-{spec.role}",
                alarm_description=severity_description(spec.severity, spec.text),
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=dimensions,
                statistic=spec.statistic,
                comparison_operator=spec.operator,
                threshold=spec.threshold,
                period=spec.period,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.evaluation_periods,
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=actions,
                ok_actions=actions,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return created


def health_alarms(
    parent: pulumi.Resource,
    name: str,
    args: LogAnalyticsArgs,
    domain: aws.opensearch.Domain,
    stream: aws.kinesis.FirehoseDeliveryStream,
) -> list[aws.cloudwatch.MetricAlarm]:
    """The domain's and the ingest stream's alarms; dimensions are taken from the resources'
    outputs so each alarm waits for what it watches."""
    n = names(args.environment, args.account_id)
    return [
        *create_alarms(
            parent,
            name,
            n["domain"],
            domain_alarms(args),
            {"DomainName": domain.domain_name, "ClientId": args.account_id},
            args.alarm_topic_arns,
        ),
        *create_alarms(
            parent,
            name,
            n["stream"],
            delivery_alarms("AmazonOpenSearchService"),
            {"DeliveryStreamName": stream.name},
            args.alarm_topic_arns,
        ),
    ]
