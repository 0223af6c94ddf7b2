"""Reading windows: CSV, JSON Lines and Parquet, with bad rows counted instead of fatal."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from obsgov.drift.data import (
    hash_strings,
    hash_text,
    infer_kind,
    numeric_column,
    numeric_values,
    open_source,
    read_frame,
    text_column,
    value_counts,
)
from obsgov.drift.profile import build_baseline
from obsgov.errors import InputError


def test_csv_keeps_declared_text_columns_as_text(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("zip,amount\n01234,1.5\n98765,\n01234,2.5\n")
    frame = read_frame(path, text_columns=["zip"])
    assert frame.columns["zip"].to_pylist() == ["01234", "98765", "01234"]
    amounts = numeric_column(frame.columns["amount"])
    assert amounts.missing == 1
    assert amounts.invalid == 0
    assert amounts.values[0] == 1.5
    assert math.isnan(amounts.values[1])


def test_jsonl_counts_bad_lines_and_mixed_types(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n[1, 2]\n{"a": "oops", "b": "y"}\nnot json\n\n{"a": 2.5}\n')
    frame = read_frame(path)
    assert frame.rows == 3
    assert frame.malformed.count == 2
    assert frame.malformed.examples == [
        "line 2: not a JSON object",
        "line 4: not JSON (Expecting value)",
    ]
    a = numeric_column(frame.columns["a"])
    assert (a.missing, a.invalid) == (0, 1)
    assert a.values[0] == 1.0
    assert a.values[2] == 2.5
    assert frame.columns["b"].to_pylist() == ["x", "y", None]


def test_categories_compare_as_text():
    column = pa.chunked_array([pa.array([1.0, 2.0, None, 1.5])])
    assert text_column(column).to_pylist() == ["1", "2", None, "1.5"]
    names, counts, nulls = value_counts(
        text_column(pa.chunked_array([pa.array([True, False, True])]))
    )
    assert dict(zip(names, counts.tolist(), strict=True)) == {"true": 2, "false": 1}
    assert nulls == 0


def test_numeric_column_from_booleans_and_nulls():
    column = numeric_column(pa.chunked_array([pa.array([True, None, False])]))
    assert column.missing == 1
    assert column.values[0] == 1.0
    assert column.values[2] == 0.0
    assert np.isnan(column.values[1])


def test_empty_and_folder_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError) as caught:
        read_frame(tmp_path / "x.parquet")
    assert caught.value.problems[0].message == "file not found"
    folder = tmp_path / "d.csv"
    folder.mkdir()
    with pytest.raises(InputError) as caught:
        read_frame(folder)
    assert caught.value.problems[0].message == ("is a folder with no .parquet, .csv or .jsonl file")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError) as caught:
        read_frame(empty)
    assert caught.value.problems[0].message.startswith("cannot be read as CSV (")


def test_a_folder_of_partitions_reads_as_one_dataset(tmp_path):
    import pyarrow.parquet as pq

    folder = tmp_path / "parts"
    (folder / "day=1").mkdir(parents=True)
    (folder / "day=2").mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0]}), folder / "day=1" / "a.parquet")
    pq.write_table(pa.table({"x": [3.0]}), folder / "day=2" / "b.parquet")
    (folder / "_SUCCESS").write_text("")
    source = open_source(folder)
    assert [b.num_rows for b in source.batches(["x"])] == [2, 1]
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.csv").write_text("x\n1\n")
    (mixed / "b.jsonl").write_text('{"x": 1}\n')
    with pytest.raises(InputError) as caught:
        open_source(mixed)
    assert caught.value.problems[0].message == "mixes formats (csv, jsonl); give one format"


def test_csv_with_a_column_named_twice_is_an_input_error(tmp_path, monkeypatch):
    """Issue 33: a CSV with duplicate column names exited 3."""
    monkeypatch.chdir(tmp_path)
    path = Path("dup.csv")
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert caught.value.report() == (
        "1 problem found:\n  dup.csv: line 1: names column 'a' twice (columns 1 and 3); rename one"
    )


def test_latin1_csv_names_the_file_and_line(tmp_path, monkeypatch):
    """Issue 33: a Latin-1 CSV stored as b'Jos\\xe9' was read (exit 0)."""
    monkeypatch.chdir(tmp_path)
    Path("names.csv").write_bytes(b"name,x\nAnn,1\nJos\xe9,2\n")
    with pytest.raises(InputError) as caught:
        list(open_source(Path("names.csv")).batches())
    assert caught.value.report() == (
        "1 problem found:\n  names.csv: line 3: is not UTF-8 text (byte 0xe9 at column 4); "
        "save the file as UTF-8 (it may be Latin-1 or Windows-1252)"
    )


def test_jsonl_lines_that_are_not_utf8_are_malformed(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_bytes(b'{"name": "Ann"}\n{"name": "Jos\xe9"}\n')
    source = open_source(path)
    assert sum(b.num_rows for b in source.batches()) == 1
    assert source.malformed.examples == ["line 2: is not UTF-8 text (byte 0xe9 at column 14)"]


def test_header_only_csv_is_not_a_baseline(tmp_path):
    """Issue 33: a header-only CSV baseline exited 0."""
    path = tmp_path / "train.csv"
    path.write_text("age,plan\n")
    with pytest.raises(InputError) as caught:
        build_baseline(open_source(path))
    assert caught.value.problems[0].message == ("has no data rows: a baseline needs training data")


def test_schemaless_csv_keeps_codes_with_leading_zeros_as_text(tmp_path):
    """Issue 31: a schema-less CSV baseline turned ZIP codes into numbers."""
    path = tmp_path / "train.csv"
    path.write_text(
        "zip,amount,count\n" + "".join(f"0{1000 + i % 9},{i * 0.5},{i}\n" for i in range(40))
    )
    baseline = build_baseline(open_source(path))
    assert baseline.features["zip"].type == "categorical"
    assert "01000" in baseline.features["zip"].categories
    assert baseline.features["amount"].type == "numeric"
    assert baseline.features["count"].type == "numeric"


def test_kinds_are_inferred_from_values():
    def column(values):
        return pa.array(values)

    assert infer_kind(column(["1", "2.5", None, "-3e2", "nan"]), untyped=True) == "numeric"
    assert infer_kind(column(["1", "22"]), untyped=True) == "integer"
    assert infer_kind(column(["01234", "12345"]), untyped=True) == "categorical"
    assert infer_kind(column(["1", "2"]), untyped=False) == "categorical"  # typed text stays text
    assert infer_kind(column(["2026-11-27T06:00:00Z", None]), untyped=True) == "timestamp"
    assert infer_kind(column(["2026-11-27 06:00:00", "2026-11-28"]), untyped=False) == "timestamp"
    assert infer_kind(column([1, 2]), untyped=False) == "integer"


def test_numbers_past_2_53_convert_without_error():
    """Issue 31: int64 above 2**53 raised ArrowInvalid in the float conversion."""
    converted = numeric_values(pa.chunked_array([pa.array([2**60, 5], pa.int64())]))
    assert converted.values.tolist() == [float(2**60), 5.0]
    assert converted.invalid == 0


def test_text_with_stray_words_in_a_numeric_column_is_counted_invalid():
    converted = numeric_values(pa.array(["1.5", "abc", None, " 2 ", "inf"]))
    assert converted.invalid == 1
    assert converted.missing == 1
    assert converted.values[0] == 1.5
    assert converted.values[3] == 2.0
    assert converted.values[4] == math.inf


def _reference_string_hash(value: bytes) -> int:
    """hash_strings written out one byte at a time (the vectorised code must agree)."""
    mask = (1 << 64) - 1
    total = 0
    power = 1
    for byte in value:
        power = (power * 0x100000001B3) & mask
        total = (total + (byte + 1) * power) & mask
    z = total ^ ((len(value) * 0x9E3779B97F4A7C15) & mask)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def test_string_hashes_are_deterministic_and_slice_safe():
    values = ["", "a", "ab", "ba", "José", "x" * 300, None]
    column = pa.array(values)
    hashed = hash_strings(column)
    for value, got in zip(values[:-1], hashed[:-1].tolist(), strict=True):
        assert value is not None
        assert got == _reference_string_hash(value.encode("utf-8"))
    assert len(set(hashed[:-1].tolist())) == 6
    # a slice of an array hashes its own strings, not its neighbours'
    assert hash_strings(column.slice(2, 3)).tolist() == hashed[2:5].tolist()
    # through a dictionary: the same values hash the same
    assert hash_text(pa.array(["ab", "a", "ab"])).tolist() == [hashed[2], hashed[1], hashed[2]]
