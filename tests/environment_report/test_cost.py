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
    # the key-month, and 100,000 requests a month (the assumption) at $0.03 per 10,000
    assert by_name["key"] == pytest.approx(1.00 + 10 * 0.03)
    assert by_name["latency"] == pytest.approx(0.10)
    assert by_name["error-rate"] == pytest.approx(0.20)  # two metrics in the expression
    assert by_name["fast"] == pytest.approx(0.30)  # high resolution
    # an anomaly detection alarm is three standard-resolution alarm metrics
    assert by_name["band"] == pytest.approx(0.30)
    assert by_name["unhealthy"] == pytest.approx(0.50)
    # 2 GB/day: 60 GB ingested a month at $0.50, 60 GB stored (30 days retention), billed on
    # its compressed size (0.15 of it) at $0.03
    assert by_name["logs"] == pytest.approx(60 * 0.50 + 60 * 0.15 * 0.03)
    # 3 data nodes and 3 masters for 730 h, 3 x 100 GB of OpenSearch gp3 at $0.122
    assert by_name["search"] == pytest.approx(3 * 730 * 0.167 + 3 * 730 * 0.036 + 300 * 0.122)
    assert result.total == pytest.approx(sum(by_name.values()))
    assert result.by("account")["400000000002"] == pytest.approx(by_name["logs"])
    logs = [c for c in result.charges if c.name == "logs"]
    assert {c.assumptions for c in logs} == {
        ("logGbPerDayPerLogGroup",),
        ("logGbPerDayPerLogGroup", "logCompressedFraction"),
    }


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


def graph_of(*resources: GraphResource) -> ResourceGraph:
    return ResourceGraph(project="p", stack="prod", preview=True, resources=list(resources))


def charges_by_item(result) -> dict[str, float]:
    out: dict[str, float] = {}
    for charge in result.charges:
        out[charge.item] = out.get(charge.item, 0.0) + charge.usd
    return out


def test_a_resource_is_priced_at_its_own_regions_price():
    """CloudWatch Logs ingestion is $0.50 a GB in US East (N. Virginia) and $0.57 in EU
    (Ireland) (aws.amazon.com/cloudwatch/pricing, Logs tab, by region)."""
    prices = load_prices().with_assumptions({"logGbPerDayPerLogGroup": 1})
    ireland = resource("aws:cloudwatch/logGroup:LogGroup", "logs", retentionInDays=1)
    virginia = GraphResource(
        **{**ireland.__dict__, "urn": ireland.urn + "2", "region": "us-east-1"}
    )
    result = estimate(graph_of(ireland, virginia), prices, "eu-west-1")
    ingestion = {c.region: c.usd for c in result.charges if c.item == "cloudwatch-logs-ingestion"}
    assert ingestion == {
        "eu-west-1": pytest.approx(30 * 0.57),
        "us-east-1": pytest.approx(30 * 0.50),
    }
    assert result.region == "eu-west-1"
    assert result.stand_ins == []


def test_a_price_the_table_lacks_for_the_region_is_named_never_silently_used():
    prices = load_prices()
    assert "eu-west-1" not in prices.items["firehose-ingestion"].regions
    stream = resource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "stream")
    result = estimate(graph_of(stream), prices, "eu-west-1")
    [charge] = result.charges
    assert (charge.region, charge.priced_region, charge.verified) == (
        "eu-west-1",
        "us-east-1",
        False,
    )
    assert result.stand_ins == [("firehose-ingestion", "eu-west-1", "us-east-1")]


def test_the_prices_issue_36_corrected_cite_their_aws_page():
    items = load_prices().items
    anomaly = items["cloudwatch-alarm-anomaly-detection"]
    # three standard-resolution alarm metrics (the metric and the band's two bounds) at $0.10,
    # aws.amazon.com/cloudwatch/pricing; not $0.10 plus a $0.30 "model" charge
    assert anomaly.usd == pytest.approx(3 * items["cloudwatch-alarm-metric"].usd)
    assert "aws.amazon.com/cloudwatch/pricing" in anomaly.source
    # OpenSearch Service bills its own EBS storage: gp3 is 9.6% below its gp2 $0.135
    # (AWS Big Data Blog, "Lower your Amazon OpenSearch Service storage cost with gp3 Amazon
    # EBS volumes"), not EC2's $0.08 gp3 GB-month
    gp3 = items["opensearch-gp3-storage"]
    assert gp3.usd == pytest.approx(0.135 * (1 - 0.096), abs=0.001)
    assert "aws.amazon.com/opensearch-service/pricing" in gp3.source
    # a price no AWS page backs is never marked verified (the report flags its figures)
    for key, price in items.items():
        if "aws.amazon.com" not in price.source and "docs.aws" not in price.source:
            assert not price.verified, key


def test_usage_billed_lines_price_what_the_resources_drive():
    """EventBridge bills events delivered to another account's bus as custom events
    (aws.amazon.com/eventbridge/pricing); Athena bills TB scanned (aws.amazon.com/athena/
    pricing); QuickSight bills SPICE capacity (aws.amazon.com/quicksight/pricing); KMS bills
    requests per 10,000 (aws.amazon.com/kms/pricing)."""
    a = load_prices().assumptions
    graph = graph_of(
        resource(
            "aws:cloudwatch/eventTarget:EventTarget",
            "to-central",
            arn="arn:aws:events:eu-west-1:100000000001:event-bus/central",
        ),
        resource(
            "aws:cloudwatch/eventTarget:EventTarget",
            "to-own-bus",
            arn="arn:aws:events:eu-west-1:400000000001:event-bus/local",
        ),
        resource(
            "aws:cloudwatch/eventTarget:EventTarget",
            "to-queue",
            arn="arn:aws:sqs:eu-west-1:100000000001:q",
        ),
        resource("aws:athena/workgroup:Workgroup", "wg"),
        resource("aws:quicksight/dataSet:DataSet", "spice", importMode="SPICE"),
        resource("aws:quicksight/dataSet:DataSet", "direct", importMode="DIRECT_QUERY"),
    )
    result = estimate(graph, load_prices(), "eu-west-1")
    by_name = {c.name: (c.item, c.usd) for c in result.charges}
    assert by_name == {
        "to-central": (
            "eventbridge-cross-account-events",
            pytest.approx(a["crossAccountEventsPerMonthPerTarget"] / 1e6 * 1.00),
        ),
        "wg": ("athena-data-scanned", pytest.approx(a["athenaTbScannedPerMonthPerWorkgroup"] * 5)),
        "spice": ("quicksight-spice", pytest.approx(a["spiceGbPerDataset"] * 0.38)),
    }
    assert result.unpriced == []


def alarm(name, namespace, metric, account="400000000001", **dims):
    return resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        name,
        account=account,
        namespace=namespace,
        metricName=metric,
        period=300,
        dimensions=dims,
    )


def test_obsgov_custom_metrics_are_priced_once_per_metric_and_account():
    """A custom metric is billed per metric-month whoever alarms on it (aws.amazon.com/
    cloudwatch/pricing, Metrics); AWS/* metrics are free; a metric a log metric filter makes
    is the filter's."""
    graph = graph_of(
        alarm("drift-high", "Obsgov/Drift", "DriftScore", model="m1"),
        alarm("drift-critical", "Obsgov/Drift", "DriftScore", model="m1"),  # the same metric
        alarm("drift-m2", "Obsgov/Drift", "DriftScore", model="m2"),
        alarm("drift-other-account", "Obsgov/Drift", "DriftScore", "400000000002", model="m1"),
        alarm("latency", "AWS/SageMaker", "ModelLatency"),
        alarm("denied", "Obsgov/Audit", "AccessDenied"),
        resource(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "denied-filter",
            metricTransformation=[{"namespace": "Obsgov/Audit", "name": "AccessDenied"}],
        ),
    )
    result = estimate(graph, load_prices(), "eu-west-1")
    custom = {c.name: c.quantity for c in result.charges if c.item == "cloudwatch-custom-metric"}
    # m1 and m2 are two metrics (dimensions differ); the second alarm on m1 adds none; the
    # filter's metric is priced on the filter, not on the alarm that watches it
    assert custom == {
        "drift-high": 1,
        "drift-m2": 1,
        "drift-other-account": 1,
        "denied-filter": 1,
    }


def test_ultrawarm_nodes_are_priced_by_the_hour_beside_the_hot_nodes():
    """UltraWarm nodes bill per instance-hour like data nodes (Amazon OpenSearch Service
    pricing, "UltraWarm"); their S3-backed managed storage is billed per GB used, which the
    estimate has no figure for, so it is not a line."""
    cluster = {
        "instanceType": "r6g.large.search",
        "instanceCount": 3,
        "dedicatedMasterEnabled": True,
        "dedicatedMasterType": "m6g.large.search",
        "dedicatedMasterCount": 3,
    }
    hot = resource("aws:opensearch/domain:Domain", "search", clusterConfig=cluster)
    warm = resource(
        "aws:opensearch/domain:Domain",
        "search",
        clusterConfig={
            **cluster,
            "warmEnabled": True,
            "warmType": "ultrawarm1.medium.search",
            "warmCount": 2,
        },
    )
    prices = load_prices()
    without = charges_by_item(estimate(graph_of(hot), prices))
    with_warm = charges_by_item(estimate(graph_of(warm), prices))
    assert "opensearch-ultrawarm1.medium.search" not in without
    assert with_warm["opensearch-ultrawarm1.medium.search"] == pytest.approx(2 * 730 * 0.238)
    assert {k: v for k, v in with_warm.items() if "ultrawarm" not in k} == without


def test_prod_prices_its_ultrawarm_nodes(example_graph):
    result = estimate(example_graph("prod", True), load_prices())
    assert charges_by_item(result)["opensearch-ultrawarm1.medium.search"] == pytest.approx(
        2 * 730 * 0.238
    )
