"""Reading a dataset (Parquet, CSV or JSON Lines) into columns, and turning columns into the
arrays the statistics need.

Readers never raise on bad rows: CSV rows with the wrong number of fields and JSON lines that
are not objects are skipped, counted and sampled for the report. A file that cannot be read at
all is an ``InputError`` naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from obsgov.errors import InputError
from obsgov.io import display_path

from .schema import category_text

FORMATS = ("parquet", "csv", "jsonl")
# How many bad lines the report quotes; the count is always complete.
EXAMPLES_KEPT = 5


@dataclass
class Malformed:
    """Rows or records that could not be read, with a few examples for the report."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, where: str, why: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(f"{where}: {why}")

    def merge(self, other: Malformed) -> None:
        self.count += other.count
        room = EXAMPLES_KEPT - len(self.examples)
        self.examples.extend(other.examples[: max(room, 0)])


@dataclass
class Frame:
    """Named columns of equal length, plus what could not be read."""

    columns: dict[str, pa.ChunkedArray]
    rows: int
    source: str
    malformed: Malformed = field(default_factory=Malformed)

    @classmethod
    def from_table(cls, table: pa.Table, source: str, malformed: Malformed | None = None) -> Frame:
        return cls(
            {name: table.column(name) for name in table.column_names},
            table.num_rows,
            source,
            malformed or Malformed(),
        )

    @classmethod
    def from_records(
        cls, records: Sequence[dict[str, Any]], source: str, malformed: Malformed | None = None
    ) -> Frame:
        names: dict[str, None] = {}
        for record in records:
            for key in record:
                names.setdefault(key, None)
        columns = {name: column_from_values([r.get(name) for r in records]) for name in names}
        return cls(columns, len(records), source, malformed or Malformed())


def column_from_values(values: list[Any]) -> pa.ChunkedArray:
    """An Arrow column from Python values; a column mixing types becomes text, so a stray
    string in a numeric feature is later counted as a schema violation, not a crash."""
    try:
        return pa.chunked_array([pa.array(values)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        texts = [
            None if v is None else (v if isinstance(v, str) else json.dumps(v)) for v in values
        ]
        return pa.chunked_array([pa.array(texts, type=pa.string())])


def detect_format(path: Path) -> str:
    suffix = "".join(path.suffixes[-1:]).lower()
    return {
        ".parquet": "parquet",
        ".pq": "parquet",
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
    }.get(suffix, "")


def read_frame(
    path: Path, option: str = "--data", fmt: str | None = None, text_columns: Iterable[str] = ()
) -> Frame:
    """Read ``path``; ``text_columns`` are read as text whatever they look like (categorical
    codes such as ZIP codes must not become numbers)."""
    shown = display_path(path)
    fmt = fmt or detect_format(path)
    if not fmt:
        raise InputError.single(
            option,
            "",
            f"{shown}: cannot tell the format from the name; use .parquet, .csv or .jsonl",
        )
    if not path.exists():
        raise InputError.single(shown, "", "file not found")
    if path.is_dir():
        raise InputError.single(shown, "", "is a folder; give a file")
    if fmt == "parquet":
        return _read_parquet(path, shown)
    if fmt == "csv":
        return _read_csv(path, shown, set(text_columns))
    return _read_jsonl(path, shown)


def _read_parquet(path: Path, shown: str) -> Frame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError.single(
            shown, "", f"cannot be read as Parquet ({_first_line(exc)})"
        ) from None
    return Frame.from_table(table, shown)


def _read_csv(path: Path, shown: str, text_columns: set[str]) -> Frame:
    from pyarrow import csv

    malformed = Malformed()

    def skip(row: Any) -> str:
        malformed.add(
            f"line {row.number}" if row.number is not None else "a row",
            f"expected {row.expected_columns} fields, found {row.actual_columns}",
        )
        return "skip"

    try:
        header = path.open("r", encoding="utf-8", errors="replace").readline()
    except OSError as exc:
        raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
    names = next(iter(_csv_rows([header])), [])
    try:
        table = csv.read_csv(
            path,
            parse_options=csv.ParseOptions(invalid_row_handler=skip),
            convert_options=csv.ConvertOptions(
                column_types={n: pa.string() for n in names if n in text_columns},
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError.single(shown, "", f"cannot be read as CSV ({_first_line(exc)})") from None
    return Frame.from_table(table, shown, malformed)


def _csv_rows(lines: Iterable[str]) -> Iterable[list[str]]:
    import csv as std_csv

    return std_csv.reader(lines)


def _read_jsonl(path: Path, shown: str) -> Frame:
    malformed = Malformed()
    records: list[dict[str, Any]] = []
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    malformed.add(f"line {number}", f"not JSON ({exc.msg})")
                    continue
                except RecursionError:
                    malformed.add(f"line {number}", "nested too deeply to read")
                    continue
                if not isinstance(record, dict):
                    malformed.add(f"line {number}", "not a JSON object")
                    continue
                records.append(record)
    except OSError as exc:
        raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
    return Frame.from_records(records, shown, malformed)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- column conversion


@dataclass
class NumericColumn:
    """A column as float64: ``values`` has NaN wherever there is no usable number."""

    values: np.ndarray
    missing: int  # null or NaN
    invalid: int  # present but not a number (text in a numeric feature)


def is_numeric_type(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def numeric_column(column: pa.ChunkedArray) -> NumericColumn:
    kind = column.type
    if is_numeric_type(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
        values = _float_array(pc.cast(column, pa.float64()))
        return NumericColumn(values, int(np.isnan(values).sum()), 0)
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, pa.string())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        try:
            values = _float_array(pc.cast(column, pa.float64()))
            return NumericColumn(values, int(np.isnan(values).sum()), 0)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    # Mixed or unexpected content: the slow path, one value at a time.
    out = np.empty(len(column), dtype=np.float64)
    invalid = 0
    for i, item in enumerate(column.to_pylist()):
        number = _as_number(item)
        if number is None:
            out[i] = math.nan
            invalid += item is not None
        else:
            out[i] = number
    return NumericColumn(out, int(np.isnan(out).sum()) - invalid, invalid)


def _as_number(item: Any) -> float | None:
    if item is None or isinstance(item, bool):
        return None if item is None else float(item)
    if isinstance(item, (int, float)):
        return float(item)
    if isinstance(item, str):
        try:
            return float(item)
        except ValueError:
            return None
    return None


def _float_array(column: pa.ChunkedArray) -> np.ndarray:
    filled = pc.fill_null(column, math.nan) if column.null_count else column
    if filled.num_chunks == 1:
        return filled.chunk(0).to_numpy(zero_copy_only=False)
    return (
        np.concatenate([c.to_numpy(zero_copy_only=False) for c in filled.chunks])
        if filled.num_chunks
        else np.empty(0, dtype=np.float64)
    )


def text_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as text for categorical features; numbers print as the schema's
    :func:`category_text` does (1.0 as "1")."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column
    if pa.types.is_dictionary(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return pc.cast(column, pa.string())
    if pa.types.is_null(kind):
        return pc.cast(column, pa.string())
    texts = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else category_text(v)
        for v in column.to_pylist()
    ]
    return pa.chunked_array([pa.array(texts, type=pa.string())])


def value_counts(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray, int]:
    """Distinct non-null values, their counts, and the number of nulls."""
    if len(column) == 0:
        return [], np.zeros(0, dtype=np.int64), 0
    counted = pc.value_counts(column)
    values = counted.field("values")
    counts = counted.field("counts").to_numpy(zero_copy_only=False).astype(np.int64)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    nulls = int(counts[~valid].sum())
    names = values.filter(values.is_valid()).to_pylist()
    return names, counts[valid], nulls
