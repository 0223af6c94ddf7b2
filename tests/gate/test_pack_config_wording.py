"""The ``--policy-pack-config`` format read as the CLI reads it, and config errors worded as
the CLI's gojsonschema words them, checked without starting a pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from obsgov.errors import InputError, Problem
from obsgov.gate.pack_config import (
    PolicyConfig,
    PolicySchemaInfo,
    load_pack_config_file,
    parse_pack_config,
    validate,
)


def _refused(data) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        parse_pack_config(data, "cfg.json")
    return list(caught.value.problems)


def test_levels_properties_and_the_reserved_environments_key():
    assert parse_pack_config(
        {
            "all": "advisory",
            "a": {"enforcementLevel": "disabled", "limit": 3},
            "b": {"limit": 4},
            "c": {},
            "environments": ["prod"],
        },
        "cfg.json",
    ) == {
        "all": PolicyConfig("advisory", None),
        "a": PolicyConfig("disabled", {"limit": 3}),
        "b": PolicyConfig(None, {"limit": 4}),
    }
    assert parse_pack_config(None, "cfg.json") == {}


def test_a_document_that_is_not_an_object_is_refused():
    assert _refused(["advisory"]) == [
        Problem("cfg.json", "", "must be a JSON object keyed by policy name or all")
    ]


@pytest.mark.parametrize(
    ("data", "key", "value"),
    [
        ({"a": "strict"}, "a", "'strict'"),
        ({"a": {"enforcementLevel": 1}}, "a.enforcementLevel", "1"),
    ],
)
def test_an_unknown_level_lists_the_levels(data, key, value):
    assert _refused(data) == [
        Problem(
            "cfg.json",
            key,
            f"{value} is not a valid enforcement level (expected one of advisory, mandatory, "
            "remediate, disabled)",
        )
    ]


def test_a_value_that_is_neither_a_level_nor_an_object_is_refused():
    assert _refused({"a": [1, "x"]}) == [
        Problem("cfg.json", "a", '[1, "x"] is not a valid value; must be a string or object')
    ]


def test_a_missing_file_names_the_option(tmp_path: Path):
    with pytest.raises(InputError) as caught:
        load_pack_config_file(tmp_path / "x.json", "--config")
    assert caught.value.problems == [
        Problem("--config", "", f"{tmp_path / 'x.json'} does not exist")
    ]


def test_an_empty_file_is_no_config(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text(" \n")
    assert load_pack_config_file(path) == {}


# --------------------------------------------------------------------------- validation

SCHEMA = PolicySchemaInfo(
    name="p",
    enforcement_level="advisory",
    properties={
        "count": {"type": "integer", "minimum": 1, "maximum": 9},
        "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
        "mode": {"enum": ["on", "off"]},
        "items": {"type": "array", "minItems": 1},
        "nested": {"type": "object", "additionalProperties": False, "properties": {}},
        "either": {"type": ["string", "null"]},
        "const": {"const": 1},
    },
    required=["count"],
)


def _errors(**properties) -> list[str]:
    return validate([SCHEMA], {"p": PolicyConfig(None, properties)})


def test_each_schema_error_in_the_clis_words():
    assert _errors() == ["p: count is required"]
    assert _errors(count=1.5) == ["p: count: Invalid type. Expected: integer, given: number"]
    assert _errors(count=0) == ["p: count: Must be greater than or equal to 1"]
    assert _errors(count=10) == ["p: count: Must be less than or equal to 9"]
    assert _errors(count=1, name="a") == [
        "p: name: String length must be greater than or equal to 2"
    ]
    assert _errors(count=1, name="abcde") == [
        "p: name: String length must be less than or equal to 4"
    ]
    assert _errors(count=1, name="AB") == ["p: name: Does not match pattern '^[a-z]+$'"]
    assert _errors(count=1, mode="auto") == [
        'p: mode: mode must be one of the following: "on", "off"'
    ]
    assert _errors(count=1, items=[]) == ["p: items: Array must have at least 1 items"]
    assert _errors(count=1, nested={"x": 1}) == ["p: nested: Additional property x is not allowed"]
    assert _errors(count=1, either=3.0) == [
        "p: either: Invalid type. Expected: string, null, given: integer"
    ]
    assert _errors(count=1, name=True) == [
        "p: name: Invalid type. Expected: string, given: boolean"
    ]
    assert _errors(count=1, const=2) == ["p: const: 1 was expected"]


def test_bounds_arrive_as_doubles_and_are_worded_as_numbers():
    """Schemas reach the gate through protobuf Structs, so ``minimum: 1`` arrives as 1.0;
    gojsonschema words it as 1, and a fractional bound as itself."""
    doubles = PolicySchemaInfo(
        name="d",
        enforcement_level="advisory",
        properties={"ratio": {"minimum": 0.5}, "count": {"minimum": 1.0}},
    )
    config = {"d": PolicyConfig(None, {"ratio": 0.25, "count": 0})}
    assert validate([doubles], config) == [
        "d: count: Must be greater than or equal to 1",
        "d: ratio: Must be greater than or equal to 0.5",
    ]


def test_errors_come_in_field_order_and_policies_without_schema_are_skipped():
    plain = PolicySchemaInfo(name="q", enforcement_level="advisory")
    config = {"p": PolicyConfig(None, {"name": "A", "count": 0}), "q": PolicyConfig(None, {"x": 1})}
    assert validate([plain, SCHEMA], config) == [
        "p: count: Must be greater than or equal to 1",
        "p: name: Does not match pattern '^[a-z]+$'",
        "p: name: String length must be greater than or equal to 2",
    ]


def test_a_pack_without_config_is_validated_as_empty():
    assert validate([SCHEMA], {}) == ["p: count is required"]


def test_a_nested_field_is_named_by_its_dotted_path():
    """gojsonschema names a field by its context joined with dots, array indices included
    (jsonContext.go's String, and Field() in result.go drops the leading ``(root).``)."""
    nested = PolicySchemaInfo(
        name="n",
        enforcement_level="advisory",
        properties={
            "limits": {"type": "object", "properties": {"max": {"type": "integer"}}},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    )
    config = {"n": PolicyConfig(None, {"limits": {"max": "ten"}, "tags": ["a", 2]})}
    assert validate([nested], config) == [
        "n: limits.max: Invalid type. Expected: integer, given: string",
        "n: tags.1: Invalid type. Expected: string, given: integer",
    ]


@pytest.mark.parametrize("name", ["owner's", "a\\b", 'say "hi"'])
def test_a_missing_property_is_named_as_it_is_spelled(name):
    """gojsonschema's ``{{.property}} is required`` (locales.go) prints the name as it is, even
    one with a quote or a backslash."""
    odd = PolicySchemaInfo(
        name="q", enforcement_level="advisory", properties={name: {}}, required=[name]
    )
    assert validate([odd], {}) == [f"q: {name} is required"]


def test_each_property_additional_properties_refuses_is_its_own_error():
    """gojsonschema reports every property ``additionalProperties: false`` refuses
    (validation.go), each by its name as spelled; one that a pattern allows is not refused."""
    closed = PolicySchemaInfo(
        name="c",
        enforcement_level="advisory",
        properties={
            "nested": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"known": {}},
                "patternProperties": {"^x-": {}},
            }
        },
    )
    given = {"nested": {"known": 1, "x-extra": 2, "owner's": 3, "b": 4}}
    assert validate([closed], {"c": PolicyConfig(None, given)}) == [
        "c: nested: Additional property b is not allowed",
        "c: nested: Additional property owner's is not allowed",
    ]
