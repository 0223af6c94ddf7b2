"""The one tag-rule matcher, shared with obsgov's config loader (TagRule.accepts)."""

import pytest

from obsgov_policies.tag_rules import expectation, value_accepted


@pytest.mark.parametrize("value", ["", " ", "\t\n"])
def test_blank_values_are_never_accepted(value):
    assert value_accepted(value) is False
    assert value_accepted(value, allowed_values=[value]) is False
    assert value_accepted(value, pattern=".*") is False


def test_any_non_blank_value_is_accepted_without_constraints():
    assert value_accepted("x") is True
    assert value_accepted(" team ") is True


def test_allowed_values_are_an_exact_list():
    assert value_accepted("dev", allowed_values=["dev", "prod"]) is True
    assert value_accepted("Dev", allowed_values=["dev", "prod"]) is False
    assert value_accepted("de", allowed_values=["dev"]) is False
    assert value_accepted("dev", allowed_values=[]) is False


def test_allowed_values_win_over_a_pattern():
    assert value_accepted("dev", allowed_values=["dev"], pattern="prod") is True
    assert value_accepted("prod", allowed_values=["dev"], pattern="prod") is False


def test_pattern_must_match_the_whole_value():
    assert value_accepted("CC-1234", pattern=r"CC-\d{4}") is True
    assert value_accepted("CC-12345", pattern=r"CC-\d{4}") is False
    assert value_accepted("xCC-1234", pattern=r"CC-\d{4}") is False


def test_an_invalid_pattern_accepts_nothing_instead_of_raising():
    assert value_accepted("anything", pattern="([") is False


def test_expectation_says_what_the_rule_wants():
    assert expectation(["dev", "prod"]) == "one of dev, prod"
    assert expectation([]) == "one of (none: the rule allows no value)"
    assert expectation(None, r"CC-\d{4}") == r"a value matching CC-\d{4}"
    assert expectation(["dev"], "p") == "one of dev"
    assert expectation() == "a non-empty value"


def test_the_matcher_needs_no_pulumi():
    """obsgov's config loader imports it; it must not drag in the policy SDK."""
    import subprocess
    import sys

    code = (
        "import sys, obsgov_policies.tag_rules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_policy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
