"""Model quality from the documented formats: the positive class of probability vectors, late
labels by collection hour, the minimum sample size, multiclass metrics, the model version read
from the endpoint, and listing only the hours a window needs (moto).

Formats: capture records ("Capture data from real-time endpoint",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html),
ground-truth records under <prefix>/yyyy/mm/dd/hh by collection hour ("Ingest Ground Truth
Labels and Merge Them With Predictions",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html), the
metric examples of "Model Quality Metrics"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html) and
the output attributes of Clarify's monitoring examples
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import numpy as np
import pytest
import time_machine
from moto import mock_aws

from obsgov.model_quality import job
from obsgov.model_quality.join import OutputSpec, parse_label, read_prediction
from obsgov.model_quality.metrics import classification, confusion_matrix, multiclass, roc_auc
from obsgov.model_quality.served import served_model

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
REGION = "eu-west-1"
ACCOUNT = "123456789012"


def capture_line(inference_id, when, output, content_type="application/json", encoding="JSON"):
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": "1,2,3",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": content_type,
                    "mode": "OUTPUT",
                    "data": output,
                    "encoding": encoding,
                },
            },
            "eventMetadata": {
                "eventId": f"e-{inference_id}",
                "inferenceId": inference_id,
                "inferenceTime": when.isoformat().replace("+00:00", "Z"),
            },
            "eventVersion": "0",
        }
    )


def label_line(inference_id, value):
    return json.dumps(
        {
            "groundTruthData": {"data": str(value), "encoding": "CSV"},
            "eventMetadata": {"eventId": inference_id},
            "eventVersion": "0",
        }
    )


@pytest.fixture
def aws(aws_credentials):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("capture", "labels"):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        yield s3


def put_hour(s3, bucket, prefix, hour, lines, name="part.jsonl"):
    """An object under the hour it belongs to, written (LastModified) in that hour."""
    with time_machine.travel(hour + timedelta(minutes=59), tick=False):
        s3.put_object(
            Bucket=bucket, Key=f"{prefix}{hour:%Y/%m/%d/%H}/{name}", Body="\n".join(lines)
        )


def informative(n, seed):
    """Labels and positive-class probabilities that separate them well (AUC near 0.97)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    p1 = np.clip(np.where(labels == 1, rng.normal(0.7, 0.12, n), rng.normal(0.3, 0.12, n)), 0, 1)
    return labels, p1


def test_probability_vectors_are_scored_on_the_positive_class(aws):
    """[[p0, p1]] outputs: AUC from p1 (about 0.97), not from p0 (about 0.03) as before."""
    labels, p1 = informative(400, 3)
    hour = NOW - timedelta(hours=2)
    captures = [
        capture_line(f"i{i}", hour + timedelta(seconds=i), json.dumps([[1 - p, p]]))
        for i, p in enumerate(p1)
    ]
    put_hour(aws, "capture", "fraud/AllTraffic/", hour, captures)
    put_hour(aws, "labels", "fraud/", hour, [label_line(f"i{i}", y) for i, y in enumerate(labels)])
    result = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="3",
            window_end=NOW,
        ),
    )
    expected = roc_auc(list(p1), [bool(y) for y in labels])
    assert expected is not None
    assert expected > 0.95
    assert result.metrics["AUC"] == pytest.approx(expected)
    # the first class instead (positive index 0, positive label "0"): the mirror image
    flipped = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="3",
            window_end=NOW,
            spec=OutputSpec(positive_class="0", positive_index=0),
        ),
    )
    assert flipped.metrics["AUC"] == pytest.approx(expected)


def test_the_documented_binary_example():
    """Model Quality Metrics, binary example: confusion matrix {"0": {"0": 1, "1": 2},
    "1": {"0": 0, "1": 1}}, recall 1.0, precision 0.333, accuracy 0.5, f1 0.5."""
    pairs = [(0.1, 0.0), (0.9, 0.0), (0.8, 0.0), (0.7, 1.0)]
    metrics = classification(pairs)
    assert metrics["Recall"] == 1.0
    assert metrics["Precision"] == pytest.approx(0.3333333333333333)
    assert metrics["Accuracy"] == 0.5
    assert metrics["F1"] == 0.5
    hard = [(int(s > 0.5), int(y)) for s, y in pairs]
    assert confusion_matrix(hard) == {"0": {"0": 1, "1": 2}, "1": {"1": 1}}


def test_the_documented_multiclass_example():
    """Model Quality Metrics, multiclass example: the confusion matrix {"0": {"0": 1180,
    "1": 510}, "1": {"0": 268, "1": 138}} (actual, then predicted) and its figures."""
    pairs = [("0", "0")] * 1180 + [("1", "0")] * 510 + [("0", "1")] * 268 + [("1", "1")] * 138
    metrics = multiclass(pairs)
    assert metrics["Accuracy"] == pytest.approx(0.6288167938931297, rel=1e-12)
    assert metrics["WeightedRecall"] == pytest.approx(0.6288167938931297, rel=1e-12)
    assert metrics["WeightedPrecision"] == pytest.approx(0.6983172269629505, rel=1e-12)
    assert metrics["WeightedF1"] == pytest.approx(0.6571162346664904, rel=1e-12)
    assert confusion_matrix(pairs) == {"0": {"0": 1180, "1": 510}, "1": {"0": 268, "1": 138}}


@pytest.mark.parametrize(
    ("text", "kind", "spec", "value"),
    [
        # CSV output "predicted label, probability": InferenceAttribute 0 or ProbabilityAttribute 1
        ("1, 0.5385257417814224", "csv", OutputSpec(inference_attribute=0), 1.0),
        ("1, 0.5385257417814224", "csv", OutputSpec(probability_attribute=1), 0.5385257417814224),
        # JSON Lines output, by key, and the same keys found without configuration
        (
            '{"predicted_label":1, "probability":0.5385257417814224}',
            "jsonl",
            OutputSpec(probability_attribute="probability"),
            0.5385257417814224,
        ),
        ('{"predicted_label":1, "probability":0.5385257417814224}', "json", OutputSpec(), 0.5385),
        ('{"predicted_label":0}', "json", OutputSpec(), 0.0),
        # named classes: the positive class found by its label
        (
            '{"labels": ["legit", "fraud"], "probabilities": [0.2, 0.8]}',
            "json",
            OutputSpec(positive_class="fraud"),
            0.8,
        ),
    ],
)
def test_documented_outputs_give_the_positive_class_score(text, kind, spec, value):
    assert read_prediction(text, kind, spec) == pytest.approx(value, abs=1e-4)


def test_multiclass_outputs_give_the_predicted_class():
    spec = OutputSpec(problem="multiclass", classes=("cat", "dog", "bird"))
    assert read_prediction("[[0.1, 0.7, 0.2]]", "json", spec) == "dog"
    assert read_prediction('{"predicted_label": "bird"}', "json", spec) == "bird"
    assert read_prediction("2", "csv", OutputSpec(problem="multiclass")) == "2"
    assert parse_label(label_line("x", "dog"), spec) == ("x", "dog")
    assert parse_label(label_line("x", "2.0"), spec) == ("x", "2")


def test_late_labels_are_counted_by_their_collection_hour(aws):
    """Labels arrive a day after the inference and the window ends a day before the run
    (labelOffset 24h), so the run sees them. Before, a label was late only if its object's
    LastModified was after the window's end plus the deadline: the window ended at the run,
    no object can be written after the run that lists it, and LabelsLate was always 0."""
    inference_hour = NOW - timedelta(hours=30)
    lines = [capture_line(f"i{i}", inference_hour + timedelta(minutes=i), "0.9") for i in range(6)]
    put_hour(aws, "capture", "fraud/AllTraffic/", inference_hour, lines)
    # three collected 2 hours after the inference, two 27 hours after, one never
    soon, late = inference_hour + timedelta(hours=2), inference_hour + timedelta(hours=27)
    put_hour(aws, "labels", "fraud/", soon, [label_line(f"i{i}", 1) for i in range(3)])
    put_hour(aws, "labels", "fraud/", late, [label_line(f"i{i}", 1) for i in range(3, 5)])
    result = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="1",
            window_end=NOW - timedelta(hours=24),
            label_deadline=timedelta(hours=24),
            as_of=NOW,
            min_labels=1,
        ),
    )
    assert len(result.joined.pairs) == 5
    assert (result.joined.late, result.joined.missing) == (2, 1)


def test_below_the_minimum_no_metric_and_a_not_enough_labels_signal(aws):
    hour = NOW - timedelta(hours=2)
    captures = [capture_line(f"i{i}", hour, "0.9") for i in range(10)]
    put_hour(aws, "capture", "fraud/AllTraffic/", hour, captures)
    put_hour(aws, "labels", "fraud/", hour, [label_line(f"i{i}", i % 2) for i in range(10)])
    result = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="1",
            window_end=NOW,
        ),
    )
    assert result.metrics == {}
    assert not result.enough_labels
    published = {
        (d["MetricName"], len(d["Dimensions"])): d["Value"] for d in job.metric_data(result, NOW)
    }
    assert published == {
        (name, dims): value
        for dims in (1, 2)
        for name, value in (
            ("LabelledPredictions", 10.0),
            ("LabelsMissing", 0.0),
            ("LabelsLate", 0.0),
            ("NotEnoughLabels", 1.0),
            ("MalformedRecords", 0.0),
        )
    }


def test_multiclass_end_to_end(aws):
    hour = NOW - timedelta(hours=3)
    classes = ["cat", "dog", "bird"]
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, 120)
    vectors = np.full((120, 3), 0.1)
    guessed = np.where(rng.random(120) < 0.8, truth, (truth + 1) % 3)
    vectors[np.arange(120), guessed] = 0.8
    captures = [
        capture_line(f"i{i}", hour, json.dumps({"predictions": [v.tolist()]}))
        for i, v in enumerate(vectors)
    ]
    put_hour(aws, "capture", "pets/AllTraffic/", hour, captures)
    put_hour(
        aws, "labels", "pets/", hour, [label_line(f"i{i}", classes[t]) for i, t in enumerate(truth)]
    )
    result = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/pets/",
            labels_uri="s3://labels/pets/",
            endpoint="pets",
            model_version="1",
            window_end=NOW,
            spec=OutputSpec(problem="multiclass", classes=tuple(classes)),
        ),
    )
    expected = multiclass([(classes[g], classes[t]) for g, t in zip(guessed, truth, strict=True)])
    assert result.metrics == pytest.approx(expected)
    assert result.metrics["Accuracy"] == pytest.approx(float(np.mean(guessed == truth)))


def test_a_run_lists_only_the_hours_its_window_needs(aws):
    """Ten days of capture and labels in the buckets; scoring one day lists 24 capture hours
    and the label hours from the window's start to the run, not the whole prefixes."""
    for hours_ago in range(240, 0, -1):
        hour = NOW - timedelta(hours=hours_ago)
        put_hour(
            aws, "capture", "fraud/AllTraffic/", hour, [capture_line(f"i{hours_ago}", hour, "0.5")]
        )
        put_hour(aws, "labels", "fraud/", hour, [label_line(f"i{hours_ago}", 1)])
    result = job.run(
        aws,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="1",
            window_end=NOW,
            min_labels=1,
        ),
    )
    assert len(result.joined.pairs) == 24
    # 1 variant listing + 24 capture hours; 25 label hours (the run's own hour included)
    assert result.stats.list_calls == 1 + 24 + 25
    assert result.stats.objects_listed == 24 + 24
    assert result.objects_read == 48


# --------------------------------------------------------------------------- the served version


@pytest.fixture
def sagemaker(aws):
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(ModelPackageGroupName="fraud")
    for _ in range(2):
        client.create_model_package(
            ModelPackageGroupName="fraud",
            InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fraud:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/2"
    role = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"
    client.create_model(
        ModelName="fraud-v2", ExecutionRoleArn=role, PrimaryContainer={"ModelPackageName": package}
    )
    client.create_model(
        ModelName="fraud-image",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fraud:1"},
    )
    client.create_endpoint_config(
        EndpointConfigName="fraud-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "fraud-v2",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 0.9,
            },
            {
                "VariantName": "Shadow",
                "ModelName": "fraud-image",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 0.1,
            },
        ],
    )
    client.create_endpoint(EndpointName="fraud", EndpointConfigName="fraud-config")
    return client


def test_the_version_is_read_from_the_endpoints_current_model(sagemaker):
    served = served_model(sagemaker, "fraud")
    assert (served.variant, served.model_name, served.version) == ("AllTraffic", "fraud-v2", "2")
    assert served.model_package == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/2"
    # a model built from an image has no package version: its name stands in
    assert served_model(sagemaker, "fraud", "Shadow").version == "fraud-image"
    with pytest.raises(ValueError, match="endpoint fraud has no variant 'Blue'"):
        served_model(sagemaker, "fraud", "Blue")


def test_the_handler_scores_under_the_served_version(sagemaker, aws, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    labels, p1 = informative(60, 8)
    hour = NOW - timedelta(hours=2)
    captures = [
        capture_line(f"i{i}", hour, f"{p:.4f}", "text/csv", "CSV") for i, p in enumerate(p1)
    ]
    put_hour(aws, "capture", "fraud/AllTraffic/", hour, captures)
    put_hour(aws, "labels", "fraud/", hour, [label_line(f"i{i}", y) for i, y in enumerate(labels)])
    event = {
        "endpoint": "fraud",
        "modelVersion": "7",  # what accounts.yaml said: stale
        "captureUri": "s3://capture/fraud/",
        "labelsUri": "s3://labels/fraud/",
        "windowHours": 24,
        "labelDeadlineHours": 24,
    }
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        summary = job.handler(event)
    assert summary["modelVersion"] == "2"
    assert summary["pairs"] == 60
    assert "the schedule names version 7; the endpoint serves 2" in summary["notes"]
    listed = boto3.client("cloudwatch", region_name=REGION).list_metrics(
        Namespace="Obsgov/ModelQuality", MetricName="AUC"
    )["Metrics"]
    assert sorted(len(m["Dimensions"]) for m in listed) == [1, 2]
    versioned = next(m for m in listed if len(m["Dimensions"]) == 2)
    assert {"Name": "ModelVersion", "Value": "2"} in versioned["Dimensions"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"endpoint": "e", "captureUri": "s3://c/"}, "the schedule's input lacks labelsUri"),
        ({"problem": "ranking"}, "problem must be one of binary, multiclass, regression"),
        ({"minLabels": 0}, "minLabels must be a whole number >= 1, not 0"),
        ({"probabilityAttribute": 1.5}, "probabilityAttribute must be a position"),
        ({"positiveIndex": "one"}, "positiveIndex must be a whole number, not 'one'"),
        ({"labelOffsetHours": -1}, "labelOffsetHours must be a whole number of hours >= 0"),
    ],
)
def test_a_bad_schedule_input_names_the_key(event, message, aws):
    base = {"endpoint": "e", "captureUri": "s3://c/", "labelsUri": "s3://l/"}
    # checked before any AWS call: a bad schedule input costs no request
    with pytest.raises(job.EventError, match=message):
        job.handler(event if "endpoint" in event else {**base, **event})


def test_base64_and_json_lines_outputs_are_read():
    """An output content type the endpoint's CaptureContentTypeHeader does not list is
    captured BASE64 (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_CaptureContentTypeHeader.html); JSON Lines holds one JSON document a line."""
    import base64

    from obsgov.model_quality.join import parse_prediction

    body = base64.b64encode(b'{"predictions": [[0.2, 0.8]]}').decode()
    encoded = capture_line("b64", NOW, body, "application/json", "BASE64")
    assert parse_prediction(encoded).value == 0.8
    output = '{"predicted_label": 1, "probability": 0.7}\n'
    lines = capture_line("jl", NOW, output, "application/jsonlines", "JSON")
    assert parse_prediction(lines).value == 0.7
