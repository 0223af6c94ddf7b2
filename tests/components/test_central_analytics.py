"""The observability account's analytics half under the Pulumi mocks: OpenSearch log analytics,
the metric lake, QuickSight datasets and the cross-account dashboards."""

from __future__ import annotations

import json
import re
import textwrap

import jsonschema
import pytest

from components.central.metric_lake import TABLE_COLUMNS
from components.views import business_views, ops_dashboards
from obsgov.config.loader import load_environment
from obsgov.graph import UNKNOWN
from obsgov.synth import synthesize

from ..conftest import STACKS
from ..support.caching import graph_scope

ORG = "o-k7x2m9p4q1"
OBS = "100000000002"
MEMBERS = ["400000000001", "400000000002"]

PROGRAM = textwrap.dedent(f'''
    import pulumi, pulumi_aws as aws
    from components.central.log_analytics import LogAnalytics, LogAnalyticsArgs
    from components.central.metric_lake import MetricLake, MetricLakeArgs
    from components.views.business_views import BusinessViews, BusinessViewsArgs, ServedModel, KpiLink

    provider = aws.Provider("observability", region="eu-west-1", allowed_account_ids=["{OBS}"],
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::{OBS}:role/Deploy")])
    opts = pulumi.ResourceOptions(providers=[provider])
    LogAnalytics("logs-prod", LogAnalyticsArgs(
        environment="prod", account_id="{OBS}", region="eu-west-1", organization_id="{ORG}",
        member_account_ids={MEMBERS!r}, dedicated_master_count=3,
        admin_principals=["arn:aws:iam::{OBS}:role/PlatformAdmins"]), opts=opts)
    lake = MetricLake("lake-prod", MetricLakeArgs(environment="prod", account_id="{OBS}",
        region="eu-west-1", extra_namespaces=["Business/Payments"]), opts=opts)
    BusinessViews("views-prod", BusinessViewsArgs(
        environment="prod", account_id="{OBS}", workgroup=lake.workgroup.name,
        database=lake.database_name, table=lake.table_name,
        served_models=[ServedModel("400000000001", "fraud-scoring", "fraud", "7")],
        kpi_links=[KpiLink("400000000001", "approved-payments", "Business/Payments",
                           "ApprovedPayments", "fraud-scoring")],
        viewers=["arn:aws:quicksight:eu-west-1:{OBS}:group/default/viewers"],
        owners=["arn:aws:quicksight:eu-west-1:{OBS}:group/default/platform"]), opts=opts)
''')


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("analytics") / "program.py"
    path.write_text(PROGRAM)
    return synthesize(
        load_environment("prod", STACKS / "Pulumi.prod.yaml"), program=path, preview=True
    )


def of(graph, token):
    return [r.inputs for r in graph.of_type(token)]


def statements(document):
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


# --------------------------------------------------------------------------- OpenSearch


def test_domain_meets_security_hub_opensearch_controls(graph):
    [domain] = of(graph, "aws:opensearch/domain:Domain")
    assert domain["encryptAtRest"]["enabled"] is True
    assert "kmsKeyId" in domain["encryptAtRest"]  # .1
    assert domain["nodeToNodeEncryption"] == {"enabled": True}  # .3
    assert domain["domainEndpointOptions"] == {
        "enforceHttps": True,
        "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    }  # .8
    security = domain["advancedSecurityOptions"]  # .7, and no master password anywhere
    assert security["enabled"] is True
    assert security["internalUserDatabaseEnabled"] is False
    assert "masterUserPassword" not in json.dumps(domain)
    assert {o["logType"] for o in domain["logPublishingOptions"]} == {
        "AUDIT_LOGS",
        "ES_APPLICATION_LOGS",
    }  # .4 .5
    cluster = domain["clusterConfig"]  # .6 and .11
    assert cluster["instanceCount"] >= 3
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3}
    assert cluster["dedicatedMasterEnabled"] is True
    assert cluster["dedicatedMasterCount"] == 3
    assert domain["softwareUpdateOptions"] == {"autoSoftwareUpdateEnabled": True}  # .10
    access = statements(domain["accessPolicies"])["NamedPrincipalsOnly"]
    assert access["Principal"] == {
        "AWS": [
            f"arn:aws:iam::{OBS}:role/PlatformAdmins",
            f"arn:aws:iam::{OBS}:role/obsgov-prod-log-ingest-firehose",
            f"arn:aws:iam::{OBS}:role/obsgov-prod-opensearch-master",
        ]
    }
    assert access["Resource"] == f"arn:aws:es:eu-west-1:{OBS}:domain/obsgov-prod-logs/*"


def test_domain_logs_are_encrypted_kept_and_writable_only_by_this_domain(graph):
    groups = {g["name"]: g for g in of(graph, "aws:cloudwatch/logGroup:LogGroup")}
    for name in (
        "/aws/opensearch/obsgov-prod-logs/audit",
        "/aws/opensearch/obsgov-prod-logs/error",
    ):
        assert groups[name]["retentionInDays"] == 365
        assert groups[name]["kmsKeyId"]
    [policy] = of(graph, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    publish = statements(policy["policyDocument"])["OpenSearchPublishesLogs"]
    assert publish["Principal"] == {"Service": "es.amazonaws.com"}
    assert publish["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert publish["Condition"] == {
        "StringEquals": {"aws:SourceAccount": OBS},
        "ArnLike": {"aws:SourceArn": f"arn:aws:es:eu-west-1:{OBS}:domain/obsgov-prod-logs"},
    }


def test_the_key_serves_exactly_the_log_groups_the_component_creates(graph):
    """CloudWatch Logs may use the domain's key for its own log groups and no other; the log
    groups OpenSearch publishes to are exactly the domain's audit and error logs."""
    prefix = f"arn:aws:logs:eu-west-1:{OBS}:log-group:"
    created = sorted(
        prefix + r.inputs["name"]
        for r in graph.of_type("aws:cloudwatch/logGroup:LogGroup")
        if r.name.startswith("logs-prod-")
    )
    [key] = [r.inputs for r in graph.of_type("aws:kms/key:Key") if r.name == "logs-prod-key"]
    logs = statements(key["policy"])["CloudWatchLogsEncrypt"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert sorted(logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]) == created
    assert created == [
        prefix + "/aws/kinesisfirehose/obsgov-prod-log-ingest",
        prefix + "/aws/opensearch/obsgov-prod-logs/audit",
        prefix + "/aws/opensearch/obsgov-prod-logs/error",
    ]
    [policy] = of(graph, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert statements(policy["policyDocument"])["OpenSearchPublishesLogs"]["Resource"] == [
        prefix + "/aws/opensearch/obsgov-prod-logs/audit:*",
        prefix + "/aws/opensearch/obsgov-prod-logs/error:*",
    ]


def test_destination_admits_only_the_environments_accounts(graph):
    """The access policy names the accounts that may subscribe (CloudWatch Logs user guide,
    "Cross-account cross-Region subscriptions", step "Create a destination":
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html): the
    environment's members and this account, not every account of the organization."""
    [policy] = of(graph, "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy")
    statement = statements(policy["accessPolicy"])["RegisteredAccountsSubscribe"]
    assert statement["Principal"] == {
        "AWS": [f"arn:aws:iam::{a}:root" for a in sorted([OBS, *MEMBERS])]
    }
    assert statement["Action"] == "logs:PutSubscriptionFilter"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": [ORG]}}
    roles = {r["name"]: r for r in of(graph, "aws:iam/role:Role")}
    trust = json.loads(roles["obsgov-prod-log-destination"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringLike": {
            "aws:SourceArn": [
                f"arn:aws:logs:eu-west-1:{OBS}:*",
                *(f"arn:aws:logs:eu-west-1:{a}:*" for a in MEMBERS),
            ]
        }
    }


def test_ingestion_roles_are_limited_to_named_resources(graph):
    known = [
        p["policy"] for p in of(graph, "aws:iam/rolePolicy:RolePolicy") if p["policy"] != UNKNOWN
    ]
    policies = {json.loads(p)["Statement"][0]["Sid"]: p for p in known}
    forward = statements(policies["ForwardToFirehose"])["ForwardToFirehose"]
    assert (
        forward["Resource"]
        == f"arn:aws:firehose:eu-west-1:{OBS}:deliverystream/obsgov-prod-log-ingest"
    )
    firehose = statements(policies["DescribeDomain"])
    assert (
        firehose["DescribeDomain"]["Resource"]
        == f"arn:aws:es:eu-west-1:{OBS}:domain/obsgov-prod-logs"
    )
    assert all(
        r.startswith(f"arn:aws:es:eu-west-1:{OBS}:domain/obsgov-prod-logs/")
        for r in firehose["IndexDocuments"]["Resource"]
    )
    assert firehose["BackUpFailedDocuments"]["Resource"] == [
        f"arn:aws:s3:::obsgov-prod-log-ingest-failed-{OBS}",
        f"arn:aws:s3:::obsgov-prod-log-ingest-failed-{OBS}/*",
    ]
    for document in policies.values():
        for s in json.loads(document)["Statement"]:
            assert "*" not in s["Action"], s
            assert s["Resource"] != "*", s


def test_firehose_to_opensearch_is_encrypted_backs_up_failures_and_logs_errors(graph):
    streams = {
        s["name"]: s for s in of(graph, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    }
    stream = streams["obsgov-prod-log-ingest"]
    assert stream["serverSideEncryption"]["keyType"] == "CUSTOMER_MANAGED_CMK"
    config = stream["opensearchConfiguration"]
    assert config["s3BackupMode"] == "FailedDocumentsOnly"
    assert config["cloudwatchLoggingOptions"]["enabled"] is True
    assert config["s3Configuration"]["kmsKeyArn"]


def test_firehose_writes_one_opensearch_index_per_day(graph):
    # Firehose names the rotation periods NoRotation, OneHour, OneDay, OneWeek, OneMonth
    [stream] = [
        s
        for s in of(graph, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        if "opensearchConfiguration" in s
    ]
    config = stream["opensearchConfiguration"]
    assert config["indexName"] == "obsgov-logs"
    assert config["indexRotationPeriod"] == "OneDay"


# --------------------------------------------------------------------------- metric lake


def test_metric_stream_carries_linked_accounts_platform_namespaces(graph):
    [stream] = of(graph, "aws:cloudwatch/metricStream:MetricStream")
    assert stream["includeLinkedAccountsMetrics"] is True
    assert stream["outputFormat"] == "json"
    assert [f["namespace"] for f in stream["includeFilters"]] == sorted(
        [
            "/aws/sagemaker/Endpoints",
            "AWS/Lambda",
            "AWS/SageMaker",
            "AWS/States",
            "Business/Payments",
            "Glue",
            "Obsgov/DataQuality",
            "Obsgov/ModelQuality",
            "Obsgov/Pipelines",
        ]
    )
    roles = {r["name"]: r for r in of(graph, "aws:iam/role:Role")}
    trust = json.loads(roles["obsgov-prod-metric-stream"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "streams.metrics.cloudwatch.amazonaws.com"}


def test_lake_table_projects_dates_and_workgroup_enforces_encryption(graph):
    [table] = of(graph, "aws:glue/catalogTable:CatalogTable")
    assert table["parameters"]["projection.enabled"] == "true"
    assert table["parameters"]["storage.location.template"] == (
        f"s3://obsgov-prod-metric-lake-{OBS}/metrics/${{dt}}/"
    )
    assert [k["name"] for k in table["partitionKeys"]] == ["dt"]
    assert [c["name"] for c in table["storageDescriptor"]["columns"]] == [
        c for c, _ in TABLE_COLUMNS
    ]
    [workgroup] = of(graph, "aws:athena/workgroup:Workgroup")
    config = workgroup["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["resultConfiguration"]["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"
    delivery = {
        s["name"]: s for s in of(graph, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    }
    assert delivery["obsgov-prod-metric-lake"]["extendedS3Configuration"]["prefix"] == (
        "metrics/!{timestamp:yyyy/MM/dd}/"
    )


def test_lake_table_reads_json_lines_with_the_openx_serde(graph):
    from components.central.metric_lake import table_parameters

    [table] = of(graph, "aws:glue/catalogTable:CatalogTable")
    bucket = f"obsgov-prod-metric-lake-{OBS}"
    assert table["parameters"] == table_parameters(bucket)
    assert table_parameters(bucket) == {
        "classification": "json",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy/MM/dd",
        "projection.dt.range": "2024/01/01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": f"s3://{bucket}/metrics/${{dt}}/",
    }
    descriptor = {k: v for k, v in table["storageDescriptor"].items() if k != "columns"}
    assert descriptor == {
        "location": f"s3://{bucket}/metrics/",
        "inputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "outputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "serDeInfo": {"serializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
    }


def test_the_stream_prefix_and_the_projection_template_agree():
    from components.central.metric_lake import METRICS_PREFIX, table_parameters

    template = table_parameters("b")["storage.location.template"]
    assert template == f"s3://b/{METRICS_PREFIX}${{dt}}/"
    assert table_parameters("b")["projection.dt.format"] == "yyyy/MM/dd"


# --------------------------------------------------------------------------- QuickSight


def test_quicksight_source_uses_ssl_and_grants_by_role(graph):
    [source] = of(graph, "aws:quicksight/dataSource:DataSource")
    assert source["type"] == "ATHENA"
    assert source["sslProperties"] == {"disableSsl": False}
    grants = {p["principal"]: set(p["actions"]) for p in source["permissions"]}
    viewer = f"arn:aws:quicksight:eu-west-1:{OBS}:group/default/viewers"
    owner = f"arn:aws:quicksight:eu-west-1:{OBS}:group/default/platform"
    assert grants[viewer] == set(business_views.VIEWER_SOURCE_ACTIONS)
    assert "quicksight:UpdateDataSourcePermissions" in grants[owner]
    datasets = of(graph, "aws:quicksight/dataSet:DataSet")
    assert {d["dataSetId"] for d in datasets} == {
        "obsgov-prod-endpoint-health",
        "obsgov-prod-pipeline-health",
        "obsgov-prod-business-kpis",
        "obsgov-prod-model-performance-vs-kpis",
    }
    for dataset in datasets:
        assert dataset["importMode"] == "SPICE"
        grants = {p["principal"]: set(p["actions"]) for p in dataset["permissions"]}
        assert grants[viewer] == set(business_views.VIEWER_DATASET_ACTIONS)
    assert len(of(graph, "aws:quicksight/refreshSchedule:RefreshSchedule")) == 4


def test_each_dataset_runs_its_own_sql_with_its_declared_columns(graph):
    served = [business_views.ServedModel("400000000001", "fraud-scoring", "fraud", "7")]
    links = [
        business_views.KpiLink(
            "400000000001",
            "approved-payments",
            "Business/Payments",
            "ApprovedPayments",
            "fraud-scoring",
        )
    ]
    expected = {
        f"obsgov-prod-{d.key}": d
        for d in business_views.datasets("obsgov_prod_metrics", "platform_metrics", served, links)
    }
    datasets = {d["dataSetId"]: d for d in of(graph, "aws:quicksight/dataSet:DataSet")}
    assert datasets.keys() == expected.keys()
    for dataset_id, dataset in datasets.items():
        want = expected[dataset_id]
        [table_map] = dataset["physicalTableMaps"]
        assert table_map["physicalTableMapId"] == want.key.replace("-", "_")
        sql = table_map["customSql"]
        assert sql["name"] == want.title
        assert sql["sqlQuery"] == want.sql
        assert [(c["name"], c["type"]) for c in sql["columns"]] == list(want.columns)


def _top_level(select_list: str) -> list[str]:
    """Split a SELECT list at commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in select_list:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def test_dataset_sql_reads_only_real_lake_columns_and_declares_its_output():
    real = {c for c, _ in TABLE_COLUMNS} | {"dt"}  # and the table's day partition
    served = [business_views.ServedModel("4", "fraud-scoring", "fraud", "7")]
    links = [business_views.KpiLink("4", "payments", "Biz", "Payments", "fraud-scoring")]
    for dataset in business_views.datasets("db", "platform_metrics", served, links):
        used = set(re.findall(r"\bm\.([a-z_]+)", dataset.sql)) | set(
            re.findall(r"\b([a-z_]+)(?:\[|\.(?:sum|max|count|min)\b)", dataset.sql)
        )
        assert used - {"m"} <= real, (dataset.key, used - real)
        select = dataset.sql.split(" FROM ")[0]
        aliases = [
            part.rsplit(" AS ", 1)[-1].split(".")[-1].strip()
            for part in _top_level(select[len("SELECT ") :])
        ]
        assert aliases == [c for c, _ in dataset.columns], dataset.key
    assert "'fraud-scoring'" in business_views.datasets("d", "t", served, links)[0].sql
    assert "VALUES ('', '', '', '')" in business_views.datasets("d", "t", [], [])[0].sql


# --------------------------------------------------------------------------- dashboards

# The documented dashboard body structure, for the widget types obsgov emits.
DASHBOARD_SCHEMA = {
    "type": "object",
    "required": ["widgets"],
    "properties": {
        "start": {"type": "string"},
        "periodOverride": {"enum": ["auto", "inherit"]},
        "widgets": {
            "type": "array",
            "maxItems": 500,
            "items": {
                "type": "object",
                "required": ["type", "properties"],
                "properties": {
                    "type": {"enum": ["metric", "text", "log", "alarm", "explorer"]},
                    "x": {"type": "integer", "minimum": 0, "maximum": 23},
                    "y": {"type": "integer", "minimum": 0},
                    "width": {"type": "integer", "minimum": 1, "maximum": 24},
                    "height": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "properties": {"type": "object"},
                },
                "allOf": [
                    {
                        "if": {"properties": {"type": {"const": "metric"}}},
                        "then": {
                            "properties": {
                                "properties": {
                                    "required": ["metrics", "region"],
                                    "properties": {
                                        "metrics": {
                                            "type": "array",
                                            "maxItems": 500,
                                            "items": {"type": "array", "minItems": 1},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    {
                        "if": {"properties": {"type": {"const": "alarm"}}},
                        "then": {
                            "properties": {
                                "properties": {
                                    "required": ["alarms"],
                                    "properties": {"alarms": {"type": "array", "maxItems": 100}},
                                }
                            }
                        },
                    },
                ],
            },
        },
    },
}
METRIC_OPTIONS = {
    "accountId",
    "color",
    "expression",
    "id",
    "label",
    "period",
    "region",
    "stat",
    "visible",
    "yAxis",
}


def _spec(accounts: int) -> ops_dashboards.DashboardSpec:
    ids = [f"4{i:011d}" for i in range(accounts)]
    return ops_dashboards.DashboardSpec(
        environment="prod",
        region="eu-west-1",
        panels=[
            *(ops_dashboards.EndpointPanel(a, f"scoring-{i}") for i, a in enumerate(ids)),
            *(
                ops_dashboards.PipelinePanel(
                    a, f"etl-{i}", ("glue", "step-functions", "lambda")[i % 3]
                )
                for i, a in enumerate(ids)
            ),
            *(
                ops_dashboards.KpiPanel(
                    a,
                    f"kpi-{i}",
                    "Business/Payments",
                    "Approved",
                    "Sum",
                    (("Market", "EU"),),
                    f"scoring-{i}",
                )
                for i, a in enumerate(ids)
            ),
        ],
        alarm_arns=[
            f"arn:aws:cloudwatch:eu-west-1:{a}:alarm:prod-{a}-scoring-latency" for a in ids
        ],
    )


def _check_body(body):
    jsonschema.Draft7Validator(DASHBOARD_SCHEMA).validate(body)
    metrics = 0
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        for row in widget["properties"].get("metrics", []):
            options = row[-1] if isinstance(row[-1], dict) else {}
            assert set(options) <= METRIC_OPTIONS, options
            if "expression" not in options:
                strings = row[:-1] if options else row
                assert all(isinstance(s, str) for s in strings)
                assert len(strings) % 2 == 0
                assert options.get("accountId"), (
                    row
                )  # cross-account: every metric names its account
            metrics += 1
    assert metrics <= ops_dashboards.MAX_METRICS_PER_DASHBOARD
    assert len(json.dumps(body)) < 1_000_000


def test_dashboard_widgets_reference_each_metrics_source_account():
    [body] = ops_dashboards.dashboard_bodies(_spec(2))
    _check_body(body)
    latency = body["widgets"][1]["properties"]["metrics"]
    assert latency[0] == [
        "AWS/SageMaker",
        "ModelLatency",
        "EndpointName",
        "scoring-0",
        "VariantName",
        "AllTraffic",
        {"accountId": "400000000000", "stat": "p50", "label": "p50"},
    ]
    band = body["widgets"][3]["properties"]["metrics"][1][0]
    assert band == {"expression": "ANOMALY_DETECTION_BAND(m1, 2)", "label": "expected", "id": "ad1"}
    assert body["widgets"][0]["type"] == "alarm"
    assert body["widgets"][0]["properties"]["states"] == ["ALARM"]


def _math(widget):
    """A metric widget's ids and its expressions."""
    ids, expressions = [], []
    for row in widget["properties"]["metrics"]:
        options = row[-1]
        if "id" in options:
            ids.append(options["id"])
        if "expression" in options:
            expressions.append(options)
    return ids, expressions


def test_metric_math_ids_are_valid_and_each_expression_reads_defined_ids():
    # CloudWatch: an id starts with a lowercase letter; an expression names ids of the graph
    widgets = ops_dashboards.endpoint_widgets(
        ops_dashboards.EndpointPanel("400000000001", "scoring"), "eu-west-1", 2
    ) + ops_dashboards.kpi_widgets(
        ops_dashboards.KpiPanel("400000000003", "loans", "Biz", "Loans", "Sum"), "eu-west-1", 2
    )
    for widget in widgets:
        ids, expressions = _math(widget)
        for id_ in ids:
            assert re.fullmatch(r"[a-z][a-zA-Z0-9_]*", id_), id_
        for expression in expressions:
            named = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", expression["expression"]))
            assert named, expression
            assert named <= set(ids), expression
    errors = widgets[1]
    ids, expressions = _math(errors)
    assert ids == ["e4", "e5", "calls", "r4", "r5"]
    assert expressions == [
        {"expression": "IF(calls > 0, 100 * e4 / calls, 0)", "label": "4XX %", "id": "r4"},
        {"expression": "IF(calls > 0, 100 * e5 / calls, 0)", "label": "5XX %", "id": "r5"},
    ]
    kpi = widgets[3]
    assert _math(kpi) == (
        ["m1", "ad1"],
        [{"expression": "ANOMALY_DETECTION_BAND(m1, 2)", "label": "expected", "id": "ad1"}],
    )


def test_dashboards_split_under_cloudwatch_limits_at_100_accounts():
    bodies = ops_dashboards.dashboard_bodies(_spec(100))
    assert len(bodies) >= 2
    widgets = sum(len(b["widgets"]) for b in bodies)
    assert widgets == 1 + 100 * 3 + 100 * 2 + 100  # alarm widget + endpoint, pipeline, KPI panels
    for body in bodies:
        _check_body(body)


def test_the_dashboard_component_names_each_split(tmp_path):
    program = tmp_path / "dash.py"
    program.write_text(
        textwrap.dedent("""
        import pulumi
        from components.views.ops_dashboards import OperationsDashboards, OperationsDashboardsArgs
        from tests.components.test_central_analytics import _spec
        OperationsDashboards("dash-prod", OperationsDashboardsArgs(spec=_spec(100)))
    """)
    )
    graph = synthesize(load_environment("prod", STACKS / "Pulumi.prod.yaml"), program=program)
    names = sorted(d["dashboardName"] for d in of(graph, "aws:cloudwatch/dashboard:Dashboard"))
    assert names[0] == "obsgov-prod-operations-1"
    assert len(names) >= 2
    for dashboard in of(graph, "aws:cloudwatch/dashboard:Dashboard"):
        _check_body(json.loads(dashboard["dashboardBody"]))
