"""Reading windows: CSV, JSON Lines and Parquet, with bad rows counted instead of fatal."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from obsgov.drift.data import numeric_column, read_frame, text_column, value_counts
from obsgov.errors import InputError


def test_csv_keeps_declared_text_columns_as_text(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("zip,amount\n01234,1.5\n98765,\n01234,2.5\n")
    frame = read_frame(path, text_columns=["zip"])
    assert frame.columns["zip"].to_pylist() == ["01234", "98765", "01234"]
    amounts = numeric_column(frame.columns["amount"])
    assert amounts.missing == 1 and amounts.invalid == 0
    assert amounts.values[0] == 1.5 and math.isnan(amounts.values[1])


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
    assert a.values[0] == 1.0 and a.values[2] == 2.5
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
    assert column.missing == 1 and column.values[0] == 1.0 and column.values[2] == 0.0
    assert np.isnan(column.values[1])


def test_empty_and_folder_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError) as caught:
        read_frame(tmp_path / "x.parquet")
    assert caught.value.problems[0].message == "file not found"
    folder = tmp_path / "d.csv"
    folder.mkdir()
    with pytest.raises(InputError) as caught:
        read_frame(folder)
    assert caught.value.problems[0].message == "is a folder; give a file"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError) as caught:
        read_frame(empty)
    assert caught.value.problems[0].message.startswith("cannot be read as CSV (")
