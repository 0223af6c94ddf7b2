"""Read captured predictions and ground-truth labels, and join them by inference id.

Capture lines are SageMaker data capture records ("Capture data from real-time endpoint",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html); label
lines are Model Monitor ground-truth records ("Ingest Ground Truth Labels and Merge Them With
Predictions",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html)::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId, else its eventId>"},
     "eventVersion": "0"}

stored under ``<prefix>/yyyy/mm/dd/hh/`` by the hour the label was *collected*: that hour is
when a label arrived.

The prediction is read from the endpoint output as Model Monitor reads it (``EndpointInput``
of the ModelQualityJobInput API): ``inferenceAttribute`` picks the predicted label and
``probabilityAttribute`` the probability, by position (CSV, JSON lists) or by key (JSON
objects); a probability above ``threshold`` predicts the positive class. Without them: a single
number is the score (binary) or the value (regression); a list of numbers is a probability
vector, read at the positive class's position (position 1 of ``[p0, p1]`` unless configured);
an object's ``predicted_label`` / ``probability`` / ``probabilities`` (+ ``labels``) keys.

Nothing is guessed: a prediction without a label is *missing*; a label collected later than
``label_deadline`` after its inference is *late* (counted, and still used); a line that
cannot be read is *malformed*.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

PROBLEMS = ("binary", "multiclass", "regression")
JSON_LINES_TYPES = ("jsonlines", "json-lines", "x-ndjson", "ndjson", "jsonl")
_WRAPPERS = ("predictions", "outputs", "output")
_LABEL_KEYS = ("predicted_label", "label", "prediction", "predicted_class", "class")
_PROBABILITY_KEYS = ("probability", "score")
_VECTOR_KEYS = ("probabilities", "scores")
_CLASS_LIST_KEYS = ("labels", "classes")

Attribute = str | int


class LineError(ValueError):
    pass


def class_text(value: Any) -> str:
    """Classes compare as text: 1, 1.0, "1" and "1.0" are the same class."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            return text
    if math.isfinite(number) and number.is_integer():
        return str(int(number))
    return repr(number)


@dataclass(frozen=True)
class OutputSpec:
    """How to read a prediction and which class is positive."""

    problem: str = "binary"
    inference_attribute: Attribute | None = None
    probability_attribute: Attribute | None = None
    positive_class: str = "1"
    positive_index: int | None = None  # position of the positive class in probability vectors
    classes: tuple[str, ...] = ()  # class labels by position, for vectors without labels
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}, not {self.problem!r}")
        if self.positive_index is not None and self.positive_index < 0:
            raise ValueError(f"positive class index {self.positive_index} is negative")


@dataclass
class Prediction:
    inference_id: str
    time: datetime | None
    value: Any  # binary: score of the positive class; multiclass: class text; regression: float


@dataclass
class Joined:
    # (prediction, label): binary (score, 1.0 | 0.0), multiclass (class, class),
    # regression (value, value)
    pairs: list[tuple[Any, Any]] = field(default_factory=list)
    missing: int = 0
    late: int = 0
    malformed: list[str] = field(default_factory=list)
    unmatched_labels: int = 0


def _payload(part: Any) -> tuple[str, str]:
    """The payload's text and how to parse it: csv, json or jsonl."""
    if not isinstance(part, dict) or not isinstance(part.get("data"), str):
        raise LineError("payload has no data string")
    data, encoding = part["data"], str(part.get("encoding", "")).upper()
    content_type = str(part.get("observedContentType", "")).lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise LineError("BASE64 payload does not decode") from None
    if any(kind in content_type for kind in JSON_LINES_TYPES):
        return data, "jsonl"
    if encoding == "JSON" or "json" in content_type:
        return data, "json"
    if encoding in ("CSV", "") or "csv" in content_type:
        return data, "csv"
    return data, "json"  # BASE64 of an unknown type: JSON if it parses, else CSV


def _number_or_text(text: str) -> Any:
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        return stripped


def _document(text: str, kind: str) -> Any:
    """The one prediction a payload holds, as JSON would hold it."""
    stripped = text.strip()
    if not stripped:
        raise LineError("payload is empty")
    if kind in ("json", "jsonl"):
        documents = []
        try:
            documents = [json.loads(stripped)]
        except RecursionError:
            raise LineError("payload is nested too deeply to read") from None
        except json.JSONDecodeError:
            try:
                documents = [json.loads(line) for line in stripped.splitlines() if line.strip()]
            except (json.JSONDecodeError, RecursionError):
                if kind == "jsonl":
                    raise LineError("JSON Lines payload does not parse") from None
        if documents:
            if len(documents) != 1:
                raise LineError(
                    f"{len(documents)} predictions in one record: ground truth joins one "
                    "label per inference id"
                )
            return documents[0]
    rows = [row for row in csv.reader(io.StringIO(stripped)) if row]
    if len(rows) != 1:
        raise LineError(
            f"{len(rows)} predictions in one record: ground truth joins one label per inference id"
        )
    values = [_number_or_text(v) for v in rows[0]]
    return values[0] if len(values) == 1 else values


def _unwrap(value: Any) -> Any:
    while True:
        if isinstance(value, dict):
            key = next((k for k in _WRAPPERS if k in value), None)
            if key is None:
                return value
            value = value[key]
        elif isinstance(value, list) and len(value) == 1:
            value = value[0]
        else:
            return value


def _attribute(document: Any, attribute: Attribute, name: str) -> Any:
    if isinstance(attribute, int):
        if isinstance(document, list) and -len(document) <= attribute < len(document):
            return document[attribute]
        raise LineError(f"{name} {attribute} is not a position of the output {_short(document)}")
    current = document
    for part in attribute.split("."):
        if not isinstance(current, dict) or part not in current:
            raise LineError(f"{name} {attribute!r} is not in the output {_short(current)}")
        current = current[part]
    return current


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LineError(f"{what} {_short(value)} is not a number") from None
    if not math.isfinite(number):
        raise LineError(f"{what} is not finite")
    return number


def _vector(value: Any) -> list[float] | None:
    if (
        isinstance(value, list)
        and len(value) > 1
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return [_finite(v, "probability") for v in value]
    return None


def _positive_position(vector: list[float], names: Sequence[str], spec: OutputSpec) -> int:
    if spec.positive_index is not None:
        index = spec.positive_index
    elif names:
        texts = [class_text(n) for n in names]
        if class_text(spec.positive_class) not in texts:
            raise LineError(
                f"positive class {spec.positive_class!r} is not one of the classes "
                f"{', '.join(texts)}"
            )
        index = texts.index(class_text(spec.positive_class))
    elif len(vector) == 2:
        index = 1
    else:
        raise LineError(
            f"a vector of {len(vector)} probabilities: set the positive class index or the "
            "class labels"
        )
    if index >= len(vector):
        raise LineError(f"positive class index {index} is outside a vector of {len(vector)}")
    return index


def read_prediction(text: str, kind: str, spec: OutputSpec) -> Any:
    """The prediction value ``spec.problem`` needs, from one output payload."""
    document = _unwrap(_document(text, kind))
    label, probability, names = _prediction_fields(document, spec)
    if spec.problem == "regression":
        return _finite(label if label is not None else probability, "prediction")
    vector = _vector(probability)
    if spec.problem == "multiclass":
        if label is not None:
            return class_text(label)
        if vector is None:
            raise LineError(f"output {_short(document)} holds no class and no probability vector")
        best = max(range(len(vector)), key=lambda i: vector[i])
        return class_text(names[best]) if best < len(names) else str(best)
    if vector is not None:
        return vector[_positive_position(vector, names, spec)]
    if probability is not None:
        return _finite(probability, "probability")
    # a predicted class alone: certain of it, so its score is 1 for the positive class
    return 1.0 if class_text(label) == class_text(spec.positive_class) else 0.0


def _prediction_fields(document: Any, spec: OutputSpec) -> tuple[Any, Any, Sequence[str]]:
    """(label, probability, class names) of one output: at the attributes the spec names,
    else where the common output shapes keep them."""
    if spec.inference_attribute is None and spec.probability_attribute is None:
        return _common_prediction_fields(document, spec)
    label = probability = None
    if spec.inference_attribute is not None:
        label = _attribute(document, spec.inference_attribute, "inferenceAttribute")
    if spec.probability_attribute is not None:
        probability = _attribute(document, spec.probability_attribute, "probabilityAttribute")
    return label, probability, spec.classes


def _common_prediction_fields(document: Any, spec: OutputSpec) -> tuple[Any, Any, Sequence[str]]:
    label = probability = None
    names: Sequence[str] = spec.classes
    if isinstance(document, dict):
        label = next((document[k] for k in _LABEL_KEYS if k in document), None)
        probability = next(
            (document[k] for k in (*_VECTOR_KEYS, *_PROBABILITY_KEYS) if k in document), None
        )
        listed = next((document[k] for k in _CLASS_LIST_KEYS if k in document), None)
        if isinstance(listed, list):
            names = [class_text(n) for n in listed]
        if label is None and probability is None:
            raise LineError(f"output {_short(document)} names no label or probability")
    elif _vector(document) is not None:
        probability = document
    elif isinstance(document, list):
        raise LineError(f"output {_short(document)}: set inferenceAttribute")
    elif spec.problem == "multiclass":
        label = document
    else:
        probability = document
    return label, probability, names


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_prediction(line: str, spec: OutputSpec | None = None) -> Prediction:
    spec = spec or OutputSpec()
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
    if output is None:
        raise LineError("no endpointOutput: the endpoint does not capture its output")
    text, kind = _payload(output)
    return Prediction(key, _time(meta.get("inferenceTime")), read_prediction(text, kind, spec))


def parse_label(line: str, spec: OutputSpec | None = None) -> tuple[str, Any]:
    """(event id, label): 1.0 / 0.0 for the positive class (binary), the class text
    (multiclass), the number (regression)."""
    spec = spec or OutputSpec()
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
    text, kind = _payload(record.get("groundTruthData"))
    value = _unwrap(_document(text, "json" if kind == "jsonl" else kind))
    if isinstance(value, (list, dict)):
        raise LineError(f"label {_short(value)} is not a single value")
    if spec.problem == "regression":
        return key, _finite(value, "label")
    if isinstance(value, float) and not math.isfinite(value):
        raise LineError("label is not finite")
    label = class_text(value)
    if spec.problem == "binary":
        return key, 1.0 if label == class_text(spec.positive_class) else 0.0
    return key, label


Lines = Iterable[tuple[str, Iterable[str]]]  # (source name, lines)
LabelLines = Iterable[tuple[str, datetime | None, Iterable[str]]]  # + when it was collected


def join(
    captures: Lines,
    labels: LabelLines,
    *,
    window_start: datetime,
    window_end: datetime,
    label_deadline: timedelta,
    spec: OutputSpec | None = None,
) -> Joined:
    spec = spec or OutputSpec()
    result = Joined()
    predictions: dict[str, Prediction] = {}
    for name, lines in captures:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                prediction = parse_prediction(line, spec)
            except LineError as exc:
                result.malformed.append(f"{name} line {number}: {exc}")
                continue
            if prediction.time is None or window_start <= prediction.time < window_end:
                predictions[prediction.inference_id] = prediction
    found: dict[str, tuple[Any, datetime | None]] = {}
    for name, arrived, lines in labels:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                key, label = parse_label(line, spec)
            except LineError as exc:
                result.malformed.append(f"{name} line {number}: {exc}")
                continue
            found[key] = (label, arrived)
    for key, prediction in predictions.items():
        if key not in found:
            result.missing += 1
            continue
        label, arrived = found.pop(key)
        due = (prediction.time or window_end) + label_deadline
        result.late += arrived is not None and arrived > due
        result.pairs.append((prediction.value, label))
    result.unmatched_labels = len(found)
    return result
