"""The metric lake of the prod stack: percentiles reach the lake, its stream and delivery are
watched, and every query it ships reads only the days it names."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from .conftest import ALARM

OBS = "100000000002"


def _one(graph, token, name):
    [found] = [r for r in graph.of_type(token) if r.name == name]
    return found


def test_the_stream_adds_latency_percentiles_so_p99_reaches_the_lake(prod):
    """By default a stream sends Max, Min, Sum and SampleCount only, from which no percentile
    can be rebuilt; statistics_configuration adds them (with the JSON output format, any
    CloudWatch statistic: docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
    API_MetricStreamStatisticsConfiguration.html). ModelLatency is published by SageMaker in
    AWS/SageMaker (docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html)."""
    stream = _one(
        prod, "aws:cloudwatch/metricStream:MetricStream", "metric-lake-prod-metric-stream"
    )
    assert stream.inputs["outputFormat"] == "json"
    [config] = stream.inputs["statisticsConfigurations"]
    assert "p99" in config["additionalStatistics"]
    assert {"namespace": "AWS/SageMaker", "metricName": "ModelLatency"} in config["includeMetrics"]
    # the namespaces the percentiles are asked for are streamed at all
    streamed = {f["namespace"] for f in stream.inputs["includeFilters"]}
    assert {m["namespace"] for m in config["includeMetrics"]} <= streamed
    # and the table reads them: each additional statistic is a key of the record's value
    table = _one(prod, "aws:glue/catalogTable:CatalogTable", "metric-lake-prod-table")
    [value] = [c for c in table.inputs["storageDescriptor"]["columns"] if c["name"] == "value"]
    fields = value["type"].removeprefix("struct<").removesuffix(">").split(",")
    assert {f"{s}:double" for s in config["additionalStatistics"]} <= set(fields)


def _alarms(graph):
    return {r.inputs["name"]: r for r in graph.of_type(ALARM) if r.name.startswith("metric-lake-")}


def test_the_metric_stream_and_its_delivery_are_watched(prod):
    """AWS/CloudWatch/MetricStreams is published per stream while it runs, and MetricUpdate is
    not emitted for a period without updates or while the stream is stopped
    (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-metric-streams-monitoring.html),
    so that alarm breaches on missing data. Firehose publishes DeliveryToS3.* per stream
    (docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html)."""
    alarms = _alarms(prod)
    expected = {
        "obsgov-prod-platform-metrics-publish-errors": (
            "AWS/CloudWatch/MetricStreams",
            "PublishErrorRate",
            {"MetricStreamName": "obsgov-prod-platform-metrics"},
        ),
        "obsgov-prod-platform-metrics-updates-stopped": (
            "AWS/CloudWatch/MetricStreams",
            "MetricUpdate",
            {"MetricStreamName": "obsgov-prod-platform-metrics"},
        ),
        "obsgov-prod-metric-lake-delivery-failures": (
            "AWS/Firehose",
            "DeliveryToS3.Success",
            {"DeliveryStreamName": "obsgov-prod-metric-lake"},
        ),
        "obsgov-prod-metric-lake-delivery-freshness": (
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            {"DeliveryStreamName": "obsgov-prod-metric-lake"},
        ),
    }
    assert set(alarms) == set(expected)
    warning = _one(prod, "aws:sns/topic:Topic", "event-routing-prod-warning").urn
    for name, (namespace, metric, dimensions) in expected.items():
        inputs = alarms[name].inputs
        assert (inputs["namespace"], inputs["metricName"]) == (namespace, metric)
        assert inputs["dimensions"] == dimensions
        assert inputs["alarmDescription"].startswith("[WARNING] ")
        assert alarms[name].property_dependencies["alarmActions"] == [warning]
    stopped = alarms["obsgov-prod-platform-metrics-updates-stopped"].inputs
    assert stopped["treatMissingData"] == "breaching"
    assert stopped["comparisonOperator"] == "LessThanThreshold"


def _named_queries(graph):
    return {
        r.inputs["name"]: r.inputs["query"]
        for r in graph.of_type("aws:athena/namedQuery:NamedQuery")
        if r.name.startswith("metric-lake-")
    }


def test_every_named_query_parses_as_athena_sql_and_restricts_the_partition(prod):
    """Athena engine v3 is Trino; the table is partitioned by dt (partition projection), and a
    query without a dt predicate reads the whole lake (and hits the workgroup's cutoff)."""
    queries = _named_queries(prod)
    assert "obsgov-prod-metrics-p99-model-latency" in queries
    for name, query in queries.items():
        tree = sqlglot.parse_one(query, read="trino")
        where = tree.args.get("where")
        assert where is not None, name
        restricted = {c.name for c in where.find_all(exp.Column)}
        assert "dt" in restricted, name
        # the dt bound is in the projection's format, yyyy/MM/dd
        assert "'%Y/%m/%d'" in where.sql(dialect="trino"), name


def test_the_p99_query_reads_the_percentile_the_stream_adds(prod):
    query = _named_queries(prod)["obsgov-prod-metrics-p99-model-latency"]
    tree = sqlglot.parse_one(query, read="trino")
    read = {c.sql(dialect="trino") for c in tree.find_all(exp.Column)}
    assert "value.p99" in read or '"value".p99' in read
    assert "'ModelLatency'" in tree.sql(dialect="trino")
