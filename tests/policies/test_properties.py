"""Properties of the policies, each with a verdict: hypothesis draws the inputs, the test
states what the policy must answer for every one of them."""

from __future__ import annotations

import functools
import operator
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UnknownValueError

from obsgov_policies.approval_source import clear_caches
from obsgov_policies.catalog import load_all
from tests.support.policies import UNKNOWN, R, check, check_preview, check_stack, provider

from .model_governance.conftest import ARN, package, write_snapshot

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (policy, config key of its rules, a type it judges)
TAG_POLICIES = [
    ("obsgov-aws-resource-require-tags", "requiredTags", "aws:sns/topic:Topic"),
    ("obsgov-sagemaker-resource-require-ml-tags", "mlResourceTags", "aws:sagemaker/model:Model"),
    ("obsgov-pipeline-resource-require-pipeline-tags", "pipelineTags", "aws:glue/job:Job"),
]
tag_key = st.text(string.ascii_lowercase + "-:", min_size=1, max_size=10)
tag_value = st.text(string.ascii_letters + string.digits + "-@._", min_size=1, max_size=10)
blank = st.sampled_from(["", " ", "   ", "\t"])


@st.composite
def tagged_resource(draw):
    """Rules of every kind, a good value for each, and which tags the provider supplies."""
    policy_id, config_key, resource_type = draw(st.sampled_from(TAG_POLICIES))
    keys = draw(st.lists(tag_key, min_size=1, max_size=5, unique=True))
    rules, good, expected = [], {}, {}
    for key in keys:
        value = draw(tag_value)
        kind = draw(st.sampled_from(["present", "allowed", "pattern"]))
        rule = {"key": key}
        if kind == "allowed":
            others = draw(
                st.lists(tag_value.filter(functools.partial(operator.ne, value)), max_size=3)
            )
            rule["allowedValues"] = draw(st.permutations([*others, value]))
            expected[key] = "one of " + ", ".join(rule["allowedValues"])
        elif kind == "pattern":
            rule["pattern"] = draw(st.sampled_from([re.escape(value), r"[\w.@-]+", ".+"]))
            expected[key] = f"a value matching {rule['pattern']}"
        else:
            expected[key] = "a non-empty value"
        rules.append(rule)
        good[key] = value
    from_provider = draw(st.sets(st.sampled_from(keys)))
    extra = draw(st.dictionaries(tag_key.filter(lambda k: k not in good), tag_value, max_size=2))
    return policy_id, config_key, resource_type, rules, good, expected, from_provider, extra


def judge(case, resource_tags: dict, provider_tags: dict) -> list[str]:
    policy_id, config_key, resource_type = case[:3]
    return check(
        policy_id,
        {"tags": resource_tags},
        resource_type,
        config={config_key: case[3]},
        provider_resource=provider(provider_tags),
    )


def split(case) -> tuple[dict, dict]:
    """The good tags, each either on the resource or in the provider's default tags."""
    good, from_provider, extra = case[4], case[6], case[7]
    resource = {k: v for k, v in good.items() if k not in from_provider}
    return {**resource, **extra}, {k: good[k] for k in from_provider}


@FAST
@given(case=tagged_resource())
def test_a_resource_with_every_required_tag_passes(case):
    resource, defaults = split(case)
    assert judge(case, resource, defaults) == []


@FAST
@given(case=tagged_resource(), data=st.data())
def test_removing_any_required_tag_fails_naming_that_tag(case, data):
    key = data.draw(st.sampled_from(sorted(case[4])))
    resource, defaults = split(case)
    resource.pop(key, None)
    defaults.pop(key, None)
    assert judge(case, resource, defaults) == [f"Missing required tags: {key}."]


@FAST
@given(case=tagged_resource(), data=st.data())
def test_emptying_any_required_tag_fails_naming_that_tag(case, data):
    """A blank resource tag overrides a good default tag (the resource's own tags win, as in
    the AWS provider), so it fails wherever the good value was."""
    key = data.draw(st.sampled_from(sorted(case[4])))
    empty = data.draw(blank)
    resource, defaults = split(case)
    resource[key] = empty
    assert judge(case, resource, defaults) == [
        f"Tag {key!r} is {empty!r}; expected {case[5][key]}."
    ]


@FAST
@given(case=tagged_resource(), data=st.data())
def test_an_unknown_tag_value_leaves_the_other_tags_judged(case, data):
    """Preview: a tag whose value is unknown is not judged (the SDK's advisory says so), but a
    missing tag beside it is still reported."""
    keys = sorted(case[4])
    unknown = data.draw(st.sampled_from(keys))
    resource, defaults = split(case)
    resource[unknown] = UNKNOWN
    missing = [k for k in keys if k != unknown][:1]
    for key in missing:
        resource.pop(key, None)
        defaults.pop(key, None)
    policy_id, config_key, resource_type = case[:3]
    found = check_preview(
        policy_id,
        {"tags": resource},
        resource_type=resource_type,
        config={config_key: case[3]},
        provider_resource=provider(defaults),
    )
    assert found == [
        *(f"Missing required tags: {k}." for k in missing),
        f"can't run during preview: string value at .tags.{unknown} can't be known during preview",
    ]


PROMOTION = "obsgov-sagemaker-model-require-promotion-order"
ENVIRONMENTS = ["dev", "test", "staging", "preprod", "prod"]


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(st.sampled_from(ENVIRONMENTS), min_size=1, max_size=5, unique=True),
    data=st.data(),
)
def test_promotion_requires_every_earlier_environment(tmp_path_factory, order, data):
    position = data.draw(st.integers(0, len(order) - 1))
    deployed = data.draw(st.lists(st.sampled_from(ENVIRONMENTS), unique=True))
    clear_caches()
    snapshot = write_snapshot(tmp_path_factory.mktemp("s") / "s.json", package(deployed=deployed))
    config = {
        "approvalSource": "snapshot",
        "registrySnapshotFile": snapshot,
        "promotionOrder": order,
        "environment": order[position],
    }
    found = check(PROMOTION, {"primaryContainer": {"modelPackageName": ARN}}, config=config)
    skipped = [e for e in order[:position] if e not in deployed]
    if skipped:
        assert found == [
            f"Model package {ARN} has not been deployed to {', '.join(skipped)} "
            f"before {order[position]}."
        ]
    else:
        assert found == []


WINDOW = "obsgov-cloudwatch-alarm-valid-evaluation-window"


@FAST
@given(period=st.integers(1, 200_000), evaluations=st.integers(1, 2_000))
def test_evaluation_window_follows_cloudwatch_limits(period, evaluations):
    """PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods is
    at most 86,400 s, or 604,800 s for periods of an hour or more."""
    expected = []
    if period not in (10, 20, 30) and period % 60 != 0:
        expected.append(f"period is {period} s; it must be 10, 20, 30 or a multiple of 60.")
    limit = 604_800 if period >= 3600 else 86_400
    if period * evaluations > limit:
        expected.append(
            f"period x evaluationPeriods is {period * evaluations} s; the limit is {limit} s."
        )
    found = check(WINDOW, {"period": period, "evaluationPeriods": evaluations})
    assert found == expected


# Robustness: properties come from any team's stack, and a policy that raises fails its
# whole pack (the gate then fails closed for every policy of the pack). Random, oddly-typed
# props must get sentences back, never an exception.
POLICIES = sorted(load_all().values(), key=lambda s: s.id)
KEYS = sorted(
    {
        "tags",
        "name",
        "policy",
        "assumeRolePolicy",
        "alarmActions",
        "actionsEnabled",
        "metricQueries",
        "comparisonOperator",
        "thresholdMetricId",
        "threshold",
        "period",
        "evaluationPeriods",
        "datapointsToAlarm",
        "retentionInDays",
        "kmsKeyId",
        "kmsMasterKeyId",
        "enableKeyRotation",
        "customerMasterKeySpec",
        "isMultiRegionTrail",
        "enableLogFileValidation",
        "cloudWatchLogsGroupArn",
        "encryptAtRest",
        "nodeToNodeEncryption",
        "vpcOptions",
        "logPublishingOptions",
        "clusterConfig",
        "advancedSecurityOptions",
        "domainEndpointOptions",
        "inlinePolicies",
        "kmsKeyArn",
        "enableNetworkIsolation",
        "productionVariants",
        "primaryContainer",
        "containers",
        "dataCaptureConfig",
        "bucket",
        "rule",
        "acl",
        "grants",
        "dimensions",
        "metricName",
        "namespace",
        "versioningConfiguration",
        "rules",
        "blockPublicAcls",
        "endpointName",
        "arn",
    }
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10_000),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["*", "Allow", "Deny", "aws:kms", "{}", "[]", "ANOMALY_DETECTION_BAND(m1, 2)", "Enabled"]
    ),
)
value = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                KEYS
                + [
                    "Statement",
                    "Effect",
                    "Principal",
                    "Action",
                    "Resource",
                    "Condition",
                    "id",
                    "expression",
                    "metric",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
props = st.dictionaries(st.sampled_from(KEYS), value, max_size=8)
CONFIG = {
    "modelApprovalRequired": True,
    "approvalSource": "snapshot",
    "registrySnapshotFile": "/nonexistent/snapshot.json",
    "requiredModelMetadata": ["owner"],
    "promotionOrder": ["staging", "prod"],
    "environment": "prod",
}


@pytest.mark.fuzz
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_resource_policies_answer_random_props_with_sentences(data):
    for spec in POLICIES:
        if spec.kind != "resource":
            continue
        types = spec.resource_types or ("aws:sns/topic:Topic",)
        resource_type = data.draw(st.sampled_from(types))
        config = {k: v for k, v in CONFIG.items() if k in spec.config_properties}
        try:
            result = check(spec.id, data.draw(props), resource_type, config=config)
        except UnknownValueError as exc:
            raise AssertionError(
                f"{spec.id} reported an unknown value that was never sent"
            ) from exc
        assert all(re.fullmatch(r"[A-Za-z].*[.)]", m, re.S) for m in result), (spec.id, result)


STACK_TYPES = [
    "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:sagemaker/endpoint:Endpoint", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:glue/job:Job",
    "aws:sfn/stateMachine:StateMachine", "aws:lambda/function:Function",
]  # fmt: skip


@pytest.mark.fuzz
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources=st.lists(st.tuples(st.sampled_from(STACK_TYPES), props), max_size=6))
def test_stack_policies_answer_random_stacks_with_sentences(resources):
    stack = [R(t, f"r{i}", p) for i, (t, p) in enumerate(resources)]
    for spec in POLICIES:
        if spec.kind == "stack":
            found = check_stack(spec.id, stack)
            assert all(re.fullmatch(r"[A-Z].*[.)]", m, re.S) for _, m in found), (spec.id, found)
