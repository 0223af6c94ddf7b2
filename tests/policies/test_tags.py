"""Which tags a resource will carry, and what the tag rules say about them."""

import json
from typing import Any

import pytest
from pulumi_policy import PolicyProviderResource
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from obsgov_policies.props import UNKNOWN_VALUE
from obsgov_policies.tags import (
    check_tags,
    effective_tags,
    provider_default_tags,
    report_tag_violations,
    rules_from_config,
)
from tests.support.policies import UNKNOWN, provider


class Args:
    def __init__(self, tags=None, default_tags=None, config=None, raw_provider=None):
        self.props = unknown_checking_proxy({} if tags is None else {"tags": tags})
        self.provider = raw_provider or (
            provider(default_tags) if default_tags is not None else None
        )
        self._config = config or {}

    def get_config(self):
        return self._config


def raw_provider(props):
    return PolicyProviderResource(
        "pulumi:providers:aws",
        unknown_checking_proxy(props),
        "urn:pulumi:dev::p::pulumi:providers:aws::p",
        "p",
    )


def test_provider_default_tags():
    assert provider_default_tags(None) == {}
    assert provider_default_tags(provider({"a": "1"})) == {"a": "1"}
    assert provider_default_tags(raw_provider({"defaultTags": {"tags": {"b": "2"}}})) == {"b": "2"}
    assert provider_default_tags(raw_provider({"defaultTags": "{not json"})) == {}
    assert provider_default_tags(raw_provider({"defaultTags": json.dumps({"x": 1})})) == {}
    assert provider_default_tags(raw_provider({})) == {}


def test_resource_tags_override_default_tags_even_when_empty():
    args = Args({"a": "", "b": "own"}, default_tags={"a": "1", "b": "2", "c": "3"})
    assert effective_tags(args) == {"a": "", "b": "own", "c": "3"}


def test_unknown_tag_values_are_marked():
    assert effective_tags(Args({"a": UNKNOWN, "b": "x"})) == {"a": UNKNOWN_VALUE, "b": "x"}


def test_an_unknown_tag_map_cannot_be_judged():
    with pytest.raises(UnknownValueError):
        effective_tags(Args(UNKNOWN))


def test_check_tags_lists_missing_tags_first_then_bad_values_in_rule_order():
    rules: list[dict[str, Any]] = [
        {"key": "b", "allowedValues": ["x"]},
        {"key": "a"},
        {"key": "c"},
        {"key": "d"},
        {"key": "e", "pattern": "[0-9]+"},
    ]
    tags = {"b": "y", "d": 3, "e": "12a", "f": None}
    assert check_tags(rules, tags) == [
        "Missing required tags: a, c.",
        "Tag 'b' is 'y'; expected one of x.",
        "Tag 'd' must be a string.",
        "Tag 'e' is '12a'; expected a value matching [0-9]+.",
    ]


def test_a_null_value_is_missing_and_an_unknown_one_is_not_judged():
    rules: list[dict[str, Any]] = [{"key": "a"}, {"key": "b", "allowedValues": ["x"]}]
    assert check_tags(rules, {"a": None, "b": UNKNOWN_VALUE}) == ["Missing required tags: a."]


def test_rules_without_a_key_and_malformed_constraints():
    rules: list[dict[str, Any]] = [
        {"key": ""},
        {"key": 3},
        {"allowedValues": ["x"]},
        {"key": "a", "allowedValues": "x"},
        {"key": "b", "allowedValues": ["x", 1]},
        {"key": "c", "pattern": 7},
    ]
    tags = {"a": "anything", "b": "1", "c": "v"}
    assert check_tags(rules, tags) == ["Tag 'b' is '1'; expected one of x."]


def test_rules_from_config_keeps_only_rule_objects():
    assert rules_from_config({"k": [{"key": "a"}, "b", 3, None]}, "k") == [{"key": "a"}]
    assert rules_from_config({"k": "junk"}, "k") == []
    assert rules_from_config({}, "k") == []


def test_report_tag_violations_reads_the_rules_under_its_key():
    found: list[Any] = []
    args = Args({"a": "1"}, config={"mine": [{"key": "a"}, {"key": "b"}], "other": [{"key": "c"}]})
    report_tag_violations(args, "mine", found.append)
    assert found == ["Missing required tags: b."]


def test_report_tag_violations_reports_then_raises_for_an_unknown_required_tag():
    found: list[Any] = []
    args = Args({"a": UNKNOWN, "z": UNKNOWN}, config={"k": [{"key": "a"}, {"key": "b"}]})
    with pytest.raises(UnknownValueError) as caught:
        report_tag_violations(args, "k", found.append)
    assert found == ["Missing required tags: b."]
    assert caught.value.message == "string value at .tags.a can't be known during preview"


def test_an_unknown_tag_no_rule_names_is_ignored():
    found: list[Any] = []
    report_tag_violations(
        Args({"a": "1", "z": UNKNOWN}, config={"k": [{"key": "a"}]}), "k", found.append
    )
    assert found == []
