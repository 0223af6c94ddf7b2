import re

import pytest
from pulumi_policy.proxy import UnknownValueError

from obsgov_policies.tags import is_taggable, taggable_types
from tests.support.policies import UNKNOWN, check, provider

ID = "obsgov-aws-resource-require-tags"
RULES = {
    "requiredTags": [
        {"key": "environment", "allowedValues": ["dev", "staging", "prod"]},
        {"key": "owner", "pattern": r"[^@\s]+@[^@\s]+\.[a-z]{2,}"},
        {"key": "cost-centre", "pattern": r"CC-\d{4}"},
    ]
}
GOOD = {"environment": "dev", "owner": "team@example.com", "cost-centre": "CC-1234"}


def run(tags=None, default_tags=None, resource_type="aws:sns/topic:Topic", config=RULES):
    props = {} if tags is None else {"tags": tags}
    prov = provider(default_tags) if default_tags is not None else None
    return check(ID, props, resource_type, config=config, provider_resource=prov)


def test_compliant_tags_pass():
    assert run(GOOD) == []


def test_provider_default_tags_count():
    assert run({}, default_tags=GOOD) == []
    assert run({"owner": "other@example.com"}, default_tags=GOOD) == []


def test_resource_tags_override_default_tags():
    assert run({"environment": "qa"}, default_tags=GOOD) == [
        "Tag 'environment' is 'qa'; expected one of dev, staging, prod."
    ]


def test_missing_tags_are_listed_together():
    assert run({"environment": "dev"}) == ["Missing required tags: owner, cost-centre."]


def test_value_must_match_pattern():
    assert run({**GOOD, "cost-centre": "finance"}) == [
        r"Tag 'cost-centre' is 'finance'; expected a value matching CC-\d{4}."
    ]


def test_untaggable_types_are_not_judged():
    assert "aws:sns/topicPolicy:TopicPolicy" not in taggable_types()
    assert run({}, resource_type="aws:sns/topicPolicy:TopicPolicy") == []


def test_taggable_types_come_from_the_sdk():
    types = taggable_types.__wrapped__()  # uncached: the derivation itself
    assert {
        "aws:sns/topic:Topic",
        "aws:s3/bucket:Bucket",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    } <= types
    assert len(types) > 500
    untaggable = {
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    }
    assert not types & untaggable
    assert all(re.fullmatch(r"aws:[a-z0-9]+/[a-zA-Z0-9]+:[A-Za-z0-9]+", t) for t in types)
    assert types == taggable_types()  # what the policy uses


def test_defaults_apply_without_config():
    assert run({}, config={}) == ["Missing required tags: environment, owner, cost-centre."]


def test_unknown_tag_value_cannot_be_judged_in_preview():
    with pytest.raises(UnknownValueError):
        run({**GOOD, "owner": UNKNOWN})


# pulumi-aws-native resources carry tags as a list of {key, value} (the Cloud Control schema's
# Tag type); its provider's Check appends the provider's defaultTags for keys the resource does
# not set (MergeDefaultTags, provider/pkg/default_tags/default_tags.go in
# pulumi/pulumi-aws-native), so the rules read the list by key, defaults underneath.
NATIVE_DASHBOARD = "aws-native:quicksight:Dashboard"


def _as_list(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def test_native_list_tags_are_judged_by_key():
    assert run(_as_list(GOOD), resource_type=NATIVE_DASHBOARD) == []
    assert run(_as_list({**GOOD, "environment": "qa"}), resource_type=NATIVE_DASHBOARD) == [
        "Tag 'environment' is 'qa'; expected one of dev, staging, prod."
    ]


def test_native_resources_missing_tags_are_reported():
    assert run([], resource_type=NATIVE_DASHBOARD) == [
        "Missing required tags: environment, owner, cost-centre."
    ]
    assert run(resource_type=NATIVE_DASHBOARD) == [
        "Missing required tags: environment, owner, cost-centre."
    ]


def test_native_provider_default_tags_count_under_the_resources_own():
    assert run([], default_tags=GOOD, resource_type=NATIVE_DASHBOARD) == []
    assert run(
        [{"key": "environment", "value": "qa"}], default_tags=GOOD, resource_type=NATIVE_DASHBOARD
    ) == ["Tag 'environment' is 'qa'; expected one of dev, staging, prod."]


def test_native_taggable_types_come_from_their_module():
    assert is_taggable(NATIVE_DASHBOARD)
    assert is_taggable("aws-native:quicksight:Analysis")
    # a Cloud Control type without tags, and names that are no type at all
    assert not is_taggable("aws-native:quicksight:RefreshSchedule")
    assert not is_taggable("aws-native:quicksight:NoSuchThing")
    assert not is_taggable("aws-native:../etc:Passwd")
    assert run([], resource_type="aws-native:quicksight:RefreshSchedule") == []
