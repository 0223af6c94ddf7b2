"""Reading datasets (Parquet, CSV, JSON Lines; a file, a folder or an S3 prefix) as a stream
of Arrow record batches, and turning batch columns into the arrays the statistics need.

Nothing here holds a whole dataset: a :class:`Source` yields batches of at most
:data:`BATCH_ROWS` rows, and a folder or S3 prefix is read one file at a time (an S3 object is
downloaded to a temporary file that is deleted once read). Readers never raise on bad rows:
CSV rows with the wrong number of fields and JSON lines that are not objects (or not UTF-8)
are skipped, counted and sampled for the report. A file that cannot be read at all, a CSV that
is not UTF-8 (named with its line), a header naming a column twice: an ``InputError`` naming
the file.

CSV files carry no types, so CSV columns are read as text and converted here: a column is
numeric when every value in its first block parses as a number and none has a leading zero
(``01234`` is a code, not the number 1234), a timestamp when every value parses as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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
# Rows per record batch: large enough for vectorised kernels to pay off, small enough that a
# batch of 50 float64 features stays near 50 MB.
BATCH_ROWS = 131_072
# CSV is parsed in blocks of this many bytes; type inference looks at the first block.
CSV_BLOCK_BYTES = 8 << 20


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
    """Named columns of equal length held in memory, plus what could not be read. Small
    inputs (tests, data capture) come as frames; :class:`FrameSource` streams one."""

    columns: dict[str, pa.ChunkedArray]
    rows: int
    source: str
    malformed: Malformed = field(default_factory=Malformed)

    @classmethod
    def from_table(cls, table: pa.Table, source: str, malformed: Malformed | None = None) -> Frame:
        _refuse_duplicate_names(table.column_names, source)
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
        return cls(_columns_from_records(records), len(records), source, malformed or Malformed())


def _columns_from_records(records: Sequence[dict[str, Any]]) -> dict[str, pa.ChunkedArray]:
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            names.setdefault(key, None)
    return {name: column_from_values([r.get(name) for r in records]) for name in names}


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


def _refuse_duplicate_names(names: Sequence[str], shown: str, where: str = "") -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise InputError.single(
                shown,
                where,
                f"names column {name!r} twice (columns {seen[name]} and {position}); rename one",
            )
        seen[name] = position


# --------------------------------------------------------------------------- sources


class Source:
    """A dataset read as a stream of record batches.

    ``names`` are the columns known before reading (a file's header or schema); JSON Lines
    discovers its keys while reading, so read ``names`` again after :meth:`batches`.
    ``untyped`` says the values came as text (CSV), so numbers may be inferred from them.
    """

    name: str
    malformed: Malformed
    untyped: bool = False

    @property
    def names(self) -> list[str]:
        raise NotImplementedError

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Batches holding ``columns`` (those the dataset has; all when ``None``)."""
        raise NotImplementedError


class FrameSource(Source):
    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self.name = frame.source
        self.malformed = frame.malformed
        self._read = False

    @property
    def names(self) -> list[str]:
        return list(self.frame.columns)

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        wanted = [c for c in (columns or self.names) if c in self.frame.columns]
        if self.frame.rows == 0 and not wanted:
            return
        table = pa.table({c: self.frame.columns[c] for c in wanted}) if wanted else None
        if table is None:
            # no wanted column: batches of the right length carry the row count
            placeholder = pa.table({"__rows__": pa.nulls(self.frame.rows)})
            yield from placeholder.select([]).to_batches(max_chunksize=BATCH_ROWS)
            return
        yield from table.to_batches(max_chunksize=BATCH_ROWS)


class ParquetSource(Source):
    def __init__(self, path: Path, shown: str) -> None:
        import pyarrow.parquet as pq

        self.name = shown
        self.malformed = Malformed()
        try:
            # without pre-buffering: pyarrow would otherwise hold whole row groups (about
            # 500 MB more at 10M rows x 10 columns in 1M-row groups)
            self._file = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
            schema = self._file.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError.single(
                shown, "", f"cannot be read as Parquet ({_first_line(exc)})"
            ) from None
        self._names = list(schema.names)
        _refuse_duplicate_names(self._names, shown)

    @property
    def names(self) -> list[str]:
        return self._names

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        wanted = [c for c in columns if c in self._names] if columns is not None else None
        try:
            if wanted == []:
                # no wanted column in this file: row counts only
                for group in range(self._file.num_row_groups):
                    rows = self._file.metadata.row_group(group).num_rows
                    yield pa.record_batch({"__rows__": pa.nulls(rows)}).select([])
                return
            yield from self._file.iter_batches(batch_size=BATCH_ROWS, columns=wanted)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError.single(
                self.name, "", f"cannot be read as Parquet ({_first_line(exc)})"
            ) from None


class CsvSource(Source):
    untyped = True

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.name = shown
        self.malformed = Malformed()
        try:
            with path.open("rb") as handle:
                first = handle.readline()
        except OSError as exc:
            raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
        try:
            header = first.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError.single(shown, "line 1", _not_utf8(first, exc)) from None
        self._names = next(iter(_csv_rows([header])), [])
        if not self._names:
            raise InputError.single(shown, "", "cannot be read as CSV (no header line)")
        _refuse_duplicate_names(self._names, shown, "line 1")

    @property
    def names(self) -> list[str]:
        return self._names

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        from pyarrow import csv

        def skip(row: Any) -> str:
            self.malformed.add(
                f"line {row.number}" if row.number is not None else "a row",
                f"expected {row.expected_columns} fields, found {row.actual_columns}",
            )
            return "skip"

        wanted = [c for c in columns if c in self._names] if columns is not None else self._names
        try:
            reader = csv.open_csv(
                self.path,
                read_options=csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                parse_options=csv.ParseOptions(invalid_row_handler=skip),
                convert_options=csv.ConvertOptions(
                    # every column as text: types are decided by the baseline or inferred
                    # here, so a later block cannot contradict the first one
                    column_types={n: pa.string() for n in self._names},
                    include_columns=wanted or self._names[:1],
                    strings_can_be_null=True,
                ),
            )
            for batch in reader:
                if not wanted:
                    batch = batch.select([])
                yield from _split(batch)
        except pa.ArrowInvalid as exc:
            if "invalid UTF8" in str(exc):
                line, message = _first_non_utf8_line(self.path)
                raise InputError.single(self.name, f"line {line}", message) from None
            raise InputError.single(
                self.name, "", f"cannot be read as CSV ({_first_line(exc)})"
            ) from None
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError.single(
                self.name, "", f"cannot be read as CSV ({_first_line(exc)})"
            ) from None


def _split(batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, BATCH_ROWS):
        yield batch.slice(start, BATCH_ROWS)


def _not_utf8(line: bytes, exc: UnicodeDecodeError) -> str:
    byte = line[exc.start : exc.start + 1].hex()
    return (
        f"is not UTF-8 text (byte 0x{byte} at column {exc.start + 1}); save the file as "
        "UTF-8 (it may be Latin-1 or Windows-1252)"
    )


def _first_non_utf8_line(path: Path) -> tuple[int, str]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, _not_utf8(line, exc)
    return 1, "is not UTF-8 text; save the file as UTF-8"


class JsonlSource(Source):
    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.name = shown
        self.malformed = Malformed()
        self._names: dict[str, None] = {}

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        self.malformed = Malformed()
        records: list[dict[str, Any]] = []
        try:
            with self.path.open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    record = self._record(number, raw)
                    if record is None:
                        continue
                    for key in record:
                        self._names.setdefault(key, None)
                    records.append(record)
                    if len(records) >= BATCH_ROWS:
                        yield self._batch(records, columns)
                        records = []
        except OSError as exc:
            raise InputError.single(self.name, "", f"cannot be read ({exc.strerror})") from None
        if records:
            yield self._batch(records, columns)

    def _record(self, number: int, raw: bytes) -> dict[str, Any] | None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.malformed.add(f"line {number}", _not_utf8(raw, exc).split(";")[0])
            return None
        if not line.strip():
            return None
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            self.malformed.add(f"line {number}", f"not JSON ({exc.msg})")
            return None
        except RecursionError:
            self.malformed.add(f"line {number}", "nested too deeply")
            return None
        if not isinstance(record, dict):
            self.malformed.add(f"line {number}", "not a JSON object")
            return None
        return record

    @staticmethod
    def _batch(records: list[dict[str, Any]], columns: Sequence[str] | None) -> pa.RecordBatch:
        names = list(columns) if columns is not None else None
        if names is not None:
            records = [{k: r[k] for k in names if k in r} for r in records]
        found = _columns_from_records(records)
        if not found:
            return pa.record_batch({"__rows__": pa.nulls(len(records))}).select([])
        return pa.record_batch({k: v.combine_chunks() for k, v in found.items()})


class MultiSource(Source):
    """Several files read one after the other (a folder, an S3 prefix, partitions)."""

    def __init__(self, parts: Sequence[Any], shown: str, opener: Any) -> None:
        self.parts = list(parts)
        self.name = shown
        self.malformed = Malformed()
        self._opener = opener
        self._names: dict[str, None] = {}
        self.untyped = False
        if self.parts:
            first = self._opener(self.parts[0])
            self.untyped = first.untyped
            for n in first.names:
                self._names.setdefault(n, None)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        self.malformed = Malformed()
        for part in self.parts:
            source = self._opener(part)
            for n in source.names:
                self._names.setdefault(n, None)
            yield from source.batches(columns)
            for n in source.names:
                self._names.setdefault(n, None)
            prefixed = Malformed(source.malformed.count, [])
            for example in source.malformed.examples:
                prefixed.examples.append(f"{source.name} {example}")
            self.malformed.merge(prefixed)


def detect_format(path: Path | str) -> str:
    suffix = "".join(Path(str(path)).suffixes[-1:]).lower()
    return {
        ".parquet": "parquet",
        ".pq": "parquet",
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
    }.get(suffix, "")


def open_file(path: Path, shown: str | None = None, fmt: str | None = None) -> Source:
    shown = shown or display_path(path)
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return ParquetSource(path, shown)
    if fmt == "csv":
        return CsvSource(path, shown)
    if fmt == "jsonl":
        return JsonlSource(path, shown)
    raise InputError.single(
        shown, "", "cannot tell the format from the name; use .parquet, .csv or .jsonl"
    )


def open_source(location: str | Path, option: str = "--data", fmt: str | None = None) -> Source:
    """A file, a folder of files of one format, or ``s3://bucket/key`` / ``s3://bucket/prefix/``."""
    text = str(location)
    if text.startswith("s3://"):
        return _s3_source(text, option, fmt)
    path = Path(text)
    shown = display_path(path)
    if not path.exists():
        raise InputError.single(shown, "", "file not found")
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not p.name.startswith((".", "_")) and detect_format(p)
        )
        formats = {fmt or detect_format(p) for p in files}
        if not files:
            raise InputError.single(shown, "", "is a folder with no .parquet, .csv or .jsonl file")
        if len(formats) > 1:
            raise InputError.single(
                shown, "", f"mixes formats ({', '.join(sorted(formats))}); give one format"
            )
        return MultiSource(files, shown, lambda p: open_file(p, display_path(p), fmt))
    if not (fmt or detect_format(path)):
        raise InputError.single(
            option,
            "",
            f"{shown}: cannot tell the format from the name; use .parquet, .csv or .jsonl",
        )
    return open_file(path, shown, fmt)


def _s3_source(uri: str, option: str, fmt: str | None) -> Source:
    import boto3

    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError.single(option, "", f"{uri}: name a bucket: s3://bucket/key")
    s3 = boto3.client("s3")
    if key and not key.endswith("/") and (fmt or detect_format(key)):
        keys = [key]
    else:
        keys = []
        prefix = key if not key or key.endswith("/") else key + "/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if item.get("Size", 0) > 0 and not name.startswith(("_", ".")):
                    keys.append(item["Key"])
        keys = [k for k in sorted(keys) if fmt or detect_format(k)]
        if not keys:
            raise InputError.single(
                option, "", f"{uri}: no .parquet, .csv or .jsonl object under that prefix"
            )

    def opener(object_key: str) -> Source:
        return _S3Object(s3, bucket, object_key, fmt)

    if len(keys) == 1 and keys[0] == key:
        return opener(key)
    return MultiSource(keys, uri, opener)


class _S3Object(Source):
    """One S3 object, downloaded to a temporary file when read and deleted afterwards."""

    def __init__(self, s3: Any, bucket: str, key: str, fmt: str | None) -> None:
        self.s3, self.bucket, self.key, self.fmt = s3, bucket, key, fmt or detect_format(key)
        self.name = f"s3://{bucket}/{key}"
        self.malformed = Malformed()
        self.untyped = self.fmt == "csv"
        self._names: list[str] = []
        if self.fmt == "csv":
            first = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
            line = first.split(b"\n", 1)[0].rstrip(b"\r")
            try:
                header = line.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError.single(self.name, "line 1", _not_utf8(line, exc)) from None
            self._names = next(iter(_csv_rows([header])), [])

    @property
    def names(self) -> list[str]:
        return self._names

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        with tempfile.TemporaryDirectory(prefix="obsgov-drift-") as folder:
            local = Path(folder) / Path(self.key).name
            self.s3.download_file(self.bucket, self.key, str(local))
            source = open_file(local, self.name, self.fmt)
            self._names = source.names
            yield from source.batches(columns)
            self._names = source.names
            self.malformed = source.malformed


def read_frame(
    path: Path, option: str = "--data", fmt: str | None = None, text_columns: Iterable[str] = ()
) -> Frame:
    """Read a whole (small) file into memory. ``text_columns`` are kept as text whatever
    they look like; other CSV columns are typed as :func:`infer_kind` decides."""
    source = open_source(path, option, fmt)
    batches = list(source.batches())
    names = source.names
    text = set(text_columns)
    columns: dict[str, pa.ChunkedArray] = {}
    rows = sum(b.num_rows for b in batches)
    for name in names:
        chunks = [
            b.column(name) if name in b.schema.names else pa.nulls(b.num_rows) for b in batches
        ]
        column = _concat(chunks)
        if source.untyped and name not in text:
            column = typed_from_text(column)
        columns[name] = column
    return Frame(columns, rows, source.name, source.malformed)


def _concat(chunks: list[pa.Array]) -> pa.ChunkedArray:
    kinds = {c.type for c in chunks if not pa.types.is_null(c.type)}
    if len(kinds) > 1:
        chunks = [pc.cast(c, pa.string()) if not pa.types.is_string(c.type) else c for c in chunks]
        chunks = [
            c if pa.types.is_string(c.type) else pa.array([None] * len(c), pa.string())
            for c in chunks
        ]
    elif kinds:
        target = kinds.pop()
        chunks = [c.cast(target) if pa.types.is_null(c.type) else c for c in chunks]
    if not chunks:
        return pa.chunked_array([], type=pa.null())
    return pa.chunked_array(chunks)


def _csv_rows(lines: Iterable[str]) -> Iterable[list[str]]:
    import csv as std_csv

    return std_csv.reader(lines)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- types


def is_numeric_type(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def is_time_type(kind: pa.DataType) -> bool:
    return pa.types.is_timestamp(kind) or pa.types.is_date(kind)


_NUMBER = r"^\s*[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)\s*$"
# A leading zero followed by a digit ("01234", "007") marks a code: reading it as a number
# would lose the zero, so such a column stays text.
_CODE = r"^\s*[+-]?0\d"
_DATE = r"^\s*\d{4}-\d{2}-\d{2}"


def infer_kind(column: pa.Array | pa.ChunkedArray, untyped: bool) -> str:
    """``numeric``, ``integer`` (numeric with whole values: a candidate identifier),
    ``timestamp`` or ``categorical``, from the values in ``column``."""
    kind = column.type
    if pa.types.is_integer(kind):
        return "integer"
    if is_numeric_type(kind):
        return "numeric"
    if is_time_type(kind):
        return "timestamp"
    if pa.types.is_boolean(kind) or pa.types.is_dictionary(kind) or pa.types.is_null(kind):
        return "categorical"
    if not is_text_type(kind):
        return "categorical"
    present = pc.drop_null(column)
    if len(present) == 0:
        return "categorical"
    if untyped and pc.all(pc.match_substring_regex(present, _NUMBER, ignore_case=True)).as_py():
        if not pc.any(pc.match_substring_regex(present, _CODE)).as_py():
            whole = pc.all(pc.match_substring_regex(present, r"^\s*[+-]?\d+\s*$")).as_py()
            return "integer" if whole else "numeric"
        return "categorical"
    # a failing cast of a long text column is slow: only dates at the front get tried
    head = present.slice(0, 1000)
    if pc.all(pc.match_substring_regex(head, _DATE)).as_py() and _timestamps(present) is not None:
        return "timestamp"
    return "categorical"


def typed_from_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A CSV text column as the type :func:`infer_kind` finds (for in-memory frames)."""
    kind = infer_kind(column, untyped=True)
    if kind in ("numeric", "integer"):
        converted = numeric_values(column)
        if kind == "integer":
            try:
                return pa.chunked_array([pc.cast(column, pa.int64())])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        mask = np.isnan(converted.values)
        return pa.chunked_array([pa.array(converted.values, mask=mask)])
    if kind == "timestamp":
        stamped = _timestamps(column)
        if stamped is not None:
            return stamped if isinstance(stamped, pa.ChunkedArray) else pa.chunked_array([stamped])
    return column


def _timestamps(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """ISO 8601 text as UTC timestamps, or None when some value is not one. Values with an
    offset are converted to UTC; values without one are taken as UTC."""
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            return pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


# --------------------------------------------------------------------------- conversions


@dataclass
class NumericColumn:
    """A column as float64: ``values`` has NaN wherever there is no usable number."""

    values: np.ndarray
    missing: int  # null or NaN
    invalid: int  # present but not a number (text in a numeric feature)


def numeric_values(column: pa.Array | pa.ChunkedArray) -> NumericColumn:
    """Numbers as float64. Integers past 2**53 (identifiers, epoch nanoseconds) lose their
    last digits, as any float64 statistic would; text is parsed, and what does not parse is
    counted as invalid."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, pa.string())
        kind = column.type
    if is_numeric_type(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
        values = _float_array(pc.cast(column, pa.float64(), safe=False))
        return NumericColumn(values, int(np.isnan(values).sum()), 0)
    if is_time_type(kind):
        return epoch_seconds(column)
    if is_text_type(kind):
        column = pc.utf8_trim_whitespace(column)
        try:
            values = _float_array(pc.cast(column, pa.float64()))
            return NumericColumn(values, int(np.isnan(values).sum()), 0)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        number = pc.match_substring_regex(column, _NUMBER, ignore_case=True)
        number = pc.fill_null(number, False)
        good = pc.if_else(number, column, pa.scalar(None, column.type))
        values = _float_array(pc.cast(good, pa.float64()))
        invalid = int(len(column) - column.null_count - pc.sum(number).as_py())
        return NumericColumn(values, int(np.isnan(values).sum()) - invalid, invalid)
    # nested or binary content: one value at a time
    out = np.empty(len(column), dtype=np.float64)
    invalid = 0
    for i, item in enumerate(column.to_pylist()):
        number_value = _as_number(item)
        if number_value is None:
            out[i] = math.nan
            invalid += item is not None
        else:
            out[i] = number_value
    return NumericColumn(out, int(np.isnan(out).sum()) - invalid, invalid)


# kept for callers of the in-memory API
def numeric_column(column: pa.ChunkedArray | pa.Array) -> NumericColumn:
    return numeric_values(column)


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


def _float_array(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    filled = pc.fill_null(column, math.nan) if column.null_count else column
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)


_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def epoch_seconds(column: pa.Array | pa.ChunkedArray) -> NumericColumn:
    """Timestamps and dates as seconds since 1970-01-01 UTC (float64: microseconds survive
    for dates within a few centuries of 1970). Text is read as ISO 8601; what does not parse
    is invalid."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, pa.string())
        kind = column.type
    if pa.types.is_timestamp(kind):
        raw = pc.cast(column, pa.int64())
        values = _float_array(pc.cast(raw, pa.float64(), safe=False)) * _UNIT_SECONDS[kind.unit]
        return NumericColumn(values, int(np.isnan(values).sum()), 0)
    if pa.types.is_date(kind):
        days = pc.cast(pc.cast(column, pa.date32()), pa.int32())
        values = _float_array(pc.cast(days, pa.float64())) * 86_400.0
        return NumericColumn(values, int(np.isnan(values).sum()), 0)
    if is_text_type(kind):
        stamped = _timestamps(column)
        if stamped is not None:
            return epoch_seconds(stamped)
        out = np.full(len(column), math.nan)
        invalid = 0
        for i, item in enumerate(column.to_pylist()):
            if item is None:
                continue
            moment = _parse_moment(item)
            if moment is None:
                invalid += 1
            else:
                out[i] = moment
        return NumericColumn(out, int(np.isnan(out).sum()) - invalid, invalid)
    if is_numeric_type(kind):
        # numbers in a timestamp feature are taken as epoch seconds
        return numeric_values(column)
    return NumericColumn(
        np.full(len(column), math.nan), column.null_count, len(column) - column.null_count
    )


def _parse_moment(text: str) -> float | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def text_values(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as text for categorical features; numbers print as the schema's
    :func:`category_text` does (1.0 as "1")."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = column.type
    if pa.types.is_string(kind):
        return column
    if pa.types.is_large_string(kind):
        return pc.cast(column, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, pa.scalar("true"), pa.scalar("false"))
    if pa.types.is_dictionary(kind) or pa.types.is_integer(kind) or pa.types.is_null(kind):
        return pc.cast(column, pa.string())
    if pa.types.is_floating(kind):
        values = column.to_numpy(zero_copy_only=False)
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**53)
        if bool(whole.all()) and column.null_count == 0:
            return pc.cast(pc.cast(column, pa.int64()), pa.string())
    texts = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else category_text(v)
        for v in column.to_pylist()
    ]
    return pa.array(texts, type=pa.string())


def text_column(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    return pa.chunked_array([text_values(column)])


def value_counts(column: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray, int]:
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


# --------------------------------------------------------------------------- hashing

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STRING_BASE = np.uint64(0x100000001B3)
_NULL_HASH = np.uint64(0x5BD1E9955BD1E995)


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64 that spreads every input bit."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64, copy=True)
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
    return z


def hash_numbers(values: np.ndarray) -> np.ndarray:
    """Equal numbers hash equal: one NaN (null and NaN alike), and -0.0 as 0.0."""
    canonical = np.where(np.isnan(values), np.nan, values) + 0.0
    return mix64(canonical.view(np.uint64) ^ _GOLDEN)


def hash_integers(column: pa.Array) -> np.ndarray:
    raw = pc.fill_null(pc.cast(column, pa.int64(), safe=False), 0).to_numpy(zero_copy_only=False)
    hashed = mix64(raw.astype(np.int64).view(np.uint64))
    if column.null_count:
        hashed[np.asarray(column.is_null().to_numpy(zero_copy_only=False))] = _NULL_HASH
    return hashed


def hash_strings(column: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string's UTF-8 bytes (polynomial, then mixed), computed over the
    whole array at once; null hashes to a constant. Deterministic across processes and
    machines, unlike Python's ``hash``, so Spark executors agree."""
    if pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    n = len(column)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    _, offsets_buffer, data_buffer = column.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[column.offset : column.offset + n + 1]
    offsets = offsets.astype(np.int64)
    first, last = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[first:last].astype(np.uint64)
        if data_buffer is not None and last > first
        else np.zeros(0, dtype=np.uint64)
    )
    lengths = np.diff(offsets)
    with np.errstate(over="ignore"):
        if data.size:
            longest = int(lengths.max())
            powers = np.cumprod(np.full(longest, _STRING_BASE, dtype=np.uint64), dtype=np.uint64)
            owner_start = np.repeat(offsets[:-1] - first, lengths)
            position = np.arange(data.size, dtype=np.int64) - owner_start
            contributions = (data + np.uint64(1)) * powers[position]
            running = np.concatenate(
                (np.zeros(1, dtype=np.uint64), np.cumsum(contributions, dtype=np.uint64))
            )
            sums = running[offsets[1:] - first] - running[offsets[:-1] - first]
        else:
            sums = np.zeros(n, dtype=np.uint64)
        hashed = mix64(sums ^ (lengths.astype(np.uint64) * _GOLDEN))
    if column.null_count:
        hashed[np.asarray(column.is_null().to_numpy(zero_copy_only=False))] = _NULL_HASH
    return hashed


def hash_text(column: pa.Array) -> np.ndarray:
    """:func:`hash_strings` through a dictionary: each distinct value is hashed once."""
    if len(column) == 0:
        return np.zeros(0, dtype=np.uint64)
    encoded = pc.dictionary_encode(column)
    codes = hash_strings(encoded.dictionary)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    out = np.where(indices >= 0, codes[np.maximum(indices, 0)] if codes.size else 0, _NULL_HASH)
    return out.astype(np.uint64)


__all__ = [
    "BATCH_ROWS",
    "FORMATS",
    "Frame",
    "FrameSource",
    "Malformed",
    "NumericColumn",
    "Source",
    "detect_format",
    "epoch_seconds",
    "hash_numbers",
    "hash_strings",
    "hash_text",
    "infer_kind",
    "numeric_values",
    "open_source",
    "read_frame",
    "text_values",
    "value_counts",
]
