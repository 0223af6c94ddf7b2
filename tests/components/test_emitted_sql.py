"""Every SQL string the program emits is valid for Athena engine v3 (Trino's grammar).

Athena engine version 3 is built on Trino (Athena user guide, "Athena engine version 3"), so
each statement is parsed by sqlglot's ``trino`` dialect. The statements are not listed by hand:
the test walks every input of every resource in the synthesized graphs of dev, staging and prod
(JSON-encoded inputs too, such as state machine definitions) and takes every string under a key
that carries SQL or that reads as a statement. A new data set, named query, view or prepared
statement cannot escape it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot
from sqlglot.errors import ParseError

from components.audit.audit_analytics import NAMED_QUERIES, query_sql
from components.views.business_views import KpiLink, ServedModel, datasets
from obsgov.graph import UNKNOWN, ResourceGraph, plain

STACKS = ("dev", "staging", "prod")
# Input keys whose string value is SQL, in the providers' camelCase wire names:
# QuickSight custom SQL, Athena named queries and prepared statements, Glue views, Step
# Functions' Athena task parameters.
SQL_KEYS = {
    "sqlQuery",
    "query",
    "queryStatement",
    "queryString",
    "QueryString",
    "viewOriginalText",
    "viewExpandedText",
    "sql",
}
# Query languages that are not SQL, under the same key names (CloudWatch Logs Insights).
NOT_SQL_TYPES = {"aws:cloudwatch/queryDefinition:QueryDefinition"}
_LOOKS_LIKE_SQL = re.compile(r"^\s*(SELECT|WITH|CREATE|INSERT|MERGE|DELETE|UPDATE)\b", re.I)


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and value != UNKNOWN:
        text = value.strip()
        if text[:1] in "{[":
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict | list):
                yield from _strings(decoded, key)
                return
        yield key, value


def emitted_sql(graph: ResourceGraph) -> list[tuple[str, str, str]]:
    """(resource name, input key, SQL) for every SQL string in the graph's inputs."""
    found = []
    for resource in graph:
        if resource.type in NOT_SQL_TYPES:
            continue
        for key, text in _strings(plain(resource.inputs)):
            if key in SQL_KEYS or _LOOKS_LIKE_SQL.match(text):
                found.append((resource.name, key, text))
    return found


def parse_errors(sql: str) -> str | None:
    try:
        statements = sqlglot.parse(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as exc:
        return str(exc)
    if len([s for s in statements if s is not None]) != 1:
        return f"{len(statements)} statements where one was expected"
    return None


@pytest.mark.parametrize("stack", STACKS)
def test_every_sql_string_in_the_graph_parses_as_athena_engine_v3(example_graph, stack):
    found = emitted_sql(example_graph(stack, True))
    # the walk must find the SQL it is there to check (datasets, named queries)
    assert len(found) >= 4, found
    failures = [
        f"{name}.{key}: {error}"
        for name, key, sql in found
        if (error := parse_errors(sql)) is not None
    ]
    assert failures == []


def test_prod_emits_the_datasets_and_the_audit_queries(example_graph):
    """What the walk covers in prod, by resource: nothing of it is silently missed."""
    names = {name for name, _, _ in emitted_sql(example_graph("prod", True))}
    assert {
        "business-views-prod-endpoint-health",
        "business-views-prod-pipeline-health",
        "business-views-prod-business-kpis",
        "business-views-prod-model-performance-vs-kpis",
        "business-views-prod-model-approvals-lineage",
        "audit-analytics-prod-model-approval-changes",
        "audit-analytics-prod-console-logins-without-mfa",
        "audit-analytics-prod-api-errors-by-principal",
    } <= names


def test_a_values_table_has_one_alias_with_its_columns():
    """``JOIN (VALUES ...) AS t(cols) k`` names the table twice: Trino's grammar (and so Athena)
    refuses it; the table is ``AS k(cols)``."""
    for dataset in datasets(
        "db",
        "tbl",
        [ServedModel("111111111111", "churn", "churn-model", "3")],
        [KpiLink("111111111111", "revenue", "Biz", "Revenue", "churn")],
    ):
        assert parse_errors(dataset.sql) is None, dataset.key


def test_an_empty_registry_still_yields_valid_sql():
    for dataset in datasets("db", "tbl", [], []):
        assert parse_errors(dataset.sql) is None, dataset.key


def test_the_parser_refuses_what_athena_refuses():
    """The check can fail: the old double alias and a truncated statement are errors."""
    assert parse_errors("SELECT 1 FROM (VALUES (1)) AS t(a) k") is not None
    assert parse_errors("SELECT a FROM") is not None
    assert parse_errors("SELECT 1; SELECT 2") is not None


def _filters_partition(sql: str, table: str, partition_key: str) -> bool:
    """Whether the WHERE clause of the query that reads ``table`` bounds ``partition_key`` of
    that table (by its alias, or unqualified when it is the only table)."""
    tree = sqlglot.parse_one(sql, read="trino")
    for select in tree.find_all(sqlglot.exp.Select):
        sources = [t for t in select.find_all(sqlglot.exp.Table) if t.name == table]
        where = select.args.get("where")
        if not sources or where is None:
            continue
        names = {sources[0].alias_or_name, ""}
        for comparison in where.find_all(sqlglot.exp.GTE, sqlglot.exp.GT, sqlglot.exp.EQ):
            column = comparison.left
            if (
                isinstance(column, sqlglot.exp.Column)
                and column.name == partition_key
                and column.table in names
            ):
                return True
    return False


def test_every_data_set_over_the_lake_reads_only_recent_days():
    """Without a predicate on the lake's day partition (``dt``) a SPICE refresh scans the
    whole lake, and in time exceeds the workgroup's per-query scan limit (Athena user guide,
    "Partition projection": Athena reads only the partitions the predicates select)."""
    for dataset in datasets(
        "db",
        "platform_metrics",
        [ServedModel("1", "e", "m", "v")],
        [KpiLink("1", "k", "n", "m", "")],
    ):
        assert _filters_partition(dataset.sql, "platform_metrics", "dt"), dataset.key


def test_every_audit_query_reads_only_recent_days():
    for name in NAMED_QUERIES:
        assert _filters_partition(query_sql(name, "db"), "organization_trail", "logdate"), name


def test_the_partition_check_can_fail():
    assert not _filters_partition("SELECT a FROM t WHERE b >= 1", "t", "dt")
    assert not _filters_partition("SELECT a FROM t", "t", "dt")
    assert _filters_partition("SELECT a FROM t x WHERE x.dt >= '2026/01/01'", "t", "dt")
