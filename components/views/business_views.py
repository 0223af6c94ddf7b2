"""QuickSight views for the business: ML performance next to the KPIs it drives.

An Athena data source over the metric lake (SSL on), and SPICE datasets refreshed daily:
endpoint health per endpoint and model version, pipeline health, business KPIs, and the join
that puts each KPI beside the endpoint or pipeline the accounts registry links it to. Which model
version serves an endpoint, and which workload drives a KPI, come from the registry and are
written into the SQL as small VALUES tables, so the datasets need no other source.

pulumi-aws cannot express a dashboard or analysis *definition* (only ``source_entity`` from an
existing template): the dashboards and analyses on these data sets are pulumi-aws-native
resources (:mod:`.quicksight_dashboards`), on the component's native provider.

QuickSight runs the data sets' queries as the data source's own role (AthenaParameters
``RoleArn``), not as its account-wide service role, whose reach is chosen by hand in
QuickSight's security settings and which no stack manages: the role may run queries in the
lake's workgroup, read the Glue tables the SQL names, read their S3 locations, write the
workgroup's results, and use the KMS keys of those buckets (through S3 only, for those
buckets only) and of the Data Catalog (through Glue only). QuickSight's troubleshooting page
"Insufficient permissions when using Athena with QuickSight" lists these needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..lifecycle.lifecycle_archive import lineage_sql
from ..shared.iam_documents import bucket_arn, document, statement
from ..shared.service_roles import service_role
from .quicksight_dashboards import DashboardsArgs, create_dashboards

VIEWER_DATASET_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
)
OWNER_DATASET_ACTIONS = VIEWER_DATASET_ACTIONS + (
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)
VIEWER_SOURCE_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
)
OWNER_SOURCE_ACTIONS = VIEWER_SOURCE_ACTIONS + (
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
)


@dataclass(frozen=True)
class ServedModel:
    account_id: str
    endpoint: str
    model_id: str
    model_version: str


@dataclass(frozen=True)
class KpiLink:
    account_id: str
    kpi: str
    namespace: str
    metric_name: str
    workload: str  # the endpoint or pipeline the KPI depends on ('' when none)


@dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    sql: str
    columns: tuple[tuple[str, str], ...]  # (name, QuickSight input column type)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _values(
    rows: Sequence[Sequence[str]], alias: str, names: Sequence[str], empty: Sequence[str]
) -> str:
    """A VALUES table named ``alias`` with its column names (Trino's ``AS alias(columns)``: one
    alias, so Athena engine v3 parses it); an empty registry still yields valid SQL (one row
    that matches nothing)."""
    body = (
        ", ".join("(" + ", ".join(_quote(v) for v in row) + ")" for row in rows)
        or "(" + ", ".join(_quote(v) for v in empty) + ")"
    )
    return f"(VALUES {body}) AS {alias}({', '.join(names)})"


# Days of the lake each SPICE refresh reads. The lake's table is partitioned by day (``dt``,
# yyyy/MM/dd); a predicate on it lets Athena read only those days' prefixes instead of the
# whole lake, which would also outgrow the workgroup's per-query scan limit.
DATASET_WINDOW_DAYS = 90


def recent_days(column: str, days: int) -> str:
    return f"{column} >= date_format(current_date - interval '{days}' day, '%Y/%m/%d')"


def datasets(
    database: str,
    table: str,
    served: Sequence[ServedModel],
    links: Sequence[KpiLink],
    window_days: int = DATASET_WINDOW_DAYS,
) -> list[Dataset]:
    source = f'"{database}"."{table}"'
    ts = "from_unixtime(timestamp / 1000)"
    recent_m = recent_days("m.dt", window_days)
    models = _values(
        [(m.account_id, m.endpoint, m.model_id, m.model_version) for m in served],
        "s",
        ("account_id", "endpoint", "model_id", "model_version"),
        ("", "", "", ""),
    )
    kpis = _values(
        [(k.account_id, k.kpi, k.namespace, k.metric_name, k.workload) for k in links],
        "k",
        ("account_id", "kpi", "namespace", "metric_name", "workload"),
        ("", "", "", "", ""),
    )
    endpoint_health = (
        f"SELECT m.account_id, m.dimensions['EndpointName'] AS endpoint, s.model_id, "
        f"s.model_version, m.metric_name, {ts} AS observed_at, m.value.sum AS total, "
        f"m.value.count AS samples, m.value.max AS maximum "
        f"FROM {source} m LEFT JOIN {models} ON s.account_id = m.account_id "
        f"AND s.endpoint = m.dimensions['EndpointName'] "
        f"WHERE {recent_m} AND m.namespace = 'AWS/SageMaker' AND m.metric_name IN "
        f"('ModelLatency', 'OverheadLatency', 'Invocations', 'Invocation4XXErrors', "
        f"'Invocation5XXErrors')"
    )
    pipeline_health = (
        f"SELECT account_id, COALESCE(dimensions['Pipeline'], dimensions['JobName'], "
        f"dimensions['StateMachineArn'], dimensions['FunctionName']) AS pipeline, namespace, "
        f"metric_name, {ts} AS observed_at, value.sum AS total, value.max AS maximum "
        f"FROM {source} WHERE {recent_days('dt', window_days)} "
        f"AND namespace IN ('Glue', 'AWS/States', 'AWS/Lambda', 'Obsgov/Pipelines')"
    )
    business_kpis = (
        f"SELECT m.account_id, k.kpi, m.metric_name, {ts} AS observed_at, m.value.sum AS total, "
        f"m.value.count AS samples FROM {source} m JOIN {kpis} ON k.account_id = m.account_id "
        f"AND k.namespace = m.namespace AND k.metric_name = m.metric_name WHERE {recent_m}"
    )
    performance_vs_kpi = (
        f"SELECT k.account_id, k.kpi, k.workload, date_trunc('hour', {ts}) AS hour, "
        f"SUM(CASE WHEN m.namespace = k.namespace AND m.metric_name = k.metric_name "
        f"THEN m.value.sum END) AS kpi_total, "
        f"MAX(CASE WHEN m.metric_name = 'ModelLatency' THEN m.value.max END) AS latency_max_us, "
        f"SUM(CASE WHEN m.metric_name = 'Invocations' THEN m.value.sum END) AS invocations, "
        f"SUM(CASE WHEN m.metric_name = 'Invocation5XXErrors' THEN m.value.sum END) AS errors_5xx "
        f"FROM {source} m JOIN {kpis} ON k.account_id = m.account_id AND "
        f"((m.namespace = k.namespace AND m.metric_name = k.metric_name) OR "
        f"m.dimensions['EndpointName'] = k.workload) WHERE {recent_m} "
        f"GROUP BY k.account_id, k.kpi, k.workload, date_trunc('hour', {ts})"
    )
    return [
        Dataset(
            "endpoint-health",
            "Endpoint health",
            endpoint_health,
            (
                ("account_id", "STRING"),
                ("endpoint", "STRING"),
                ("model_id", "STRING"),
                ("model_version", "STRING"),
                ("metric_name", "STRING"),
                ("observed_at", "DATETIME"),
                ("total", "DECIMAL"),
                ("samples", "DECIMAL"),
                ("maximum", "DECIMAL"),
            ),
        ),
        Dataset(
            "pipeline-health",
            "Pipeline health",
            pipeline_health,
            (
                ("account_id", "STRING"),
                ("pipeline", "STRING"),
                ("namespace", "STRING"),
                ("metric_name", "STRING"),
                ("observed_at", "DATETIME"),
                ("total", "DECIMAL"),
                ("maximum", "DECIMAL"),
            ),
        ),
        Dataset(
            "business-kpis",
            "Business KPIs",
            business_kpis,
            (
                ("account_id", "STRING"),
                ("kpi", "STRING"),
                ("metric_name", "STRING"),
                ("observed_at", "DATETIME"),
                ("total", "DECIMAL"),
                ("samples", "DECIMAL"),
            ),
        ),
        Dataset(
            "model-performance-vs-kpis",
            "Model performance and the KPIs it drives",
            performance_vs_kpi,
            (
                ("account_id", "STRING"),
                ("kpi", "STRING"),
                ("workload", "STRING"),
                ("hour", "DATETIME"),
                ("kpi_total", "DECIMAL"),
                ("latency_max_us", "DECIMAL"),
                ("invocations", "DECIMAL"),
                ("errors_5xx", "DECIMAL"),
            ),
        ),
    ]


def lineage_dataset(database: str, table: str) -> Dataset:
    return Dataset(
        "model-approvals-lineage",
        "Model approvals and lineage",
        lineage_sql(database, table),
        (
            ("model_group", "STRING"),
            ("version", "INTEGER"),
            ("package_arn", "STRING"),
            ("approval_status", "STRING"),
            ("approval_description", "STRING"),
            ("changed_at", "DATETIME"),
            ("approver", "STRING"),
            ("produced_by", "STRING"),
            ("account", "STRING"),
        ),
    )


@dataclass(frozen=True)
class LakeAccess:
    """What the data source's queries touch, by name (known at preview): the workgroup, the
    Glue tables (database, table), the S3 prefixes they read (bucket, prefix), the prefix the
    workgroup writes its results to, and the alias of the Data Catalog's key."""

    region: str
    workgroup: str
    tables: tuple[tuple[str, str], ...]
    reads: tuple[tuple[str, str], ...]
    results: tuple[str, str]
    catalog_key_alias: str


def quicksight_role_name(environment: str) -> str:
    return f"obsgov-{environment}-quicksight-athena"


def quicksight_role_policy(account_id: str, access: LakeAccess) -> str:
    region = access.region
    workgroup = f"arn:aws:athena:{region}:{account_id}:workgroup/{access.workgroup}"
    catalog = f"arn:aws:glue:{region}:{account_id}:catalog"
    databases = sorted({d for d, _ in access.tables})
    tables = sorted({f"arn:aws:glue:{region}:{account_id}:table/{d}/{t}" for d, t in access.tables})
    results_bucket, results_prefix = access.results
    buckets = sorted({b for b, _ in access.reads} | {results_bucket})
    objects = sorted({f"{bucket_arn(b)}/{p}*" for b, p in access.reads})
    results = f"{bucket_arn(results_bucket)}/{results_prefix}*"
    return document(
        statement(
            "RunQueriesInTheLakeWorkgroup",
            [
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetQueryResultsStream",
                "athena:GetWorkGroup",
            ],
            workgroup,
        ),
        # QuickSight lists workgroups and catalogs when it validates the data source; the
        # List* actions support no resource-level permissions.
        statement(
            "ListWorkgroupsAndCatalogs",
            ["athena:ListWorkGroups", "athena:ListDataCatalogs", "athena:ListEngineVersions"],
            "*",
        ),
        statement(
            "ReadTheLakeCatalog",
            [
                "athena:GetDataCatalog",
                "athena:ListDatabases",
                "athena:GetDatabase",
                "athena:ListTableMetadata",
                "athena:GetTableMetadata",
            ],
            f"arn:aws:athena:{region}:{account_id}:datacatalog/AwsDataCatalog",
        ),
        statement(
            "ReadTheLakeTables",
            [
                "glue:GetDatabase",
                "glue:GetDatabases",
                "glue:GetTable",
                "glue:GetTables",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
            ],
            [
                catalog,
                *(f"arn:aws:glue:{region}:{account_id}:database/{d}" for d in databases),
                *tables,
            ],
        ),
        statement(
            "ListTheLakeBuckets",
            ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
            [bucket_arn(b) for b in buckets],
        ),
        statement("ReadTheLakeObjects", "s3:GetObject", objects),
        statement(
            "WriteQueryResults",
            [
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            results,
        ),
        # SSE-KMS objects: S3 asks KMS with the bucket (S3 Bucket Keys) or object ARN as
        # encryption context, so the keys are usable through S3 and for these buckets only.
        statement(
            "UseTheBucketKeysThroughS3",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            f"arn:aws:kms:{region}:{account_id}:key/*",
            condition={
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": sorted(
                        {bucket_arn(b) for b in buckets} | {f"{bucket_arn(b)}/*" for b in buckets}
                    )
                },
            },
        ),
        # The Data Catalog is encrypted with the caller's permissions (catalog_encryption.py).
        statement(
            "DecryptTheDataCatalog",
            ["kms:Decrypt"],
            f"arn:aws:kms:{region}:{account_id}:key/*",
            condition={
                "StringEquals": {"kms:ViaService": f"glue.{region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": access.catalog_key_alias},
            },
        ),
    )


@dataclass
class BusinessViewsArgs:
    environment: str
    account_id: str
    workgroup: pulumi.Input[str]
    database: str
    table: str
    # What the data source's role may reach; None keeps QuickSight's account-wide role.
    lake_access: LakeAccess | None = None
    served_models: Sequence[ServedModel] = field(default_factory=list)
    kpi_links: Sequence[KpiLink] = field(default_factory=list)
    # (database, table) of the model lifecycle archive, for the approvals and lineage dataset
    lifecycle_archive: tuple[str, str] | None = None
    viewers: Sequence[str] = field(default_factory=list)  # QuickSight user/group ARNs
    owners: Sequence[str] = field(default_factory=list)
    refresh_time: str = "03:00"
    # the Region of the data sets' ARNs the dashboards declare
    region: str = "eu-west-1"


def _permissions(args: BusinessViewsArgs, viewer: Sequence[str], owner: Sequence[str]):
    grants = [(p, owner) for p in sorted(set(args.owners))]
    grants += [(p, viewer) for p in sorted(set(args.viewers) - set(args.owners))]
    return grants


class BusinessViews(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: BusinessViewsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:business_views:BusinessViews", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"obsgov-{args.environment}"
        role_arn: pulumi.Output[str] | None = None
        role_ready: list[pulumi.Resource] = []
        if args.lake_access is not None:
            role, role_policy = service_role(
                f"{name}-athena-role",
                f"{name}-athena-policy",
                role_name=quicksight_role_name(args.environment),
                service="quicksight.amazonaws.com",
                condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                policy=quicksight_role_policy(args.account_id, args.lake_access),
                policy_name="query-the-lake",
                opts=child,
            )
            role_arn, role_ready = role.arn, [role_policy]
        source = aws.quicksight.DataSource(
            f"{name}-athena",
            data_source_id=f"{prefix}-metric-lake",
            name=f"{prefix} metric lake",
            aws_account_id=args.account_id,
            type="ATHENA",
            parameters=aws.quicksight.DataSourceParametersArgs(
                athena=aws.quicksight.DataSourceParametersAthenaArgs(
                    work_group=args.workgroup, role_arn=role_arn
                )
            ),
            ssl_properties=aws.quicksight.DataSourceSslPropertiesArgs(disable_ssl=False),
            permissions=[
                aws.quicksight.DataSourcePermissionArgs(principal=p, actions=list(a))
                for p, a in _permissions(args, VIEWER_SOURCE_ACTIONS, OWNER_SOURCE_ACTIONS)
            ],
            # QuickSight validates the source by querying as the role: its policy first
            opts=pulumi.ResourceOptions(parent=self, depends_on=role_ready),
        )
        self.dataset_ids = []
        made: dict[str, str] = {}
        resources: list[pulumi.Resource] = []
        chosen = datasets(args.database, args.table, args.served_models, args.kpi_links)
        if args.lifecycle_archive is not None:
            chosen.append(lineage_dataset(*args.lifecycle_archive))
        for dataset in chosen:
            dataset_id = f"{prefix}-{dataset.key}"
            resource = aws.quicksight.DataSet(
                f"{name}-{dataset.key}",
                data_set_id=dataset_id,
                name=f"{prefix} {dataset.title}",
                aws_account_id=args.account_id,
                import_mode="SPICE",
                physical_table_maps=[
                    aws.quicksight.DataSetPhysicalTableMapArgs(
                        physical_table_map_id=dataset.key.replace("-", "_")[:64],
                        custom_sql=aws.quicksight.DataSetPhysicalTableMapCustomSqlArgs(
                            data_source_arn=source.arn,
                            name=dataset.title,
                            sql_query=dataset.sql,
                            columns=[
                                aws.quicksight.DataSetPhysicalTableMapCustomSqlColumnArgs(
                                    name=c, type=t
                                )
                                for c, t in dataset.columns
                            ],
                        ),
                    )
                ],
                permissions=[
                    aws.quicksight.DataSetPermissionArgs(principal=p, actions=list(a))
                    for p, a in _permissions(args, VIEWER_DATASET_ACTIONS, OWNER_DATASET_ACTIONS)
                ],
                opts=child,
            )
            aws.quicksight.RefreshSchedule(
                f"{name}-{dataset.key}-refresh",
                aws_account_id=args.account_id,
                data_set_id=dataset_id,
                schedule_id=f"{dataset.key}-daily",
                schedule=aws.quicksight.RefreshScheduleScheduleArgs(
                    refresh_type="FULL_REFRESH",
                    schedule_frequency=aws.quicksight.RefreshScheduleScheduleScheduleFrequencyArgs(
                        interval="DAILY", time_of_the_day=args.refresh_time
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[resource]),
            )
            self.dataset_ids.append(dataset_id)
            made[dataset.key] = dataset_id
            resources.append(resource)
        dashboards = create_dashboards(
            self,
            name,
            DashboardsArgs(
                environment=args.environment,
                account_id=args.account_id,
                region=args.region,
                dataset_ids=made,
                viewers=args.viewers,
                owners=args.owners,
                depends_on=resources,
            ),
        )
        self.dashboard_ids = [d.dashboard_id for d in dashboards]
        self.register_outputs({"dataSetIds": self.dataset_ids, "dashboardIds": self.dashboard_ids})
