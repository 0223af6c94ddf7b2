"""The cost estimate: hand-computed figures on a small graph, and a price line for every rule."""

from __future__ import annotations

from typing import Any

import pytest

from obsgov.environment_report.cost import (
    FREE_TYPES,
    RULES,
    estimate,
    load_assumptions,
    load_prices,
)
from obsgov.errors import InputError
from obsgov.graph import GraphResource, ResourceGraph


def resource(token, name, account="400000000001", **inputs):
    return GraphResource(
        urn=f"urn:pulumi:prod::p::{token}::{name}",
        type=token,
        name=name,
        custom=True,
        inputs=inputs,
        account=account,
    )


SMALL = ResourceGraph(
    project="p",
    stack="prod",
    preview=True,
    resources=[
        resource("aws:kms/key:Key", "key"),
        resource(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "latency",
            period=60,
            namespace="AWS/SageMaker",
        ),
        resource(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "error-rate",
            metricQueries=[
                {"id": "errors", "metric": {"period": 60}},
                {"id": "calls", "metric": {"period": 60}},
                {"id": "rate", "expression": "IF(calls > 0, 100 * errors / calls, 0)"},
            ],
        ),
        resource("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", period=10),
        resource(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "band",
            metricQueries=[
                {"id": "m1", "metric": {"period": 60}},
                {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
            ],
        ),
        resource("aws:cloudwatch/compositeAlarm:CompositeAlarm", "unhealthy"),
        resource(
            "aws:cloudwatch/logGroup:LogGroup", "logs", account="400000000002", retentionInDays=30
        ),
        resource(
            "aws:opensearch/domain:Domain",
            "search",
            account="100000000002",
            clusterConfig={
                "instanceType": "r6g.large.search",
                "instanceCount": 3,
                "dedicatedMasterEnabled": True,
                "dedicatedMasterType": "t3.small.search",
                "dedicatedMasterCount": 3,
            },
            ebsOptions={"volumeSize": 100},
        ),
        resource("aws:iam/role:Role", "role"),
        resource("aws:bedrock/agent:Agent", "mystery"),
        GraphResource(
            urn="urn:pulumi:prod::p::obsgov:x:Component::c",
            type="obsgov:x:Component",
            name="c",
            custom=False,
        ),
    ],
)


def test_small_stack_matches_hand_computed_figures():
    prices = load_prices().with_assumptions({"logGbPerDayPerLogGroup": 2})
    result = estimate(SMALL, prices)
    by_name: dict[str, Any] = {}
    for charge in result.charges:
        by_name[charge.name] = by_name.get(charge.name, 0) + charge.usd
    assert by_name["key"] == pytest.approx(1.00)
    assert by_name["latency"] == pytest.approx(0.10)
    assert by_name["error-rate"] == pytest.approx(0.20)  # two metrics in the expression
    assert by_name["fast"] == pytest.approx(0.30)  # high resolution
    assert by_name["band"] == pytest.approx(0.40)
    assert by_name["unhealthy"] == pytest.approx(0.50)
    # 2 GB/day: 60 GB ingested a month at $0.50, 60 GB stored (30 days retention) at $0.03
    assert by_name["logs"] == pytest.approx(60 * 0.50 + 60 * 0.03)
    # 3 data nodes and 3 masters for 730 h, 3 x 100 GB of gp3
    assert by_name["search"] == pytest.approx(3 * 730 * 0.167 + 3 * 730 * 0.036 + 300 * 0.08)
    assert result.total == pytest.approx(sum(by_name.values()))
    assert result.by("account")["400000000002"] == pytest.approx(by_name["logs"])
    logs = [c for c in result.charges if c.name == "logs"]
    assert all(c.assumptions == ("logGbPerDayPerLogGroup",) for c in logs)


def test_unknown_types_are_listed_never_zero():
    result = estimate(SMALL, load_prices())
    assert [r.name for r in result.unpriced] == ["mystery"]
    assert [r.name for r in result.free] == ["role"]
    assert "mystery" not in {c.name for c in result.charges}


def test_an_unpriced_instance_type_is_listed_not_zero():
    graph = ResourceGraph(
        project="p",
        stack="s",
        preview=True,
        resources=[
            resource(
                "aws:opensearch/domain:Domain",
                "odd",
                clusterConfig={"instanceType": "x9.huge.search", "instanceCount": 1},
            )
        ],
    )
    result = estimate(graph, load_prices())
    assert [r.name for r in result.unpriced] == ["odd"]


SAMPLE_PROPS: dict[str, list[dict[str, Any]]] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        {"period": 60},
        {"period": 10},
        {
            "metricQueries": [
                {"id": "m1", "metric": {}},
                {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
            ]
        },
    ],
    "aws:cloudtrail/trail:Trail": [
        {
            "advancedEventSelectors": [
                {"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}
            ]
        }
    ],
    "aws:opensearch/domain:Domain": [
        {"clusterConfig": {"dedicatedMasterEnabled": True}, "ebsOptions": {"volumeSize": 10}}
    ],
}


def test_every_rule_prices_with_a_sourced_line():
    prices = load_prices()
    for token, rule in RULES.items():
        for props in SAMPLE_PROPS.get(token, [{}]):
            for key, quantity, used in rule(props, prices.assumptions):
                price = prices.items[key]
                assert price.source, key
                assert price.read, key
                assert price.usd > 0, key
                assert quantity >= 0
                assert set(used) <= set(prices.assumptions)
    assert not FREE_TYPES & set(RULES)


def test_assumption_files_are_validated(tmp_path):
    known = load_prices().assumptions
    good = tmp_path / "a.yaml"
    good.write_text("logGbPerDayPerLogGroup: 3\n")
    assert load_assumptions(good, known) == {"logGbPerDayPerLogGroup": 3.0}
    bad = tmp_path / "b.yaml"
    bad.write_text("logGbPerDay: 3\nbucketGb: -1\n")
    with pytest.raises(InputError) as exc:
        load_assumptions(bad, known)
    messages = sorted(str(p) for p in exc.value.problems)
    assert messages[0].endswith("bucketGb: must be a finite number >= 0")
    assert "logGbPerDay: is not a known assumption" in messages[1]
    # the input layer (obsgov.io) refuses what JSON cannot hold before any rule runs
    infinite = tmp_path / "c.yaml"
    infinite.write_text("quicksightReaders: .inf\n")
    with pytest.raises(InputError) as exc:
        load_assumptions(infinite, known)
    assert [str(p) for p in exc.value.problems] == [
        f"{infinite}: quicksightReaders: line 1: '.inf' is not a finite number"
    ]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_the_shipped_environments_deploy_is_priced_or_known_free(
    stack, example_graph
):
    """A new resource type in a component needs a pricing rule or a place in FREE_TYPES."""
    result = estimate(example_graph(stack, True), load_prices())
    assert sorted({r.type for r in result.unpriced}) == []
    assert result.charges
    assert result.free
