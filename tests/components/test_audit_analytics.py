"""Athena over the organization trail: the table's location and partition projection, the
workgroup's enforced encryption, and named queries that only use the table's real columns."""

from __future__ import annotations

import re

import pytest

from components.audit.audit_analytics import (
    CLOUDTRAIL_COLUMNS,
    NAMED_QUERIES,
    PARTITION_KEYS,
    query_sql,
)
from obsgov.graph import ResourceGraph

from ..support.caching import graph_scope
from .test_audit_support import (
    KEY_POLICY_ALLOWED,
    LOG_ARCHIVE,
    MANAGEMENT,
    OBSERVABILITY,
    ORG_ID,
    PROD_SETTINGS,
    REGION,
    by_sid,
    central_graph,
    lint,
    one,
    wildcard_principals,
)

ARCHIVE = "obsgov-prod-audit-archive-100000000003"
RESULTS = "obsgov-prod-athena-results-100000000003"
DATABASE = "obsgov_prod_audit"

# Words of the queries that are SQL, not column names.
SQL_WORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "as",
    "group",
    "by",
    "order",
    "desc",
    "asc",
    "limit",
    "count",
    "distinct",
    "max",
    "min",
    "interval",
    "day",
    "current_date",
    "date_format",
    "json_extract_scalar",
}


@pytest.fixture(scope=graph_scope)
def prod() -> ResourceGraph:
    return central_graph("prod", PROD_SETTINGS)


def parse_type(text: str):
    """A Hive type string as nested dicts (struct fields) or the scalar type's name."""

    def parse(i: int):
        match = re.match(r"(struct|array|map)<", text[i:])
        if not match:
            word = re.match(r"[a-z0-9_]+", text[i:])
            assert word is not None
            end = word.end()
            return text[i : i + end], i + end
        kind, i = match.group(1), i + match.end()
        if kind == "struct":
            fields = {}
            while True:
                name_end = text.index(":", i)
                fields[text[i:name_end]], i = parse(name_end + 1)
                if text[i] == ">":
                    return fields, i + 1
                i += 1  # the comma
        inner, i = parse(i)
        if kind == "map":
            _, i = parse(i + 1)
        return ("array", inner) if kind == "array" else ("map",), i + 1

    parsed, end = parse(0)
    assert end == len(text), text
    return parsed


COLUMNS = {name: parse_type(kind) for name, kind in (*CLOUDTRAIL_COLUMNS, *PARTITION_KEYS)}


def unknown_references(sql: str) -> list[str]:
    """Identifiers in ``sql`` that are neither SQL, aliases, nor a column (or a field path of a
    struct column) of the table."""
    body = re.sub(r"'[^']*'", "''", sql)
    body = re.sub(r'"[^"]*"\."[^"]*"', "", body)  # the qualified table name
    aliases = set(re.findall(r"\bAS\s+([a-z_][a-z0-9_]*)", body, re.IGNORECASE))
    bad = []
    for ref in re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", body):
        parts = ref.split(".")
        if parts[0].lower() in SQL_WORDS or parts[0] in aliases:
            continue
        node = COLUMNS.get(parts[0])
        for part in parts[1:]:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None or isinstance(node, dict):
            bad.append(ref)
    return bad


def test_the_column_check_rejects_a_misspelt_field_and_a_struct_used_as_a_value():
    assert unknown_references('SELECT useridentity.arnn FROM "d"."t"') == ["useridentity.arnn"]
    assert unknown_references('SELECT useridentity FROM "d"."t"') == ["useridentity"]
    assert unknown_references('SELECT eventnam AS x FROM "d"."t"') == ["eventnam"]
    assert (
        unknown_references('SELECT useridentity.sessioncontext.sessionissuer.arn FROM "d"."t"')
        == []
    )


@pytest.mark.parametrize("name", sorted(NAMED_QUERIES))
def test_named_queries_use_only_the_tables_columns_and_recent_partitions(name):
    sql = query_sql(name, DATABASE)
    assert f'FROM "{DATABASE}"."organization_trail"' in sql
    assert unknown_references(sql) == []
    # Every query prunes to recent days through the projected partition.
    assert "logdate >= date_format(current_date - interval '30' day, '%Y/%m/%d')" in sql


def test_the_three_audit_questions_filter_on_the_right_events():
    approvals = query_sql("model-approval-changes", DATABASE)
    assert "eventsource = 'sagemaker.amazonaws.com'" in approvals
    assert "eventname IN ('UpdateModelPackage', 'CreateModelPackage')" in approvals
    assert "json_extract_scalar(requestparameters, '$.modelApprovalStatus')" in approvals
    logins = query_sql("console-logins-without-mfa", DATABASE)
    assert "eventname = 'ConsoleLogin'" in logins
    assert "json_extract_scalar(additionaleventdata, '$.MFAUsed') <> 'Yes'" in logins
    assert "GROUP BY account" in logins
    errors = query_sql("api-errors-by-principal", DATABASE)
    assert "errorcode IS NOT NULL" in errors
    assert "GROUP BY useridentity.arn, errorcode" in errors


def test_named_queries_are_in_the_workgroup_and_database(prod):
    workgroup = one(prod, "aws:athena/workgroup:Workgroup", "audit-analytics-prod-workgroup")
    database = one(
        prod, "aws:glue/catalogDatabase:CatalogDatabase", "audit-analytics-prod-database"
    )
    queries = prod.of_type("aws:athena/namedQuery:NamedQuery")
    assert sorted(q.inputs["name"] for q in queries) == sorted(NAMED_QUERIES)
    for query in queries:
        assert query.property_dependencies["workgroup"] == [workgroup.urn]
        assert query.property_dependencies["database"] == [database.urn]
        assert query.inputs["query"] == query_sql(query.inputs["name"], DATABASE)
        assert query.account == LOG_ARCHIVE


def test_table_reads_the_organization_trail_path_with_projection(prod):
    table = one(prod, "aws:glue/catalogTable:CatalogTable", "audit-analytics-prod-table")
    props = table.inputs
    assert table.account == LOG_ARCHIVE
    assert props["name"] == "organization_trail"
    assert props["tableType"] == "EXTERNAL_TABLE"
    storage = props["storageDescriptor"]
    assert storage["location"] == f"s3://{ARCHIVE}/AWSLogs/{ORG_ID}/"
    assert storage["inputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert storage["outputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert storage["serDeInfo"] == {
        "serializationLibrary": "org.apache.hive.hcatalog.data.JsonSerDe"
    }
    assert [c["name"] for c in storage["columns"]] == [n for n, _ in CLOUDTRAIL_COLUMNS]
    assert props["partitionKeys"] == [
        {"name": "account", "type": "string"},
        {"name": "region", "type": "string"},
        {"name": "logdate", "type": "string"},
    ]
    params = props["parameters"]
    # Athena's CloudTrail SerDe tables are classified "cloudtrail", as its CREATE TABLE does
    assert (params["EXTERNAL"], params["classification"]) == ("TRUE", "cloudtrail")
    assert params["projection.enabled"] == "true"
    accounts = params["projection.account.values"].split(",")
    assert {MANAGEMENT, OBSERVABILITY, LOG_ARCHIVE, "200000000001", "400000000003"} <= set(accounts)
    assert params["projection.region.values"] == f"{REGION},us-east-1"
    assert (
        params["projection.logdate.type"],
        params["projection.logdate.format"],
        params["projection.logdate.range"],
        params["projection.logdate.interval"],
        params["projection.logdate.interval.unit"],
        # the archive moves logs to DEEP_ARCHIVE after 365 days, which Athena cannot read: the
        # table projects the last 364 days (test_audit_trail_table.py)
    ) == ("date", "yyyy/MM/dd", "NOW-364DAYS,NOW", "1", "DAYS")
    # CloudTrail writes bucket/AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/.
    filled = (
        params["storage.location.template"]
        .replace("${account}", "200000000001")
        .replace("${region}", REGION)
        .replace("${logdate}", "2026/11/27")
    )
    assert filled == f"s3://{ARCHIVE}/AWSLogs/{ORG_ID}/200000000001/CloudTrail/{REGION}/2026/11/27"


def test_workgroup_enforces_kms_encrypted_results_in_the_hardened_bucket(prod):
    workgroup = one(prod, "aws:athena/workgroup:Workgroup", "audit-analytics-prod-workgroup")
    config = workgroup.inputs["configuration"]
    assert workgroup.inputs["name"] == "obsgov-prod-audit"
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["bytesScannedCutoffPerQuery"] == 10 * 1024**3
    result = config["resultConfiguration"]
    assert result["outputLocation"] == f"s3://{RESULTS}/"
    assert result["expectedBucketOwner"] == LOG_ARCHIVE
    assert result["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"
    key = one(prod, "aws:kms/key:Key", "audit-analytics-prod-key")
    assert workgroup.property_dependencies["configuration"] == [key.urn]


@pytest.fixture(scope=graph_scope)
def applied() -> ResourceGraph:
    """As after `pulumi up`: the mocks give the key an ARN."""
    return central_graph("prod", PROD_SETTINGS, preview=False)


def test_workgroup_encrypts_results_with_its_own_key(applied):
    workgroup = one(applied, "aws:athena/workgroup:Workgroup", "audit-analytics-prod-workgroup")
    key = one(applied, "aws:kms/key:Key", "audit-analytics-prod-key")
    assert key.outputs["arn"].startswith(f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/")
    assert workgroup.inputs["configuration"]["resultConfiguration"]["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": key.outputs["arn"],
    }


def test_database_and_named_queries_say_what_they_hold(prod):
    database = one(
        prod, "aws:glue/catalogDatabase:CatalogDatabase", "audit-analytics-prod-database"
    )
    assert database.inputs["description"] == "obsgov audit: the organization trail"
    queries = {q.inputs["name"]: q.inputs for q in prod.of_type("aws:athena/namedQuery:NamedQuery")}
    assert {name: q["description"] for name, q in queries.items()} == {
        name: NAMED_QUERIES[name][0] for name in NAMED_QUERIES
    }
    assert all(NAMED_QUERIES[name][0] for name in NAMED_QUERIES)


def test_results_key_is_for_the_configured_readers_only(prod):
    key = one(prod, "aws:kms/key:Key", "audit-analytics-prod-key")
    assert key.inputs["enableKeyRotation"] is True
    policy = key.inputs["policy"]
    assert by_sid(policy)["ReadersUseKey"] == {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{LOG_ARCHIVE}:role/obsgov-auditor"]},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
    }
    assert lint(policy, allowed=KEY_POLICY_ALLOWED) == []
    assert wildcard_principals(policy) == []


def test_without_trail_there_is_no_archive_and_no_analytics():
    graph = central_graph("dev", {"trail": {"enabled": False}, "analytics": {"enabled": False}})
    assert graph.of_type("aws:cloudtrail/trail:Trail") == []
    assert graph.of_type("aws:glue/catalogTable:CatalogTable") == []
    assert graph.of_type("aws:s3/bucket:Bucket") == []
    assert len(graph.of_type("aws:sns/topic:Topic")) == 3  # the severity topics remain
