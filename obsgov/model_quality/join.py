"""Read captured predictions and ground-truth labels, and join them by inference id.

Capture lines are SageMaker data capture records; the prediction is the endpoint output's
single value (CSV first field, or JSON number / ``predictions[0]`` / ``score``). Label lines are
Model Monitor ground-truth records::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId or eventId>"}, "eventVersion": "0"}

Nothing is guessed: a prediction without a label is *missing*, a label that arrived after the
deadline is *late* (counted, and still used), a line that cannot be read is *malformed*.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass
class Prediction:
    inference_id: str
    time: datetime | None
    value: float


@dataclass
class Joined:
    pairs: list[tuple[float, float]] = field(default_factory=list)  # (prediction, label)
    missing: int = 0
    late: int = 0
    malformed: list[str] = field(default_factory=list)
    unmatched_labels: int = 0


class LineError(ValueError):
    pass


def _payload(part: Any) -> str:
    if not isinstance(part, dict) or not isinstance(part.get("data"), str):
        raise LineError("payload has no data string")
    data, encoding = part["data"], str(part.get("encoding", "")).upper()
    if encoding == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise LineError("BASE64 payload does not decode") from None
    return data


def single_value(text: str) -> float:
    """The one number a payload holds: CSV's first field, a JSON number, or the first element
    of a JSON list, ``predictions`` or ``score``."""
    stripped = text.strip()
    try:
        value: Any = json.loads(stripped)
    except json.JSONDecodeError:
        value = stripped.splitlines()[0].split(",")[0] if stripped else ""
    except RecursionError:
        raise LineError("payload is nested too deeply to read") from None
    for key in ("predictions", "scores", "score", "label", "prediction"):
        if isinstance(value, dict) and key in value:
            value = value[key]
            break
    while isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("score", value.get("label"))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LineError(f"payload {stripped[:40]!r} holds no single number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise LineError("payload value is not finite")
    return number


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_prediction(line: str) -> Prediction:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise LineError("not JSON") from None
    except RecursionError:
        raise LineError("nested too deeply to read") from None
    if not isinstance(record, dict):
        raise LineError("not a capture record")
    meta = record.get("eventMetadata") or {}
    key = meta.get("inferenceId") or meta.get("eventId")
    if not isinstance(key, str) or not key:
        raise LineError("no eventMetadata.inferenceId or eventId")
    output = (record.get("captureData") or {}).get("endpointOutput")
    return Prediction(key, _time(meta.get("inferenceTime")), single_value(_payload(output)))


def parse_label(line: str) -> tuple[str, float]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise LineError("not JSON") from None
    except RecursionError:
        raise LineError("nested too deeply to read") from None
    if not isinstance(record, dict):
        raise LineError("not a ground-truth record")
    key = (record.get("eventMetadata") or {}).get("eventId")
    if not isinstance(key, str) or not key:
        raise LineError("no eventMetadata.eventId")
    return key, single_value(_payload(record.get("groundTruthData")))


Lines = Iterable[tuple[str, Iterable[str]]]  # (source name, lines)
LabelLines = Iterable[tuple[str, datetime | None, Iterable[str]]]  # + when it arrived


def join(
    captures: Lines,
    labels: LabelLines,
    *,
    window_start: datetime,
    window_end: datetime,
    label_deadline: timedelta,
) -> Joined:
    result = Joined()
    predictions: dict[str, Prediction] = {}
    for name, lines in captures:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                prediction = parse_prediction(line)
            except LineError as exc:
                result.malformed.append(f"{name} line {number}: {exc}")
                continue
            if prediction.time is None or window_start <= prediction.time < window_end:
                predictions[prediction.inference_id] = prediction
    found: dict[str, tuple[float, bool]] = {}
    for name, arrived, lines in labels:
        late = arrived is not None and arrived > window_end + label_deadline
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                key, label = parse_label(line)
            except LineError as exc:
                result.malformed.append(f"{name} line {number}: {exc}")
                continue
            found[key] = (label, late)
    for key, prediction in predictions.items():
        if key not in found:
            result.missing += 1
            continue
        label, late = found.pop(key)
        result.late += late
        result.pairs.append((prediction.value, label))
    result.unmatched_labels = len(found)
    return result
