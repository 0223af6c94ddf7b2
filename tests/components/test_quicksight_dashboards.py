"""The QuickSight dashboards and analyses: what they declare exists, what they chart is there.

A dashboard's definition declares every data set it uses in ``DataSetIdentifierDeclarations``
(identifier -> data set ARN), and every visual names its columns as ``{DataSetIdentifier,
ColumnName}`` (QuickSight API reference, DashboardVersionDefinition and ColumnIdentifier:
https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DashboardVersionDefinition.html,
https://docs.aws.amazon.com/quicksight/latest/APIReference/API_ColumnIdentifier.html); an
identifier that is not declared, a data set that does not exist or a column the data set does
not output makes CreateDashboard fail or the visual empty. The data set's output columns are
read from its custom SQL with a real parser for Athena's engine (sqlglot, dialect trino).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot
from pulumi_aws_native.quicksight import _enums, _inputs

from components.views.quicksight_dashboards import (
    OWNER_ANALYSIS_ACTIONS,
    OWNER_DASHBOARD_ACTIONS,
    VIEWER_DASHBOARD_ACTIONS,
    dashboard_plans,
    definition,
)
from obsgov.graph import ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

STACKS = ("dev", "staging", "prod")
DASHBOARD = "aws-native:quicksight:Dashboard"
ANALYSIS = "aws-native:quicksight:Analysis"
DATASET = "aws:quicksight/dataSet:DataSet"
FOUR = {"model-performance", "endpoint-health", "pipeline-health", "approvals-lineage"}
REGION = "eu-west-1"
OBSERVABILITY = "100000000002"


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _used_identifiers(body: dict[str, Any]) -> set[str]:
    """Every data set identifier a sheet names (visuals, columns, filters)."""
    return {
        node["dataSetIdentifier"]
        for sheet in body.get("sheets", [])
        for node in _walk(sheet)
        if isinstance(node.get("dataSetIdentifier"), str)
    }


def _used_columns(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (node["dataSetIdentifier"], node["columnName"])
        for node in _walk(body)
        if "columnName" in node and "dataSetIdentifier" in node
    }


def _datasets_by_arn(graph: ResourceGraph) -> dict[str, Any]:
    """Each data set the graph creates, by its ARN (``dataset/<DataSetId>`` in its account and
    Region: the Service Authorization Reference's resource ARN for QuickSight data sets)."""
    return {
        f"arn:aws:quicksight:{d.region}:{d.inputs['awsAccountId']}:dataset/{d.inputs['dataSetId']}": d
        for d in graph.of_type(DATASET)
    }


def _output_columns(dataset: Any) -> set[str]:
    (table,) = dataset.inputs["physicalTableMaps"]
    sql = table["customSql"]["sqlQuery"]
    statement = sqlglot.parse_one(sql, read="trino")
    assert isinstance(statement, sqlglot.exp.Query)
    return set(statement.named_selects)


def _assets(graph: ResourceGraph) -> list[Any]:
    return [*graph.of_type(DASHBOARD), *graph.of_type(ANALYSIS)]


@pytest.mark.parametrize("stack", STACKS)
def test_the_four_dashboards_exist_in_every_environment(example_graph, stack):
    graph = example_graph(stack, True)
    ids = {d.inputs["dashboardId"] for d in graph.of_type(DASHBOARD)}
    assert ids == {f"obsgov-{stack}-{key}" for key in FOUR}


@pytest.mark.parametrize("stack", STACKS)
def test_every_visual_uses_a_declared_data_set_the_graph_creates(example_graph, stack):
    graph = example_graph(stack, True)
    created = _datasets_by_arn(graph)
    assert _assets(graph)
    for asset in _assets(graph):
        body = asset.inputs["definition"]
        declared = {d["identifier"]: d["dataSetArn"] for d in body["dataSetIdentifierDeclarations"]}
        assert _used_identifiers(body) <= set(declared), asset.name
        assert set(declared) <= _used_identifiers(body), f"{asset.name} declares unused sets"
        for identifier, arn in declared.items():
            assert arn in created, f"{asset.name}: {identifier} -> {arn} is not created"
            # created first: CreateDashboard validates the definition against the data sets
            assert created[arn].urn in asset.dependencies, asset.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_column_a_visual_uses_is_an_output_of_its_data_set(example_graph, stack):
    graph = example_graph(stack, True)
    created = _datasets_by_arn(graph)
    for asset in _assets(graph):
        body = asset.inputs["definition"]
        declared = {d["identifier"]: d["dataSetArn"] for d in body["dataSetIdentifierDeclarations"]}
        for identifier, column in sorted(_used_columns(body)):
            dataset = created[declared[identifier]]
            (table,) = dataset.inputs["physicalTableMaps"]
            typed = {c["name"] for c in table["customSql"]["columns"]}
            assert column in _output_columns(dataset), f"{asset.name}: {identifier}.{column}"
            assert column in typed, f"{asset.name}: {identifier}.{column} has no declared type"


def _build(cls: type, value: dict[str, Any], path: str) -> None:
    """Check ``value`` against pulumi-aws-native's generated input type ``cls``, recursively:
    every key a parameter, every required parameter present, every enum value a member."""
    params = {k: p for k, p in inspect.signature(cls).parameters.items()}
    assert set(value) <= set(params), f"{path}: {cls.__name__} has no {set(value) - set(params)}"
    for name, param in params.items():
        if param.default is inspect.Parameter.empty:
            assert name in value, f"{path}: {cls.__name__} requires {name}"
    for name, item in value.items():
        annotation = str(params[name].annotation)
        nested = re.findall(r"(\w+Args)\b", annotation)
        enums = [n for n in re.findall(r"'(\w+)'", annotation) if hasattr(_enums, n)]
        if nested:
            sub = getattr(_inputs, nested[0])
            for i, element in enumerate(item if isinstance(item, list) else [item]):
                _build(sub, element, f"{path}.{name}[{i}]")
        elif enums:
            members = [m.value for m in getattr(_enums, enums[0])]
            assert item in members, f"{path}.{name}: {item!r} not one of {members}"


ALL_SETS = [
    "model-performance-vs-kpis",
    "business-kpis",
    "endpoint-health",
    "pipeline-health",
    "model-approvals-lineage",
]


@pytest.mark.parametrize("plan", dashboard_plans(ALL_SETS), ids=lambda p: p.key)
def test_the_definitions_are_well_formed_for_pulumi_aws_native(plan):
    body = definition(plan, {k: f"arn:aws:quicksight:{REGION}:1:dataset/{k}" for k in ALL_SETS})
    _build(_inputs.DashboardVersionDefinitionArgs, body, plan.key)
    _build(_inputs.AnalysisDefinitionArgs, body, plan.key)


def test_the_well_formedness_check_catches_a_wrong_granularity_and_an_unknown_key():
    (plan, *_) = dashboard_plans(ALL_SETS)
    body = definition(plan, {k: "arn" for k in ALL_SETS})
    line = body["sheets"][0]["visuals"][0]["line_chart_visual"]
    wells = line["chart_configuration"]["field_wells"]["line_chart_aggregated_field_wells"]
    wells["category"][0]["date_dimension_field"]["date_granularity"] = "HOURS"
    with pytest.raises(AssertionError, match="not one of"):
        _build(_inputs.DashboardVersionDefinitionArgs, body, "mutated")
    body = definition(plan, {k: "arn" for k in ALL_SETS})
    body["sheets"][0]["visuals"][0]["bogus"] = {}
    with pytest.raises(AssertionError, match="has no"):
        _build(_inputs.DashboardVersionDefinitionArgs, body, "mutated")


def test_a_dashboard_whose_data_set_is_missing_is_not_planned():
    keys = {p.key for p in dashboard_plans([s for s in ALL_SETS if s != "model-approvals-lineage"])}
    assert keys == FOUR - {"approvals-lineage"}


def test_readers_read_the_dashboards_and_owners_own_them_and_their_analyses(
    example_graph, example_env
):
    graph = example_graph("prod", True)
    quicksight = example_env("prod").settings.quick_sight
    assert quicksight.owners  # prod names an owners group, so its analyses exist
    for dashboard in graph.of_type(DASHBOARD):
        grants = {p["principal"]: p["actions"] for p in dashboard.inputs["permissions"]}
        assert grants == {
            **{p: list(VIEWER_DASHBOARD_ACTIONS) for p in quicksight.principals},
            **{p: list(OWNER_DASHBOARD_ACTIONS) for p in quicksight.owners},
        }
    analyses = graph.of_type(ANALYSIS)
    assert {a.inputs["analysisId"] for a in analyses} == {f"obsgov-prod-{k}" for k in FOUR}
    for analysis in analyses:
        grants = {p["principal"]: p["actions"] for p in analysis.inputs["permissions"]}
        assert grants == {p: list(OWNER_ANALYSIS_ACTIONS) for p in quicksight.owners}


def test_without_owners_there_are_no_analyses(example_graph):
    assert example_graph("dev", True).of_type(ANALYSIS) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_dashboards_are_on_the_observability_accounts_native_provider(
    example_graph, example_env, stack
):
    graph = example_graph(stack, True)
    env = example_env(stack)
    observability = env.org.organization.observability_account_id
    for asset in _assets(graph):
        provider = graph.provider_of(asset)
        assert provider is not None
        assert provider.type == "pulumi:providers:aws-native"
        assert json.loads(provider.inputs["assumeRole"])["roleArn"] == env.role_arn(observability)
        assert json.loads(provider.inputs["allowedAccountIds"]) == [observability]
        assert asset.account == observability == asset.inputs["awsAccountId"]
        # the provider's Check merges its default tags into the list-shaped tags
        tags = {t["key"]: t["value"] for t in asset.inputs["tags"]}
        assert tags == env.central_default_tags()


# ------------------------------------------------------------------ QuickSight's lake access

LAKE = "obsgov-prod-metric-lake-100000000002"
LIFECYCLE = "obsgov-prod-model-lifecycle-archive-100000000002"
ROLE = f"arn:aws:iam::{OBSERVABILITY}:role/obsgov-prod-quicksight-athena"


def _one(graph: ResourceGraph, type_token: str, predicate) -> Any:
    (found,) = [r for r in graph.of_type(type_token) if predicate(r)]
    return found


def _bucket_and_key_policies(graph: ResourceGraph, bucket: str) -> tuple[dict, dict]:
    bucket_policy = _one(
        graph, "aws:s3/bucketPolicy:BucketPolicy", lambda r: r.inputs.get("bucket") == bucket
    )
    encryption = _one(
        graph,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        lambda r: r.inputs.get("bucket") == bucket,
    )
    (key_urn,) = encryption.property_dependencies["rules"]
    key = _one(graph, "aws:kms/key:Key", lambda r: r.urn == key_urn)
    return json.loads(bucket_policy.inputs["policy"]), json.loads(key.inputs["policy"])


@pytest.mark.parametrize("bucket", [LAKE, LIFECYCLE])
def test_quicksights_role_reads_the_lake_through_the_bucket_and_key_policies(example_graph, bucket):
    """The identity policy alone is not the whole answer: the bucket policy may deny and the
    key policy must allow (directly or by naming the account) - IAM user guide, "Policy
    evaluation logic"; KMS developer guide, "Key policies"."""
    graph = example_graph("prod", False)
    role_policy = json.loads(
        _one(
            graph,
            "aws:iam/rolePolicy:RolePolicy",
            lambda r: r.name == "business-views-prod-athena-policy",
        ).inputs["policy"]
    )
    bucket_policy, key_policy = _bucket_and_key_policies(graph, bucket)
    prefix = "metrics/" if bucket == LAKE else "events/"
    role = Principal(account=OBSERVABILITY, arn=ROLE)
    tls = {"aws:SecureTransport": "true"}
    read = Request(role, "s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}2026/01/01/x.gz", tls)
    assert evaluate(read, [role_policy], [bucket_policy], OBSERVABILITY).decision == Decision.ALLOW
    decrypt = Request(
        role,
        "kms:Decrypt",
        f"arn:aws:kms:{REGION}:{OBSERVABILITY}:key/0b1c2d3e-aaaa-bbbb-cccc-000000000001",
        {
            "kms:ViaService": f"s3.{REGION}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
        },
    )
    decision = evaluate(
        decrypt, [role_policy], [key_policy], OBSERVABILITY, resource_must_allow=True
    ).decision
    assert decision == Decision.ALLOW
