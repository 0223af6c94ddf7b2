"""SageMaker data-capture files, built from the documented record shape."""

from __future__ import annotations

import base64
import json

import pytest

from obsgov.drift.capture import capture_record, parse_record, read_capture
from obsgov.errors import InputError

INPUTS = ["age", "income", "country"]
OUTPUTS = ["score"]


def record(endpoint_input=None, endpoint_output=None, **metadata):
    capture = {}
    if endpoint_input is not None:
        capture["endpointInput"] = endpoint_input
    if endpoint_output is not None:
        capture["endpointOutput"] = endpoint_output
    return json.dumps(
        {
            "captureData": capture,
            "eventMetadata": {
                "eventId": "4651a1bf-4b00-4248-a309-4a18b11e4277",
                "inferenceId": "req-17",
                "inferenceTime": "2026-11-27T05:47:25Z",
                **metadata,
            },
            "eventVersion": "0",
        }
    )


def part(mode, content_type, data, encoding):
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def test_csv_input_and_csv_output():
    line = record(
        part("INPUT", "text/csv", "42,51000.5,DE", "CSV"),
        part("OUTPUT", "text/csv; charset=utf-8", "0.87", "CSV"),
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [
        {"age": "42", "income": "51000.5", "country": "DE", "score": "0.87"}
    ]


def test_multi_row_csv_payload_pairs_with_json_predictions():
    line = record(
        part("INPUT", "text/csv", "42,51000.5,DE\n37,,FR", "CSV"),
        part(
            "OUTPUT",
            "application/json",
            json.dumps({"predictions": [{"score": 0.87}, {"score": 0.12}]}),
            "JSON",
        ),
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [
        {"age": "42", "income": "51000.5", "country": "DE", "score": 0.87},
        {"age": "37", "income": None, "country": "FR", "score": 0.12},
    ]


def test_base64_payloads_decode_by_content_type():
    body = json.dumps({"instances": [{"features": [42, 51000.5, "DE"]}]}).encode()
    line = record(
        part("INPUT", "application/json", base64.b64encode(body).decode(), "BASE64"),
        part("OUTPUT", "text/csv", base64.b64encode(b"0.5").decode(), "BASE64"),
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [
        {"age": 42, "income": 51000.5, "country": "DE", "score": "0.5"}
    ]


def test_json_objects_by_name_and_output_only_capture():
    line = record(
        part(
            "INPUT",
            "application/json",
            json.dumps({"age": 30, "country": "FR", "extra": 1}),
            "JSON",
        )
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [{"age": 30, "income": None, "country": "FR"}]
    only_output = record(endpoint_output=part("OUTPUT", "application/json", "[0.1, 0.9]", "JSON"))
    assert parse_record(only_output, INPUTS, OUTPUTS) == [{"score": 0.1}, {"score": 0.9}]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json", "not JSON (Expecting value)"),
        (json.dumps({"eventVersion": "0"}), "has no captureData object"),
        (record(), "captureData has neither endpointInput nor endpointOutput"),
        (record(part("INPUT", "text/csv", "1,2", "CSV")), "CSV row has 2 fields, expected 3"),
        (
            record(part("INPUT", "text/csv", "1,2,3", "GZIP")),
            "encoding 'GZIP' is not CSV, JSON or BASE64",
        ),
        (
            record(part("INPUT", "text/csv", "@@@", "BASE64")),
            "BASE64 data does not decode (Only base64 data is allowed)",
        ),
        (
            record(part("INPUT", "image/png", base64.b64encode(b"x").decode(), "BASE64")),
            "BASE64 payload of content type image/png: cannot tell CSV from JSON",
        ),
        (
            record(part("INPUT", "application/json", "{", "JSON")),
            "JSON payload does not parse (Expecting property name enclosed in double quotes)",
        ),
        (
            record(
                part("INPUT", "text/csv", "1,2,DE\n3,4,FR", "CSV"),
                part("OUTPUT", "text/csv", "0.5", "CSV"),
            ),
            "2 input rows but 1 output rows",
        ),
    ],
)
def test_malformed_records_say_why(line, why):
    from obsgov.drift.capture import PayloadError

    with pytest.raises(PayloadError) as caught:
        parse_record(line, INPUTS, OUTPUTS)
    assert str(caught.value) == why


def test_a_capture_folder_is_read_and_bad_lines_counted(tmp_path):
    hour = tmp_path / "my-endpoint" / "AllTraffic" / "2026" / "11" / "27" / "05"
    hour.mkdir(parents=True)
    good = [capture_record(f"{30 + i},{1000 * i},DE", f"0.{i}") for i in range(5)]
    (hour / "05-00-000-aaaa.jsonl").write_text("\n".join(good[:3]) + "\n")
    (hour / "05-30-000-bbbb.jsonl").write_text(
        "\n".join([good[3], "{truncated", good[4], ""]) + "\n"
    )
    frame = read_capture(tmp_path, INPUTS, OUTPUTS)
    assert frame.rows == 5
    assert frame.columns["age"].to_pylist() == ["30", "31", "32", "33", "34"]
    assert frame.malformed.count == 1
    assert frame.malformed.examples == [
        f"{hour / '05-30-000-bbbb.jsonl'} line 2: not JSON (Expecting property name "
        "enclosed in double quotes)"
    ]


def test_capture_record_helper_writes_the_documented_shape():
    line = json.loads(capture_record("1,2,3", "0.5", encoding="BASE64", inference_id="r1"))
    assert set(line) == {"captureData", "eventMetadata", "eventVersion"}
    assert line["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": base64.b64encode(b"1,2,3").decode(),
        "encoding": "BASE64",
    }
    assert line["eventMetadata"]["inferenceId"] == "r1"


def test_missing_capture_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as caught:
        read_capture(tmp_path / "nope.jsonl", INPUTS, OUTPUTS)
    assert caught.value.problems[0].message == "file not found"


# --------------------------------------------------------------------------- documented shapes
#
# Every payload below is an example from AWS's documentation (or TensorFlow Serving's, for the
# columnar form SageMaker's TensorFlow Serving container passes through), wrapped in the capture
# record shape of "Capture data from real-time endpoint" (View Captured Data):
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html

# The two lines that page prints: a 69-feature CSV request and its CSV score.
DOCUMENTED_CAPTURE = [
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
    '"data":"69,0,153.7,109,194.0,105,256.1,114,14.1,6,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,'
    '0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,1,0,1,0\\n",'
    '"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
    '"mode":"OUTPUT","data":"0.0254181120544672","encoding":"CSV"}},"eventMetadata":{"eventId":'
    '"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","inferenceTime":"2022-02-14T17:25:49Z"},'
    '"eventVersion":"0"}',
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
    '"data":"94,23,197.1,125,214.5,136,282.2,103,9.5,5,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,'
    '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,1,0,1,0,1\\n",'
    '"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
    '"mode":"OUTPUT","data":"0.07675473392009735","encoding":"CSV"}},"eventMetadata":{"eventId":'
    '"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","inferenceTime":"2022-02-14T17:25:49Z"},'
    '"eventVersion":"0"}',
]
CHURN_INPUTS = [f"f{i:02d}" for i in range(69)]


def test_the_documented_csv_capture_lines():
    first, second = (parse_record(line, CHURN_INPUTS, ["score"]) for line in DOCUMENTED_CAPTURE)
    assert len(first) == len(second) == 1
    assert first[0]["f00"] == "69"
    assert first[0]["f02"] == "153.7"
    assert first[0]["f68"] == "0"
    assert first[0]["score"] == "0.0254181120544672"
    assert second[0]["f01"] == "23"
    assert second[0]["score"] == "0.07675473392009735"


def test_csv_with_a_header_line_maps_fields_by_name():
    # a client that sends its header line first: the names, in any order, then the rows
    line = record(
        part("INPUT", "text/csv", "country,age,income\nDE,42,51000.5\nFR,37,", "CSV"),
        part("OUTPUT", "text/csv", "0.9\n0.1", "CSV"),
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [
        {"age": "42", "income": "51000.5", "country": "DE", "score": "0.9"},
        {"age": "37", "income": None, "country": "FR", "score": "0.1"},
    ]


# "Common Data Formats for Inference": JSON request formats (dense, multiple records) and the
# k-means JSON / JSON Lines responses.
# https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html
FOUR = ["a", "b", "c", "d"]


def test_json_instances_in_both_documented_dense_forms():
    features = {"instances": [{"features": [1.5, 16.0, 14.0, 23.0]}]}
    nested = {"instances": [{"data": {"features": {"values": [1.5, 16.0, 14.0, 23.0]}}}]}
    for body in (features, nested):
        line = record(part("INPUT", "application/json", json.dumps(body), "JSON"))
        assert parse_record(line, FOUR, []) == [{"a": 1.5, "b": 16.0, "c": 14.0, "d": 23.0}]
    several = {
        "instances": [{"features": [1.5, 16.0, 14.0, 23.0]}, {"features": [-2.0, 100.2, 15.2, 9.2]}]
    }
    line = record(part("INPUT", "application/json", json.dumps(several), "JSON"))
    assert [r["b"] for r in parse_record(line, FOUR, [])] == [16.0, 100.2]


def test_json_lines_response_holds_one_record_a_line():
    kmeans = (
        '{"distance_to_cluster": 23.40593910217285, "closest_cluster": 0.0}\n'
        '{"distance_to_cluster": 27.250282287597656, "closest_cluster": 0.0}'
    )
    outputs = ["closest_cluster", "distance_to_cluster"]
    request = "1.5,16.0,14.0,23.0\n-2.0,100.2,15.2,9.2"
    for encoded, encoding in (
        (kmeans, "JSON"),
        (base64.b64encode(kmeans.encode()).decode(), "BASE64"),
    ):
        line = record(
            part("INPUT", "text/csv", request, "CSV"),
            part("OUTPUT", "application/jsonlines", encoded, encoding),
        )
        rows = parse_record(line, FOUR, outputs)
        assert [(r["a"], r["distance_to_cluster"]) for r in rows] == [
            ("1.5", 23.40593910217285),
            ("-2.0", 27.250282287597656),
        ]


# Clarify's monitoring examples: a JSON Lines dataset, its JSON Lines model output, and the CSV
# output of predicted label then probability.
# https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html
def test_json_lines_request_and_multi_output_answers():
    request = (
        '{"features":[0, 0.5814568701544718, 0.6651538910132964, 0.3138080342665499], "label":0}\n'
        '{"features":[1, 0.6711642728531724, 0.7466687034026017, 0.1215477472819713], "label":1}'
    )
    outputs = ["predicted_label", "probability"]
    jsonl_out = (
        '{"predicted_label":1, "probability":0.5385257417814224}\n'
        '{"predicted_label":0, "probability":0.2}'
    )
    line = record(
        part("INPUT", "application/jsonlines", request, "JSON"),
        part("OUTPUT", "application/jsonlines", jsonl_out, "JSON"),
    )
    rows = parse_record(line, FOUR, outputs)
    assert [(r["a"], r["d"], r["predicted_label"], r["probability"]) for r in rows] == [
        (0, 0.3138080342665499, 1, 0.5385257417814224),
        (1, 0.1215477472819713, 0, 0.2),
    ]
    csv_out = record(
        part("INPUT", "application/jsonlines", request.splitlines()[0], "JSON"),
        part("OUTPUT", "text/csv", "1, 0.5385257417814224", "CSV"),
    )
    assert parse_record(csv_out, FOUR, outputs)[0] | {"a": None} == {
        "a": None,
        "b": 0.5814568701544718,
        "c": 0.6651538910132964,
        "d": 0.3138080342665499,
        "predicted_label": "1",
        "probability": "0.5385257417814224",
    }


# TensorFlow Serving's REST API, which SageMaker's TensorFlow Serving container exposes:
# "columnar format" requests under "inputs", row format under "instances".
# https://www.tensorflow.org/tfx/serving/api_rest#request_format_2
def test_columnar_inputs_become_rows():
    body = {"inputs": {"age": [42, 37], "income": [51000.5, None], "country": ["DE", "FR"]}}
    line = record(
        part("INPUT", "application/json", json.dumps(body), "JSON"),
        part("OUTPUT", "application/json", json.dumps({"predictions": [[0.2], [0.7]]}), "JSON"),
    )
    assert parse_record(line, INPUTS, OUTPUTS) == [
        {"age": 42, "income": 51000.5, "country": "DE", "score": 0.2},
        {"age": 37, "income": None, "country": "FR", "score": 0.7},
    ]
    ragged = record(
        part("INPUT", "application/json", '{"inputs": {"age": [1, 2], "income": [3]}}', "JSON")
    )
    with pytest.raises(ValueError, match=r"columns of lengths \[1, 2\]"):
        parse_record(ragged, INPUTS, OUTPUTS)


def test_a_batch_answered_on_one_line_splits_by_the_request_rows():
    # XGBoost answers a CSV batch with the scores on one line, comma-separated
    two = record(
        part("INPUT", "text/csv", "42,51000.5,DE\n37,48000,FR", "CSV"),
        part("OUTPUT", "text/csv; charset=utf-8", "0.1,0.2", "CSV"),
    )
    assert [r["score"] for r in parse_record(two, INPUTS, OUTPUTS)] == ["0.1", "0.2"]
    # output-only capture: a line of scores is that many rows
    alone = record(endpoint_output=part("OUTPUT", "text/csv", "0.1,0.2,0.3", "CSV"))
    assert parse_record(alone, INPUTS, OUTPUTS) == [
        {"score": "0.1"},
        {"score": "0.2"},
        {"score": "0.3"},
    ]


def test_probability_vectors_read_the_positive_class():
    for output in ("[[0.1, 0.9]]", '{"predictions": [[0.1, 0.9]]}'):
        line = record(
            part("INPUT", "text/csv", "42,51000.5,DE", "CSV"),
            part("OUTPUT", "application/json", output, "JSON"),
        )
        assert parse_record(line, INPUTS, OUTPUTS)[0]["score"] == 0.9
        assert parse_record(line, INPUTS, OUTPUTS, positive_index=0)[0]["score"] == 0.1
    # one request row answered "p0,p1" in CSV: a vector, not two rows
    csv_vector = record(
        part("INPUT", "text/csv", "42,51000.5,DE", "CSV"),
        part("OUTPUT", "text/csv", "0.1,0.9", "CSV"),
    )
    assert parse_record(csv_vector, INPUTS, OUTPUTS) == [
        {"age": "42", "income": "51000.5", "country": "DE", "score": "0.9"}
    ]
    three = record(
        part("INPUT", "text/csv", "42,51000.5,DE", "CSV"),
        part("OUTPUT", "application/json", "[[0.2, 0.3, 0.5]]", "JSON"),
    )
    with pytest.raises(ValueError, match="a vector of 3 values cannot fill the one output feature"):
        parse_record(three, INPUTS, OUTPUTS)
    assert parse_record(three, INPUTS, OUTPUTS, positive_index=2)[0]["score"] == 0.5


def test_multi_output_answers_fill_each_output_feature():
    outputs = ["predicted_label", "probability"]
    for output, kind in (
        ("[[1, 0.8], [0, 0.3]]", "JSON"),
        (
            '{"predictions": [{"predicted_label": 1, "probability": 0.8}, '
            '{"predicted_label": 0, "probability": 0.3}]}',
            "JSON",
        ),
        ("1,0.8\n0,0.3", "CSV"),
    ):
        line = record(
            part("INPUT", "text/csv", "42,51000.5,DE\n37,48000,FR", "CSV"),
            part("OUTPUT", "application/json" if kind == "JSON" else "text/csv", output, kind),
        )
        rows = parse_record(line, INPUTS, outputs)
        assert [str(r["predicted_label"]) for r in rows] == ["1", "0"], output
        assert [float(r["probability"]) for r in rows] == [0.8, 0.3], output


# CaptureOption: CaptureMode Input captures requests only.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CaptureOption.html
def test_input_only_capture_leaves_the_output_features_out():
    from obsgov.drift.capture import captured_features, read_capture_lines

    lines = [capture_record(f"{30 + i},{1000 * i},DE", None) for i in range(3)]
    frame = read_capture_lines([("c.jsonl", lines)], INPUTS, OUTPUTS, "c")
    assert frame.rows == 3
    assert set(frame.columns) == set(INPUTS)
    assert captured_features(INPUTS, OUTPUTS, frame) == INPUTS
    both = read_capture_lines(
        [("c.jsonl", [capture_record("1,2,DE", "0.5")])], INPUTS, OUTPUTS, "c"
    )
    assert set(both.columns) == {*INPUTS, "score"}
    assert captured_features(INPUTS, OUTPUTS, both) is None
