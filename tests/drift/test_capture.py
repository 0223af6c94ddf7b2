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
    "line,why",
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
