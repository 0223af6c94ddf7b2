"""The input layer: every hostile or careless file becomes one InputError naming the file,
and the line and key path where there is one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from obsgov.errors import InputError
from obsgov.io import parse_yaml, read_json, read_text, read_yaml


def problem(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run in tmp_path, so messages show the short relative names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, data) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- files


def test_missing_file(here):
    assert problem(read_yaml, "nope.yaml") == "nope.yaml: file not found"


def test_a_folder_is_not_a_file(here):
    (here / "dir.yaml").mkdir()
    assert problem(read_yaml, "dir.yaml") == "dir.yaml: is a folder, expected a file"


def test_symlink_loop(here):
    os.symlink("loop.yaml", here / "loop.yaml")
    assert problem(read_yaml, "loop.yaml") == (
        "loop.yaml: is a symlink loop (a symlink that points back to itself)"
    )


def test_a_fifo_is_refused_without_blocking(here):
    os.mkfifo(here / "pipe.json")
    assert problem(read_json, "pipe.json") == "pipe.json: is not a regular file"


def test_size_bound(here):
    write(here / "big.yaml", "a: " + "x" * 100 + "\n")
    assert problem(read_text, "big.yaml", max_bytes=50) == (
        "big.yaml: is 104 bytes; the limit is 50"
    )


def test_invalid_utf8_names_the_byte_offset_and_line(here):
    write(here / "latin1.yaml", b"a: 1\nb: caf\xe9\n")
    assert problem(read_yaml, "latin1.yaml") == (
        "latin1.yaml: is not valid UTF-8: byte 0xe9 at byte offset 11 (line 2)"
    )


def test_invalid_utf8_in_json(here):
    write(here / "state.json", b'{"a": "\xff"}')
    assert problem(read_json, "state.json") == (
        "state.json: is not valid UTF-8: byte 0xff at byte offset 7 (line 1)"
    )


def test_byte_order_mark_is_accepted(here):
    write(here / "bom.yaml", "\ufeffa: 1\n")
    assert read_yaml("bom.yaml") == {"a": 1}


def test_paths_outside_the_working_directory_are_shown_whole(tmp_path):
    path = tmp_path / "nope.yaml"
    assert problem(read_yaml, path) == f"{path}: file not found"


# --------------------------------------------------------------------------- YAML


def test_plain_yaml_becomes_plain_data(here):
    write(here / "ok.yaml", "a: [1, {b: 2.5}, 'x']\nc: true\nd: null\ne: 0x10\n")
    assert read_yaml("ok.yaml") == {"a": [1, {"b": 2.5}, "x"], "c": True, "d": None, "e": 16}


def test_empty_yaml_is_none(here):
    write(here / "empty.yaml", "")
    assert read_yaml("empty.yaml") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: 1\nb: 2\na: 3\n",
            "x.yaml: a: line 3: duplicate key 'a' (YAML would keep only the last one)",
        ),
        (
            "top:\n  inner: 1\n  inner: 2\n",
            "x.yaml: top.inner: line 3: duplicate key 'inner' (YAML would keep only the last one)",
        ),
        (
            "when: 2024-01-01\n",
            "x.yaml: when: line 1: is a date or time, which JSON cannot hold; quote it to keep it "
            "as text",
        ),
        (
            "blob: !!binary aGVsbG8=\n",
            "x.yaml: blob: line 1: is !!binary data, which obsgov does not accept; use a string",
        ),
        (
            "s: !!set {a, b}\n",
            "x.yaml: s: line 1: is a !!set, which obsgov does not accept; use a list",
        ),
        (
            "o: !!omap [{a: 1}]\n",
            "x.yaml: o: line 1: is an !!omap, which obsgov does not accept; use a mapping",
        ),
        ("x: !custom 1\n", "x.yaml: x: line 1: has the unsupported tag !custom"),
        ("a: &a [*a]\n", "x.yaml: a[0]: line 1: is a recursive alias (it contains itself)"),
        (
            "1: one\nb: two\n",
            "x.yaml: line 1: has the key '1', which YAML reads as int; keys must be strings "
            "(quote it)",
        ),
        (
            "config:\n  on: true\n",
            "x.yaml: config: line 2: has the key 'on', which YAML reads as bool; keys must be "
            "strings (quote it)",
        ),
        (
            "? [a, b]\n: 1\n",
            "x.yaml: line 1: has a key that is a list or mapping; keys must be strings",
        ),
        ("n: .inf\n", "x.yaml: n: line 1: '.inf' is not a finite number"),
        ("n: .nan\n", "x.yaml: n: line 1: '.nan' is not a finite number"),
        (
            "a: [unclosed\n",
            "x.yaml: line 2 column 1: invalid YAML (did not find expected ',' or ']')",
        ),
        ("a: 1\n---\nb: 2\n", "x.yaml: line 2 column 1: invalid YAML (but found another document)"),
        ("a: *nowhere\n", "x.yaml: line 1 column 4: invalid YAML (found undefined alias)"),
        (
            "a:\n  <<: 5\n",
            "x.yaml: a: line 2: a merge key (<<) must name a mapping or a list of them",
        ),
    ],
)
def test_yaml_refusals(here, text, expected):
    write(here / "x.yaml", text)
    assert problem(read_yaml, "x.yaml") == expected


def test_merge_keys_are_expanded_and_local_keys_win(here):
    write(here / "m.yaml", "base: &b {x: 1, y: 1}\nc:\n  <<: *b\n  y: 2\n")
    assert read_yaml("m.yaml") == {"base": {"x": 1, "y": 1}, "c": {"x": 1, "y": 2}}


def test_aliases_are_copies_not_shared_objects(here):
    write(here / "a.yaml", "a: &x [1]\nb: *x\n")
    data = read_yaml("a.yaml")
    assert data == {"a": [1], "b": [1]}
    assert data["a"] is not data["b"]


def _alias_bomb(levels: int = 12) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_fast(here):
    write(here / "bomb.yaml", _alias_bomb())
    started = time.perf_counter()
    message = problem(read_yaml, "bomb.yaml")
    elapsed = time.perf_counter() - started
    assert message == (
        "bomb.yaml: l6: line 7: expands to more than 1000000 values (aliases that repeat aliases?)"
    )
    assert elapsed < 0.5, f"alias bomb took {elapsed:.2f}s"


def test_deep_nesting_is_bounded(here):
    text = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 80))
    write(here / "deep.yaml", text)
    message = problem(read_yaml, "deep.yaml")
    assert message.endswith("line 66: is nested more than 64 levels deep")


def test_deep_flow_nesting_is_refused_by_the_parser(here):
    write(here / "deep.yaml", "[" * 5000 + "]" * 5000)
    assert problem(read_yaml, "deep.yaml") == (
        "deep.yaml: line 1 column 1001: invalid YAML (exceeded maximum nesting depth)"
    )


def test_parse_yaml_names_what_it_was_given():
    assert problem(parse_yaml, "a: 1\na: 2\n", "--set") == (
        "--set: a: line 2: duplicate key 'a' (YAML would keep only the last one)"
    )


# --------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"a": {"b": 1,\n "b": 2}}',
            "x.json: a.b: line 2: duplicate key 'b' (JSON readers disagree on which one wins)",
        ),
        (
            '[{"k": 1}, {"k": 1, "k": 2}]',
            "x.json: [1].k: line 1: duplicate key 'k' (JSON readers disagree on which one wins)",
        ),
        ('{"a": NaN}', "x.json: invalid JSON (NaN is not a finite number; JSON has no NaN)"),
        (
            '{"a": -Infinity}',
            "x.json: invalid JSON (-Infinity is not a finite number; JSON has no -Infinity)",
        ),
        ('{"a": [1, 2,]}', "x.json: line 1 column 13: invalid JSON (Expecting value)"),
        ("", "x.json: line 1 column 1: invalid JSON (Expecting value)"),
        ("[" * 100_000 + "]" * 100_000, "x.json: is nested more than 200 levels deep"),
        ("[" * 300 + "]" * 300, "x.json: is nested more than 200 levels deep"),
    ],
)
def test_json_refusals(here, text, expected):
    write(here / "x.json", text)
    assert problem(read_json, "x.json") == expected


def test_json_depth_limit_is_a_parameter(here):
    write(here / "x.json", '{"a": {"b": {"c": 1}}}')
    assert read_json("x.json") == {"a": {"b": {"c": 1}}}
    assert problem(read_json, "x.json", max_depth=2) == (
        "x.json: is nested more than 2 levels deep"
    )
