"""SageMaker data capture: JSON Lines files an endpoint writes to S3, one inference a line.

The documented record shape (Amazon SageMaker Developer Guide, "Capture data from real-time
endpoint", View Captured Data)::

    {"captureData": {
        "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                           "data": "5.1,3.5,1.4", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": "{\\"predictions\\": [0.93]}", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...",
                       "inferenceTime": "2026-11-27T06:00:00Z"},
     "eventVersion": "0"}

``encoding`` is CSV, JSON or BASE64; BASE64 holds the bytes of whatever
``observedContentType`` says (what an endpoint records for content types its
``CaptureContentTypeHeader`` does not list as CSV or JSON). Payload shapes read:

* CSV: one row a line, fields in the order of the baseline's input (or output) features, or
  in the order a header line names them; several rows on one line when the other side of the
  record says how many rows there are (``0.1,0.2`` answering a two-row request);
* JSON: a row (a list, a name-to-value object, ``{"features": [...]}`` or the dense
  ``{"data": {"features": {"values": [...]}}}``), a list of rows, either wrapped in
  ``instances`` / ``predictions`` / ``inputs`` / ``outputs``, or TensorFlow Serving's
  columnar ``{"inputs": {"age": [42, 37], ...}}``;
* JSON Lines (``application/jsonlines``): one such JSON document a line;
* probability vectors: a single output feature answered with ``[[p0, p1]]`` reads the
  positive class's probability (position 1 unless configured).

Input-only or output-only capture leaves the other side's features out of the frame, so they
are not judged. Lines that break any of this are counted and skipped, never fatal.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from obsgov.errors import InputError
from obsgov.io import display_path

from .data import Frame, Malformed, column_from_values

if TYPE_CHECKING:
    from .profile import Baseline

ROW_WRAPPERS = ("instances", "predictions", "inputs", "outputs", "data")
# Content types whose payload holds one JSON document a line.
JSON_LINES_TYPES = ("jsonlines", "json-lines", "x-ndjson", "ndjson", "jsonl")
# A two-class probability vector [p0, p1] gives the positive class's probability here.
DEFAULT_POSITIVE_INDEX = 1


class PayloadError(ValueError):
    pass


class _WidthError(PayloadError):
    """A row of the wrong length; CSV and JSON word it their own way."""


def _format(content_type: str) -> str:
    lowered = content_type.lower()
    if "csv" in lowered:
        return "csv"
    if any(kind in lowered for kind in JSON_LINES_TYPES):
        return "jsonl"
    if "json" in lowered:
        return "json"
    return ""


def _text(part: dict[str, Any]) -> tuple[str, str]:
    """The payload as text and the format to parse it with (csv, json or jsonl)."""
    data = part.get("data")
    encoding = str(part.get("encoding", "")).upper()
    content_type = str(part.get("observedContentType", ""))
    if not isinstance(data, str):
        raise PayloadError("data is not a string")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise PayloadError(f"BASE64 data does not decode ({exc})") from None
        kind = _format(content_type)
        if not kind:
            raise PayloadError(
                f"BASE64 payload of content type {content_type.lower() or '(none)'}: "
                "cannot tell CSV from JSON"
            )
        return data, kind
    if encoding == "CSV":
        return data, "csv"
    if encoding == "JSON":
        return data, "jsonl" if _format(content_type) == "jsonl" else "json"
    raise PayloadError(f"encoding {part.get('encoding')!r} is not CSV, JSON or BASE64")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pick(vector: list[Any], names: Sequence[str], vector_index: int | None) -> dict[str, Any]:
    """One output feature answered with a vector of class probabilities: the positive
    class's probability."""
    index = vector_index
    if index is None:
        if len(vector) != 2:
            raise PayloadError(
                f"a vector of {len(vector)} values cannot fill the one output feature "
                f"{names[0]}: set the positive class index or declare {len(vector)} "
                "output features"
            )
        index = DEFAULT_POSITIVE_INDEX
    if not 0 <= index < len(vector):
        raise PayloadError(f"positive class index {index} is outside a vector of {len(vector)}")
    return {names[0]: vector[index]}


@dataclass(frozen=True)
class _Side:
    """How to read one side (input or output) of a record."""

    names: Sequence[str]
    vector_index: int | None = None  # positive class of probability vectors
    vectors: bool = False  # the output side: a vector may fill one feature, rows may share a line

    def fit(self, values: list[Any]) -> dict[str, Any]:
        if len(values) == len(self.names):
            return dict(zip(self.names, values, strict=True))
        if self.vectors and len(self.names) == 1 and len(values) > 1:
            return _pick(values, self.names, self.vector_index)
        raise _WidthError(f"row has {len(values)} values, expected {len(self.names)}")


def _csv_rows(text: str, side: _Side, expected_rows: int | None) -> list[dict[str, Any]]:
    lines = [[f.strip() for f in fields] for fields in csv.reader(io.StringIO(text)) if fields]
    if not lines:
        return []
    names = list(side.names)
    first = lines[0]
    if (
        len(first) == len(set(first))
        and set(first) <= set(names)
        and not any(_is_number(f) for f in first)
    ):
        header, lines = first, lines[1:]
        rows = []
        for fields in lines:
            if len(fields) != len(header):
                raise PayloadError(f"CSV row has {len(fields)} fields, header has {len(header)}")
            named = dict(zip(header, fields, strict=True))
            rows.append({n: (named.get(n) or None) for n in names})
        return rows
    width = len(names)
    if side.vectors and len(lines) == 1 and len(lines[0]) != width:
        # One line holding several rows: a batch answered on one line (0.1,0.2 for a
        # two-row request). The request's row count decides; without a request (output-only
        # capture) a line that is a whole number of rows is read as rows.
        fields = lines[0]
        many = expected_rows if expected_rows is not None else len(fields) // width
        if many > 1 and len(fields) == width * many:
            lines = [fields[i * width : (i + 1) * width] for i in range(many)]
    rows = []
    for fields in lines:
        try:
            row = side.fit(fields)
        except _WidthError:
            raise PayloadError(f"CSV row has {len(fields)} fields, expected {width}") from None
        rows.append({n: (v if v != "" else None) for n, v in row.items()})
    return rows


def _columns(table: dict[str, Any], side: _Side) -> list[dict[str, Any]] | None:
    """TensorFlow Serving's columnar form: name -> list of values, one per row."""
    lists = {k: v for k, v in table.items() if isinstance(v, list)}
    if not lists or len(lists) != len(table) or not set(lists) & set(side.names):
        return None
    lengths = {len(v) for v in lists.values()}
    if len(lengths) != 1:
        raise PayloadError(f"columnar payload has columns of lengths {sorted(lengths)}")
    count = lengths.pop()
    return [{n: lists[n][i] if n in lists else None for n in side.names} for i in range(count)]


def _json_document(payload: Any, side: _Side) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        for key in ROW_WRAPPERS:
            if key in payload and not (key == "data" and isinstance(payload[key], dict)):
                payload = payload[key]
                break
    if isinstance(payload, dict):
        columnar = _columns(payload, side)
        if columnar is not None:
            return columnar
        if len(payload) == 1:
            (only,) = payload.values()
            if isinstance(only, list) and only and isinstance(only[0], list):
                return [_row(item, side) for item in only]  # a single named tensor of rows
        return [_row(payload, side)]
    if isinstance(payload, list):
        if all(not isinstance(item, (list, dict)) for item in payload):
            if len(side.names) == 1:
                return [_row([item], side) for item in payload]
            return [_row(payload, side)]
        return [_row(item, side) for item in payload]
    return [_row([payload], side)]


def _json_rows(text: str, side: _Side) -> list[dict[str, Any]]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several documents: JSON Lines under a JSON type
            return _json_lines_rows(text, side)
        raise PayloadError(f"JSON payload does not parse ({exc.msg})") from None
    except RecursionError:
        raise PayloadError("JSON payload is nested too deeply to read") from None
    return _json_document(payload, side)


def _json_lines_rows(text: str, side: _Side) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PayloadError(
                f"JSON Lines payload line {number} does not parse ({exc.msg})"
            ) from None
        except RecursionError:
            raise PayloadError(f"JSON Lines payload line {number} is nested too deeply") from None
        rows.extend(_json_document(document, side))
    return rows


def _row(item: Any, side: _Side) -> dict[str, Any]:
    names = side.names
    if isinstance(item, dict):
        if "features" in item and isinstance(item["features"], list):
            return _row(item["features"], side)
        dense = item.get("data")
        if isinstance(dense, dict) and isinstance(dense.get("features"), dict):
            values = dense["features"].get("values")
            if isinstance(values, list):
                return _row(values, side)
        return {n: item.get(n) for n in names}
    if isinstance(item, list):
        try:
            return side.fit(item)
        except _WidthError:
            raise PayloadError(f"JSON row has {len(item)} values, expected {len(names)}") from None
    if len(names) == 1:
        return {names[0]: item}
    raise PayloadError(f"a single value cannot fill {len(names)} features")


def _rows(part: Any, side: _Side, expected_rows: int | None = None) -> list[dict[str, Any]]:
    if not isinstance(part, dict):
        raise PayloadError("is not an object")
    text, kind = _text(part)
    if kind == "csv":
        return _csv_rows(text, side, expected_rows)
    if kind == "jsonl":
        return _json_lines_rows(text, side)
    return _json_rows(text, side)


@dataclass(frozen=True)
class Parsed:
    rows: list[dict[str, Any]]
    has_input: bool
    has_output: bool


def parse_capture(
    line: str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    positive_index: int | None = None,
) -> Parsed:
    """The rows one capture line holds and which sides it captured; raises
    :class:`PayloadError` when it is malformed."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"not JSON ({exc.msg})") from None
    except RecursionError:
        raise PayloadError("nested too deeply to read") from None
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        raise PayloadError("has no captureData object")
    capture = record["captureData"]
    given_in, given_out = "endpointInput" in capture, "endpointOutput" in capture
    if not given_in and not given_out:
        raise PayloadError("captureData has neither endpointInput nor endpointOutput")
    rows_in = _rows(capture["endpointInput"], _Side(inputs)) if given_in and inputs else []
    rows_out = (
        _rows(
            capture["endpointOutput"],
            _Side(outputs, positive_index, vectors=True),
            len(rows_in) if given_in and inputs else None,
        )
        if given_out and outputs
        else []
    )
    has_in, has_out = given_in and bool(inputs), given_out and bool(outputs)
    if has_in and has_out:
        if len(rows_in) != len(rows_out):
            raise PayloadError(f"{len(rows_in)} input rows but {len(rows_out)} output rows")
        return Parsed([{**a, **b} for a, b in zip(rows_in, rows_out, strict=True)], True, True)
    return Parsed(rows_in or rows_out, has_in, has_out)


def parse_record(
    line: str, inputs: Sequence[str], outputs: Sequence[str], positive_index: int | None = None
) -> list[dict[str, Any]]:
    """The rows one capture line holds; raises :class:`PayloadError` when it is malformed."""
    return parse_capture(line, inputs, outputs, positive_index).rows


def capture_files(path: Path) -> list[Path]:
    """A capture file, or every ``*.jsonl`` under a folder (the S3 layout copied down)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    if not path.exists():
        raise InputError.single(display_path(path), "", "file not found")
    return [path]


def read_capture_lines(
    sources: Iterable[tuple[str, Iterable[str]]],
    inputs: Sequence[str],
    outputs: Sequence[str],
    label: str,
    positive_index: int | None = None,
) -> Frame:
    """A frame from (name, lines) pairs: local files or S3 objects alike. Only the sides some
    record captured become columns: with input-only capture the output features are absent,
    not missing, and :func:`captured_features` leaves them unjudged."""
    malformed = Malformed()
    rows: list[dict[str, Any]] = []
    saw_input = saw_output = False
    for name, lines in sources:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                parsed = parse_capture(line, inputs, outputs, positive_index)
            except PayloadError as exc:
                malformed.add(f"{name} line {number}", str(exc))
                continue
            rows.extend(parsed.rows)
            saw_input |= parsed.has_input
            saw_output |= parsed.has_output
    names = [*(inputs if saw_input else []), *(outputs if saw_output else [])]
    columns = {n: column_from_values([r.get(n) for r in rows]) for n in names}
    return Frame(columns, len(rows), label, malformed)


def captured_features(
    inputs: Sequence[str], outputs: Sequence[str], frame: Frame
) -> list[str] | None:
    """The features a capture frame can judge: a side no record captured (input-only or
    output-only capture) is left out. ``None`` when the frame has no rows (nothing to judge
    either way) or every feature was captured."""
    if not frame.rows:
        return None
    captured_in = any(n in frame.columns for n in inputs)
    captured_out = any(n in frame.columns for n in outputs)
    if (captured_in or not inputs) and (captured_out or not outputs):
        return None
    return [*(inputs if captured_in else []), *(outputs if captured_out else [])]


def read_capture(
    path: Path, inputs: Sequence[str], outputs: Sequence[str], positive_index: int | None = None
) -> Frame:
    files = capture_files(path)
    shown = display_path(path)

    def lines(file: Path) -> Iterator[str]:
        try:
            with file.open("r", encoding="utf-8", errors="replace") as handle:
                yield from handle
        except OSError as exc:
            raise InputError.single(
                display_path(file), "", f"cannot be read ({exc.strerror})"
            ) from None

    return read_capture_lines(
        ((display_path(f), lines(f)) for f in files), inputs, outputs, shown, positive_index
    )


def captured_baseline(baseline: Baseline, frame: Frame) -> Baseline:
    """``baseline`` without the features of a side the capture did not record, so input-only
    capture judges no output feature (the CLI and the job both evaluate against this)."""
    names = captured_features(baseline.input_features(), baseline.output_features(), frame)
    if names is None:
        return baseline
    return baseline.model_copy(update={"features": {n: baseline.features[n] for n in names}})


def capture_record(
    inputs: str | None,
    outputs: str | None,
    *,
    input_type: str = "text/csv",
    output_type: str = "text/csv; charset=utf-8",
    encoding: str = "CSV",
    event_id: str = "00000000-0000-0000-0000-000000000000",
    inference_time: str = "2026-11-27T06:00:00Z",
    inference_id: str | None = None,
) -> str:
    """One capture line in the documented shape (for tests, fixtures and the benchmark)."""
    capture: dict[str, Any] = {}
    for key, mode, data, content_type in (
        ("endpointInput", "INPUT", inputs, input_type),
        ("endpointOutput", "OUTPUT", outputs, output_type),
    ):
        if data is None:
            continue
        payload = base64.b64encode(data.encode()).decode() if encoding == "BASE64" else data
        capture[key] = {
            "observedContentType": content_type,
            "mode": mode,
            "data": payload,
            "encoding": encoding,
        }
    metadata = {"eventId": event_id, "inferenceTime": inference_time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"})
