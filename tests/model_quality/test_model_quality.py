"""Model quality from ground truth: metrics on known tables, the join, S3 and CloudWatch (moto)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import time_machine
from moto import mock_aws
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.model_quality import job
from obsgov.model_quality.join import (
    LineError,
    OutputSpec,
    join,
    parse_label,
    parse_prediction,
    read_prediction,
)
from obsgov.model_quality.metrics import (
    classification,
    regression,
    roc_auc,
)

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)


def capture(inference_id, output, *, minutes_ago=30, encoding="CSV", now=NOW):
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
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": output,
                    "encoding": encoding,
                },
            },
            "eventMetadata": {
                "eventId": f"e-{inference_id}",
                "inferenceId": inference_id,
                "inferenceTime": (now - timedelta(minutes=minutes_ago)).isoformat(),
            },
            "eventVersion": "0",
        }
    )


def label(inference_id, value):
    return json.dumps(
        {
            "groundTruthData": {"data": str(value), "encoding": "CSV"},
            "eventMetadata": {"eventId": inference_id},
            "eventVersion": "0",
        }
    )


# A known confusion matrix: TP=3, FP=1, FN=2, TN=4 at threshold 0.5.
SCORED = [
    (0.9, 1),
    (0.8, 1),
    (0.7, 1),
    (0.6, 0),
    (0.4, 1),
    (0.2, 1),
    (0.3, 0),
    (0.1, 0),
    (0.05, 0),
    (0.45, 0),
]


def test_classification_matches_the_hand_computed_confusion_matrix():
    metrics = classification(SCORED)
    assert metrics["Accuracy"] == pytest.approx(7 / 10)
    assert metrics["Precision"] == pytest.approx(3 / 4)
    assert metrics["Recall"] == pytest.approx(3 / 5)
    assert metrics["F1"] == pytest.approx(2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5))
    # AUC by counting: positive-negative pairs where the positive scores higher (ties half).
    positives = [s for s, y in SCORED if y]
    negatives = [s for s, y in SCORED if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert metrics["AUC"] == pytest.approx(wins / (len(positives) * len(negatives)))


def test_auc_counts_ties_as_halves_and_needs_both_classes():
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert roc_auc([0.2, 0.3], [True, True]) is None
    assert "AUC" not in classification([(0.9, 1), (0.8, 1)])
    assert "Precision" not in classification([(0.1, 0), (0.2, 1)])  # no positive predictions


def test_regression_metrics_and_mape_skips_zero_actuals():
    metrics = regression([(3, 2), (5, 4), (2, 0)])
    assert metrics["MAE"] == pytest.approx(4 / 3)
    assert metrics["RMSE"] == pytest.approx(math.sqrt(2))
    assert metrics["MAPE"] == pytest.approx(100 * (0.5 + 0.25) / 2)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("0.93", "csv", 0.93),
        # a probability vector: the positive class (position 1), not the first number
        ("0.93,0.07", "csv", 0.07),
        ('{"predictions": [0.8]}', "json", 0.8),
        ("[[0.4, 0.6]]", "json", 0.6),
        ('{"predictions": [[0.4, 0.6]]}', "json", 0.6),
        ('{"score": 2}', "json", 2.0),
        ('{"predictions": [{"score": 0.7}]}', "json", 0.7),
    ],
)
def test_binary_predictions_read_the_positive_class_score(text, kind, value):
    assert read_prediction(text, kind, OutputSpec()) == value


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "not a capture record"),
        (
            json.dumps({"captureData": {}, "eventMetadata": {}}),
            "no eventMetadata.inferenceId or eventId",
        ),
        (capture("a", "NaN"), "probability is not finite"),
        (capture("a", "cat"), 'probability "cat" is not a number'),
        (capture("a", "!!", encoding="BASE64"), "BASE64 payload does not decode"),
    ],
)
def test_malformed_capture_lines_say_why(line, reason):
    with pytest.raises(LineError, match=reason):
        parse_prediction(line)


def test_a_record_with_several_predictions_cannot_be_joined():
    with pytest.raises(LineError, match="2 predictions in one record"):
        parse_prediction(capture("a", "0.1\n0.2"))


def test_join_counts_missing_late_and_malformed_and_never_guesses():
    captures = [
        (
            "c.jsonl",
            [
                capture("a", "0.9"),
                capture("b", "0.2"),
                capture("c", "0.7"),
                capture("old", "0.9", minutes_ago=60 * 30),
                "garbage",
            ],
        )
    ]
    labels = [
        ("on-time.jsonl", NOW, [label("a", 1)]),
        ("late.jsonl", NOW + timedelta(hours=30), [label("b", 0), label("stray", 1)]),
    ]
    joined = join(
        captures,
        labels,
        window_start=NOW - timedelta(hours=24),
        window_end=NOW,
        label_deadline=timedelta(hours=24),
    )
    assert sorted(joined.pairs) == [(0.2, 0.0), (0.9, 1.0)]
    assert (joined.missing, joined.late, joined.unmatched_labels) == (1, 1, 1)  # c; b; stray
    assert joined.malformed == ["c.jsonl line 5: not JSON"]
    assert parse_label(label("x", 3.5), OutputSpec(problem="regression")) == ("x", 3.5)
    assert parse_label(label("x", "1.0")) == ("x", 1.0)  # binary: the positive class "1"


@pytest.fixture
def buckets(aws_credentials):
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="capture")
        s3.create_bucket(Bucket="labels")
        yield s3, boto3.client("cloudwatch", region_name="us-east-1")


def _upload(s3, rows, now):
    """Captures and labels for ``rows`` under the hour before ``now``, keyed as SageMaker
    writes them (``<prefix>/<variant>/yyyy/mm/dd/hh/``): keys, inference times, the objects'
    LastModified (moto stamps it from the wall clock, frozen here) and the window all derive
    from the one instant the test chooses."""
    with time_machine.travel(now, tick=False):
        _put(s3, rows, now)


def _put(s3, rows, now):
    hour = f"{now - timedelta(hours=1):%Y/%m/%d/%H}"
    lines = [
        capture(f"i{i}", str(score), minutes_ago=10 + i, now=now)
        for i, (score, _) in enumerate(rows)
    ]
    s3.put_object(
        Bucket="capture", Key=f"fraud/AllTraffic/{hour}/a.jsonl", Body="\n".join(lines[:5])
    )
    s3.put_object(
        Bucket="capture", Key=f"fraud/AllTraffic/{hour}/b.jsonl", Body="\n".join(lines[5:])
    )
    s3.put_object(
        Bucket="labels",
        Key=f"fraud/{hour}/labels.jsonl",
        Body="\n".join(label(f"i{i}", y) for i, (_, y) in enumerate(rows)),
    )


def test_job_reads_s3_scores_and_publishes_to_cloudwatch(buckets):
    s3, cloudwatch = buckets
    now = NOW
    _upload(s3, SCORED, now)
    result = job.run(
        s3,
        job.QualityRun(
            capture_uri="s3://capture/fraud/",
            labels_uri="s3://labels/fraud/",
            endpoint="fraud",
            model_version="7",
            window_end=now,
            min_labels=len(SCORED),
        ),
    )
    assert result.metrics == classification(SCORED)
    assert (result.joined.missing, result.joined.late) == (0, 0)
    # (5 metrics + 5 signals) under (Endpoint, ModelVersion) and under Endpoint alone
    assert job.publish(cloudwatch, result, now) == 20
    stats = cloudwatch.get_metric_statistics(
        Namespace="Obsgov/ModelQuality",
        MetricName="Accuracy",
        Dimensions=[{"Name": "Endpoint", "Value": "fraud"}, {"Name": "ModelVersion", "Value": "7"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )
    assert [p["Maximum"] for p in stats["Datapoints"]] == [pytest.approx(0.7)]


def invoke_at(when, args):
    with time_machine.travel(when, tick=False):
        return CliRunner().invoke(app, args)


def test_cli_scores_from_s3(buckets):
    s3, _ = buckets
    _upload(s3, SCORED, NOW)
    args = [
        "models",
        "quality",
        "--capture",
        "s3://capture/fraud/",
        "--labels",
        "s3://labels/fraud/",
        "--endpoint",
        "fraud",
        "--model-version",
        "7",
        "--min-labels",
        "10",
        "--json",
    ]
    result = invoke_at(NOW, [*args, "--window-end", "2026-11-27T06:00:00Z"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metrics"]["Accuracy"] == pytest.approx(0.7)
    assert data["labelsMissing"] == 0
    assert data["labelsLate"] == 0
    # a day later the same captures are outside the 24-hour window: nothing is scored
    later = invoke_at(NOW, [*args, "--window-end", "2026-11-28T07:00:00+00:00"])
    assert later.exit_code == 0, later.output
    assert json.loads(later.output)["metrics"] == {}
    for value, reason in (
        ("yesterday", "'yesterday' is not an ISO 8601 date and time"),
        ("2026-11-27T06:00:00", "'2026-11-27T06:00:00' has no UTC offset: add Z or +00:00"),
    ):
        naive = invoke_at(NOW, [*args, "--window-end", value])
        assert naive.exit_code == 2, naive.output
        assert f"--window-end: {reason}" in naive.output, naive.output
    bad = CliRunner().invoke(
        app,
        [
            "models",
            "quality",
            "--capture",
            "capture/fraud",
            "--labels",
            "s3://labels/",
            "--endpoint",
            "f",
            "--model-version",
            "1",
        ],
    )
    assert bad.exit_code == 2
    assert "--capture: 'capture/fraud' is not an s3://bucket/prefix URI" in bad.output
