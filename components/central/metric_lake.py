"""The metric lake: every linked account's platform metrics, kept in S3 and queryable in Athena.

One CloudWatch metric stream in the observability account includes the linked member accounts'
metrics (``include_linked_accounts_metrics``), filtered to the namespaces the platform watches,
and delivers them as JSON through Kinesis Data Firehose to an encrypted, lifecycle-managed bucket.
A Glue table with partition projection on the delivery date makes them queryable through an
Athena workgroup that enforces its own encrypted result location.

A stream sends only Max, Min, Sum and SampleCount by default, from which no percentile can be
rebuilt; ``statistics_configuration`` adds the percentiles of the latency metrics
(:data:`PERCENTILE_METRICS`), so p99 ``ModelLatency`` reaches the lake as ``value.p99``
(docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStreamStatisticsConfiguration.html).
Alarms watch the metric stream (publish errors, and updates stopping) and the Firehose delivery
(failures, freshness), notifying the central severity topics. Every named query restricts the
``dt`` partition, so Athena reads days, not the whole lake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from obsgov import metric_contract as contract
from obsgov_policies.signals import (
    GLUE_NAMESPACE,
    LAMBDA_NAMESPACE,
    SAGEMAKER_INSTANCES_NAMESPACE,
    SAGEMAKER_NAMESPACE,
    STATES_NAMESPACE,
)

from ..shared.buckets import hardened_bucket
from ..shared.firehose import S3_DELIVERY_ACTIONS, delivery_stream, firehose_role, s3_destination
from ..shared.iam_documents import (
    account_administers,
    bucket_arn,
    deny_insecure_transport,
    document,
    statement,
)
from ..shared.keys import rotated_key
from ..shared.service_roles import service_role
from .log_analytics_alarms import (
    METRIC_STREAMS_NAMESPACE,
    HealthAlarm,
    create_alarms,
    delivery_alarms,
)

PLATFORM_NAMESPACES = (
    SAGEMAKER_NAMESPACE,
    SAGEMAKER_INSTANCES_NAMESPACE,
    GLUE_NAMESPACE,
    STATES_NAMESPACE,
    LAMBDA_NAMESPACE,
    contract.PIPELINE_NAMESPACE,
    contract.DATA_QUALITY_NAMESPACE,
    contract.MODEL_QUALITY_NAMESPACE,
)
METRICS_PREFIX = "metrics/"
RESULTS_PREFIX = "athena-results/"

# The latency metrics whose percentiles the stream adds (JSON output format: each additional
# statistic is a key of ``value`` named as requested). All dimensions of a pair are streamed.
PERCENTILE_METRICS = (
    (SAGEMAKER_NAMESPACE, "ModelLatency"),
    (SAGEMAKER_NAMESPACE, "OverheadLatency"),
)
PERCENTILES = ("p50", "p90", "p99")

# The fields of a metric stream's JSON output format, one record per line.
TABLE_COLUMNS = (
    ("metric_stream_name", "string"),
    ("account_id", "string"),
    ("region", "string"),
    ("namespace", "string"),
    ("metric_name", "string"),
    ("dimensions", "map<string,string>"),
    ("timestamp", "bigint"),
    (
        "value",
        "struct<max:double,min:double,sum:double,count:double,"
        + ",".join(f"{p}:double" for p in PERCENTILES)
        + ">",
    ),
    ("unit", "string"),
)


@dataclass
class MetricLakeArgs:
    environment: str
    account_id: str
    region: str
    extra_namespaces: Sequence[str] = field(default_factory=list)  # business KPIs
    # the account's server access log bucket (components.shared.access_logs) and its policy,
    # which the bucket's logging waits for; None: not logged (a unit test's stack)
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_ready: Sequence[pulumi.Resource] = ()
    transition_to_ia_days: int = 30
    expiry_days: int = 730
    # The central severity topics the stream's and the delivery's alarms notify, by severity.
    alarm_topic_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def names(environment: str, account_id: str) -> dict[str, str]:
    base = f"obsgov-{environment}"
    return {
        "bucket": f"{base}-metric-lake-{account_id}",
        "stream": f"{base}-metric-lake",
        "metric_stream": f"{base}-platform-metrics",
        "database": f"obsgov_{environment}_metrics",
        "table": "platform_metrics",
        "workgroup": f"{base}-metrics",
        "firehose_role": f"{base}-metric-lake-firehose",
        "stream_role": f"{base}-metric-stream",
    }


def namespaces(args: MetricLakeArgs) -> list[str]:
    return sorted({*PLATFORM_NAMESPACES, *args.extra_namespaces})


def key_policy(account_id: str) -> str:
    return document(
        account_administers(account_id),
    )


def key_alias(environment: str) -> str:
    return f"alias/obsgov-{environment}-metric-lake"


def firehose_role_policy(args: MetricLakeArgs) -> str:
    """Known at preview: the key is named by its alias (``kms:ResourceAliases``)."""
    bucket = bucket_arn(names(args.environment, args.account_id)["bucket"])
    return document(
        statement(
            "WriteMetrics",
            S3_DELIVERY_ACTIONS,
            [bucket, f"{bucket}/{METRICS_PREFIX}*", f"{bucket}/errors/*"],
        ),
        statement(
            "EncryptObjects",
            ["kms:GenerateDataKey", "kms:Decrypt"],
            f"arn:aws:kms:{args.region}:{args.account_id}:key/*",
            condition={
                "StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias(args.environment)},
            },
        ),
    )


def stream_role_policy(args: MetricLakeArgs) -> str:
    n = names(args.environment, args.account_id)
    arn = f"arn:aws:firehose:{args.region}:{args.account_id}:deliverystream/{n['stream']}"
    return document(
        statement("DeliverMetrics", ["firehose:PutRecord", "firehose:PutRecordBatch"], arn)
    )


def stream_alarms() -> list[HealthAlarm]:
    """The metric stream's own health: unrecoverable publish errors, and updates stopping
    (``MetricUpdate`` is not emitted for a period without updates, nor while the stream is
    stopped, so missing data is the failure and breaches)."""
    return [
        HealthAlarm(
            "publish-errors",
            "warning",
            "the metric stream fails to put records into Firehose",
            METRIC_STREAMS_NAMESPACE,
            "PublishErrorRate",
            "Maximum",
            "GreaterThanThreshold",
            0,
            period=300,
            evaluation_periods=3,
            treat_missing_data="notBreaching",
        ),
        HealthAlarm(
            "updates-stopped",
            "warning",
            "the metric stream sent no metric update for 15 minutes: the lake stops filling",
            METRIC_STREAMS_NAMESPACE,
            "MetricUpdate",
            "Sum",
            "LessThanThreshold",
            1,
            period=900,
            evaluation_periods=1,
            treat_missing_data="breaching",
        ),
    ]


def partition_predicate(days: int) -> str:
    """The ``dt`` range of the last ``days`` days, in the projection's ``yyyy/MM/dd`` format
    (which sorts as text in date order)."""
    return f"dt >= date_format(current_date - interval '{days}' day, '%Y/%m/%d')"


def named_queries(n: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Athena named queries over the lake, by resource role: (description, SQL). Each one
    restricts ``dt`` first."""
    table = f'"{n["database"]}"."{n["table"]}"'
    return {
        "p99-model-latency": (
            "Hourly p99 ModelLatency (microseconds) of every endpoint variant, last 7 days",
            f"SELECT account_id, dimensions['EndpointName'] AS endpoint_name,\n"
            f"       dimensions['VariantName'] AS variant_name,\n"
            f"       date_trunc('hour', from_unixtime(timestamp / 1000)) AS hour,\n"
            f"       max(value.p99) AS p99_model_latency_us\n"
            f"FROM {table}\n"
            f"WHERE {partition_predicate(7)}\n"
            f"  AND namespace = '{SAGEMAKER_NAMESPACE}' AND metric_name = 'ModelLatency'\n"
            f"GROUP BY 1, 2, 3, 4\n"
            f"ORDER BY hour DESC, p99_model_latency_us DESC",
        ),
    }


def table_parameters(bucket: str) -> dict[str, str]:
    return {
        "classification": "json",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy/MM/dd",
        "projection.dt.range": "2024/01/01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": f"s3://{bucket}/{METRICS_PREFIX}${{dt}}/",
    }


class MetricLake(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    workgroup: aws.athena.Workgroup

    def __init__(
        self, name: str, args: MetricLakeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:metric_lake:MetricLake", name, None, opts)
        key = self._create_bucket(name, args)
        self._create_stream(name, args, key)
        self._create_catalog(name, args, key)
        self._create_alarms(name, args)
        self.register_outputs({"bucket": self.bucket.bucket, "workgroup": self.workgroup.name})

    def _create_bucket(self, name: str, args: MetricLakeArgs) -> aws.kms.Key:
        """The lake's key and its bucket."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} metric lake",
            policy=key_policy(args.account_id),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=key_alias(args.environment),
            target_key_id=key.key_id,
            opts=child,
        )
        self.bucket = hardened_bucket(
            self,
            f"{name}-bucket",
            n["bucket"],
            kms_key_arn=key.arn,
            policy=document(deny_insecure_transport(n["bucket"])),
            lifecycle_rules=[
                {
                    "id": "age-out-metrics",
                    "status": "Enabled",
                    "filter": {"prefix": METRICS_PREFIX},
                    "transitions": [
                        {"days": args.transition_to_ia_days, "storage_class": "STANDARD_IA"}
                    ],
                    "expiration": {"days": args.expiry_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                },
                {
                    "id": "expire-query-results",
                    "status": "Enabled",
                    "filter": {"prefix": RESULTS_PREFIX},
                    "expiration": {"days": 30},
                },
            ],
            purpose="metric-lake",
            access_log_bucket=args.access_log_bucket,
            access_log_ready=args.access_log_ready,
        )
        return key

    def _create_stream(self, name: str, args: MetricLakeArgs, key: aws.kms.Key) -> None:
        """The metric stream over the platform's namespaces and the Firehose stream into the bucket."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        delivery_role, firehose_policy = firehose_role(
            name,
            role_name=n["firehose_role"],
            account_id=args.account_id,
            policy=firehose_role_policy(args),
            opts=child,
        )
        self.delivery = stream = delivery_stream(
            f"{name}-delivery",
            parent=self,
            stream_name=n["stream"],
            key_arn=key.arn,
            role_policy=firehose_policy,
            destination="extended_s3",
            extended_s3_configuration=s3_destination(
                role_arn=delivery_role.arn,
                bucket_arn=self.bucket.arn,
                key_arn=key.arn,
                prefix=f"{METRICS_PREFIX}!{{timestamp:yyyy/MM/dd}}/",
                buffering_size=64,
                compression_format="GZIP",
            ),
        )
        stream_role, stream_policy = service_role(
            f"{name}-stream-role",
            f"{name}-stream-policy",
            role_name=n["stream_role"],
            service="streams.metrics.cloudwatch.amazonaws.com",
            condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
            policy=stream_role_policy(args),
            opts=child,
        )
        self.metric_stream = aws.cloudwatch.MetricStream(
            f"{name}-metric-stream",
            name=n["metric_stream"],
            firehose_arn=stream.arn,
            role_arn=stream_role.arn,
            output_format="json",
            include_linked_accounts_metrics=True,
            include_filters=[
                aws.cloudwatch.MetricStreamIncludeFilterArgs(namespace=ns)
                for ns in namespaces(args)
            ],
            statistics_configurations=[
                aws.cloudwatch.MetricStreamStatisticsConfigurationArgs(
                    additional_statistics=list(PERCENTILES),
                    include_metrics=[
                        aws.cloudwatch.MetricStreamStatisticsConfigurationIncludeMetricArgs(
                            namespace=namespace, metric_name=metric
                        )
                        for namespace, metric in PERCENTILE_METRICS
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stream_policy]),
        )

    def _create_catalog(self, name: str, args: MetricLakeArgs, key: aws.kms.Key) -> None:
        """The Glue table over the bucket and the Athena workgroup that queries it."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        database = aws.glue.CatalogDatabase(f"{name}-database", name=n["database"], opts=child)
        aws.glue.CatalogTable(
            f"{name}-table",
            name=n["table"],
            database_name=database.name,
            table_type="EXTERNAL_TABLE",
            parameters=table_parameters(n["bucket"]),
            partition_keys=[aws.glue.CatalogTablePartitionKeyArgs(name="dt", type="string")],
            storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
                location=f"s3://{n['bucket']}/{METRICS_PREFIX}",
                input_format="org.apache.hadoop.mapred.TextInputFormat",
                output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                    serialization_library="org.openx.data.jsonserde.JsonSerDe"
                ),
                columns=[
                    aws.glue.CatalogTableStorageDescriptorColumnArgs(name=c, type=t)
                    for c, t in TABLE_COLUMNS
                ],
            ),
            opts=child,
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=n["workgroup"],
            force_destroy=False,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=10 * 1024**3,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=f"s3://{n['bucket']}/{RESULTS_PREFIX}",
                    encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                        encryption_option="SSE_KMS", kms_key_arn=key.arn
                    ),
                ),
            ),
            opts=child,
        )
        for role, (description, query) in named_queries(n).items():
            aws.athena.NamedQuery(
                f"{name}-{role}-query",
                name=f"{n['workgroup']}-{role}",
                description=description,
                database=database.name,
                workgroup=self.workgroup.name,
                query=query,
                opts=child,
            )
        self.database_name = n["database"]
        self.table_name = n["table"]

    def _create_alarms(self, name: str, args: MetricLakeArgs) -> None:
        """The metric stream's and the delivery's health, to the central severity topics."""
        n = names(args.environment, args.account_id)
        self.alarms = [
            *create_alarms(
                self,
                name,
                n["metric_stream"],
                stream_alarms(),
                {"MetricStreamName": self.metric_stream.name},
                args.alarm_topic_arns,
            ),
            *create_alarms(
                self,
                name,
                n["stream"],
                delivery_alarms("S3"),
                {"DeliveryStreamName": self.delivery.name},
                args.alarm_topic_arns,
            ),
        ]
