"""SageMaker data capture: JSON Lines files an endpoint writes to S3, one inference a line.

The documented record shape::

    {"captureData": {
        "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                           "data": "5.1,3.5,1.4", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": "{\\"predictions\\": [0.93]}", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...",
                       "inferenceTime": "2026-11-27T06:00:00Z"},
     "eventVersion": "0"}

``encoding`` is CSV, JSON or BASE64 (the bytes of whatever ``observedContentType`` says, which
is what an endpoint records for content types it was not told are CSV or JSON). A CSV payload
holds one row a line, its fields in the order of the baseline's input (or output) features; a
JSON payload is a row (a list or a name-to-value object), a list of rows, or either wrapped in
``instances`` / ``predictions`` / ``inputs``. Lines that break any of this are counted and
skipped, never fatal.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from obsgov.errors import InputError
from obsgov.io import display_path

from .data import Frame, Malformed, column_from_values

WRAPPERS = ("instances", "predictions", "inputs", "outputs", "data")


class PayloadError(ValueError):
    pass


def _text(part: dict[str, Any]) -> tuple[str, str]:
    """The payload as text and the format to parse it with (csv or json)."""
    data = part.get("data")
    encoding = str(part.get("encoding", "")).upper()
    content_type = str(part.get("observedContentType", "")).lower()
    if not isinstance(data, str):
        raise PayloadError("data is not a string")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise PayloadError(f"BASE64 data does not decode ({exc})") from None
        if "csv" in content_type:
            return data, "csv"
        if "json" in content_type:
            return data, "json"
        raise PayloadError(
            f"BASE64 payload of content type {content_type or '(none)'}: cannot tell CSV from JSON"
        )
    if encoding == "CSV":
        return data, "csv"
    if encoding == "JSON":
        return data, "json"
    raise PayloadError(f"encoding {part.get('encoding')!r} is not CSV, JSON or BASE64")


def _csv_rows(text: str, names: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for fields in csv.reader(io.StringIO(text)):
        if not fields:
            continue
        if len(fields) != len(names):
            raise PayloadError(f"CSV row has {len(fields)} fields, expected {len(names)}")
        rows.append(
            {
                n: (v.strip() if v.strip() != "" else None)
                for n, v in zip(names, fields, strict=True)
            }
        )
    return rows


def _json_rows(text: str, names: Sequence[str]) -> list[dict[str, Any]]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"JSON payload does not parse ({exc.msg})") from None
    except RecursionError:
        raise PayloadError("JSON payload is nested too deeply to read") from None
    if isinstance(payload, dict):
        for key in WRAPPERS:
            if key in payload:
                payload = payload[key]
                break
    if isinstance(payload, dict):
        return [_row(payload, names)]
    if isinstance(payload, list):
        if all(not isinstance(item, (list, dict)) for item in payload):
            if len(names) == 1:
                return [_row([item], names) for item in payload]
            return [_row(payload, names)]
        return [_row(item, names) for item in payload]
    return [_row([payload], names)]


def _row(item: Any, names: Sequence[str]) -> dict[str, Any]:
    if isinstance(item, dict):
        if "features" in item and isinstance(item["features"], list):
            return _row(item["features"], names)
        return {n: item.get(n) for n in names}
    if isinstance(item, list):
        if len(item) != len(names):
            raise PayloadError(f"JSON row has {len(item)} values, expected {len(names)}")
        return dict(zip(names, item, strict=True))
    if len(names) == 1:
        return {names[0]: item}
    raise PayloadError(f"a single value cannot fill {len(names)} features")


def _rows(part: Any, names: Sequence[str]) -> list[dict[str, Any]]:
    if not isinstance(part, dict):
        raise PayloadError("is not an object")
    text, kind = _text(part)
    return _csv_rows(text, names) if kind == "csv" else _json_rows(text, names)


def parse_record(line: str, inputs: Sequence[str], outputs: Sequence[str]) -> list[dict[str, Any]]:
    """The rows one capture line holds; raises :class:`PayloadError` when it is malformed."""
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
    rows_in = _rows(capture["endpointInput"], inputs) if given_in and inputs else []
    rows_out = _rows(capture["endpointOutput"], outputs) if given_out and outputs else []
    if rows_in and rows_out:
        if len(rows_in) != len(rows_out):
            raise PayloadError(f"{len(rows_in)} input rows but {len(rows_out)} output rows")
        return [{**a, **b} for a, b in zip(rows_in, rows_out, strict=True)]
    return rows_in or rows_out


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
) -> Frame:
    """A frame from (name, lines) pairs: local files or S3 objects alike."""
    malformed = Malformed()
    rows: list[dict[str, Any]] = []
    for name, lines in sources:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.extend(parse_record(line, inputs, outputs))
            except PayloadError as exc:
                malformed.add(f"{name} line {number}", str(exc))
    names = [*inputs, *outputs]
    columns = {n: column_from_values([r.get(n) for r in rows]) for n in names}
    return Frame(columns, len(rows), label, malformed)


def read_capture(path: Path, inputs: Sequence[str], outputs: Sequence[str]) -> Frame:
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

    return read_capture_lines(((display_path(f), lines(f)) for f in files), inputs, outputs, shown)


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
