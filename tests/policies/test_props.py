"""Reading properties defensively: what each helper answers for odd, missing and unknown
values (behind the SDK's unknown-checking proxy, as policies see them)."""

import json
from typing import Any

import pytest
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from obsgov_policies.props import (
    UNKNOWN_VALUE,
    as_bool,
    as_dict,
    as_list,
    as_number,
    as_str,
    get,
    is_everyone,
    is_list,
    is_set,
    json_document,
    known_items,
    known_str,
    number_text,
    provider_account,
    statements,
    str_list,
)
from tests.support.policies import UNKNOWN

DOC = {"a": {"b": [10, {"c": "x"}], "n": None, "s": "text"}}


def proxied(value):
    return unknown_checking_proxy(value)


def test_get_follows_keys_and_indexes():
    assert get(DOC, "a", "b", 1, "c") == "x"
    assert get(DOC, "a", "b", 0) == 10
    assert get(DOC, "a", "b", -1, "c") == "x"
    assert get(DOC) is DOC


@pytest.mark.parametrize(
    "path",
    [
        ("missing",),
        ("a", "b", 2),
        ("a", "b", -3),
        ("a", "s", 0),
        ("a", "b", "c"),
        ("a", "s", "k"),
        ("a", "n"),
        ("a", 0),
    ],
)
def test_get_returns_the_default_for_anything_it_cannot_follow(path):
    assert get(DOC, *path, default="d") == "d"
    assert get(DOC, *path) is None


def test_get_raises_for_unknown_values_like_the_sdk():
    with pytest.raises(UnknownValueError):
        get(proxied({"a": UNKNOWN}), "a")


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"k": "v"}, True),
        ({"k": ""}, False),
        ({"k": "  "}, False),
        ({"k": []}, False),
        ({"k": [1]}, True),
        ({"k": {}}, False),
        ({"k": {"a": 1}}, True),
        ({"k": None}, False),
        ({}, False),
        ({"k": 0}, True),
        ({"k": False}, True),
        ({"k": UNKNOWN}, True),
    ],
)
def test_is_set(props, expected):
    assert is_set(proxied(props), "k") is expected


def test_is_set_follows_paths():
    assert is_set(proxied({"a": {"b": "x"}}), "a", "b") is True
    assert is_set(proxied({"a": {"b": ""}}), "a", "b") is False


def test_known_str():
    assert known_str(proxied({"k": "v"}), "k") == "v"
    for props in ({"k": ""}, {"k": 3}, {}, {"k": UNKNOWN}):
        assert known_str(proxied(props), "k") is None, props


def test_conversions():
    assert (as_str("x"), as_str(3), as_str(None, "d")) == ("x", "", "d")
    assert [as_bool(v) for v in (True, False, "true", " TRUE ", "yes", 1, None)] == [
        True,
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    assert [as_number(v) for v in (3, 2.5, "4", "x", True, None)] == [
        3.0,
        2.5,
        4.0,
        None,
        None,
        None,
    ]
    assert (as_list([1]), as_list((1, 2)), as_list("ab"), as_list(b"ab"), as_list(None)) == (
        [1],
        [1, 2],
        [],
        [],
        [],
    )
    assert (as_dict({"a": 1}), as_dict([1])) == ({"a": 1}, {})


def test_number_text_writes_whole_numbers_in_full():
    assert [number_text(v) for v in (86400.0, 1_000_000.0, 3, 0.5, 2.25)] == [
        "86400",
        "1000000",
        "3",
        "0.5",
        "2.25",
    ]


def test_known_items_replaces_unknown_values():
    items = known_items(proxied({"a": "x", "b": UNKNOWN}))
    assert items == {"a": "x", "b": UNKNOWN_VALUE}
    assert known_items("not a mapping") == {}


def test_json_documents_and_statements():
    assert json_document('{"Statement": []}') == {"Statement": []}
    assert json_document({"a": 1}) == {"a": 1}
    for raw in ("not json", "[1]", 3, None):
        assert json_document(raw) is None, raw
    assert list(statements({"Statement": {"Effect": "Allow"}})) == [{"Effect": "Allow"}]
    assert list(statements({"Statement": [{"Effect": "Deny"}, "junk", 3]})) == [{"Effect": "Deny"}]
    assert list(statements(None)) == []
    assert list(statements({})) == []


def test_str_list():
    assert str_list("s3:*") == ["s3:*"]
    assert str_list(["a", 1, "b"]) == ["a", "b"]
    assert str_list(None) == []


def test_is_everyone():
    for principal in ("*", {"AWS": "*"}, {"AWS": ["111111111111", "*"]}):
        assert is_everyone(principal) is True, principal
    for nobody in (
        "111111111111",
        {"AWS": "arn:aws:iam::1:root"},
        {"Service": "*"},
        None,
        ["*"],
    ):
        assert is_everyone(nobody) is False, nobody


def test_negative_indexes_reach_the_first_item():
    assert get([1, 2], -2) == 1
    assert get([1, 2], -3, default="d") == "d"
    assert get([1, 2], 1) == 2
    assert get([1, 2], 2, default="d") == "d"


def test_is_list():
    values: list[Any] = [[], (1,), proxied({"a": [1]})["a"], "ab", b"ab", {}, None]
    assert [is_list(v) for v in values] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


class _Resource:
    def __init__(self, provider_props):
        self.provider = None if provider_props is None else type("P", (), {"props": provider_props})


ROLE = "arn:aws:iam::111111111111:role/Deploy"


@pytest.mark.parametrize(
    ("provider_props", "expected"),
    [
        (None, ""),  # no provider: the stack's default
        ({}, ""),  # a provider that assumes no role
        ({"assumeRoles": json.dumps([{"roleArn": ROLE}])}, "111111111111"),  # as the engine sends
        (
            {"assumeRoles": [{"roleArn": ROLE}, {"roleArn": "arn:aws:iam::2:role/x"}]},
            "111111111111",
        ),
        ({"assumeRoles": json.dumps({"roleArn": ROLE})}, "111111111111"),  # one role as a mapping
        ({"assumeRoles": "not json"}, ""),
        ({"assumeRoles": json.dumps([{"roleArn": "arn:aws:iam"}])}, ""),  # too short for an account
        ({"assumeRoles": json.dumps([{}])}, ""),
        ({"assumeRoles": json.dumps([{"roleArn": "arn:aws:iam:"}])}, ""),  # four parts, no account
        ({"assumeRoles": json.dumps([{"roleArn": "arn:aws:iam::222222222222"}])}, "222222222222"),
        # the first role that names an account, as the synthesized graph attributes resources
        ({"assumeRoles": [{"roleArn": "arn:aws:iam:"}, {"roleArn": ROLE}]}, "111111111111"),
    ],
)
def test_provider_account_reads_the_first_assumed_roles_account(provider_props, expected):
    assert provider_account(_Resource(provider_props)) == expected
