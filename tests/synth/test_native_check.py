"""What pulumi-aws-native's Check adds to a resource's inputs, emulated offline.

The provider appends its ``defaultTags`` to a resource's list-shaped ``tags`` for every key the
resource does not set itself, treating no tags as an empty list, and leaves tags it cannot know
alone (``MergeDefaultTags`` in pulumi/pulumi-aws-native,
provider/pkg/default_tags/default_tags.go). The synthesized graph, and so the packs, see the
merged list, as they would in ``pulumi preview``.
"""

from __future__ import annotations

from obsgov.synth.provider_check import UNKNOWN, check

DASHBOARD = "aws-native:quicksight:Dashboard"
DEFAULTS = {"environment": "prod", "owner": "team@example.com"}


def _check(inputs, defaults=DEFAULTS, token=DASHBOARD):
    return check(token, "d", inputs, defaults, "prod/d")


def test_no_tags_get_the_providers_default_tags_as_a_list():
    assert _check({"name": "x"})["tags"] == [
        {"key": "environment", "value": "prod"},
        {"key": "owner", "value": "team@example.com"},
    ]


def test_a_resources_own_tag_wins_and_the_others_are_appended():
    tags = _check({"tags": [{"key": "environment", "value": "dev"}]})["tags"]
    assert tags == [
        {"key": "environment", "value": "dev"},
        {"key": "owner", "value": "team@example.com"},
    ]


def test_unknown_default_tags_leave_the_tags_unknown():
    assert _check({"tags": []}, defaults=None)["tags"] == UNKNOWN


def test_no_default_tags_change_nothing():
    assert _check({"name": "x"}, defaults={}) == {"name": "x"}


def test_a_type_without_tags_is_left_alone():
    inputs = {"awsAccountId": "1", "dataSetId": "d", "schedule": {}}
    assert _check(inputs, token="aws-native:quicksight:RefreshSchedule") == inputs
