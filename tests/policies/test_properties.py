"""No policy raises on missing or oddly-typed properties (hypothesis feeds random ones)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UnknownValueError

from obsgov_policies.registry import load_all

from .harness import R, check, check_stack

POLICIES = sorted(load_all().values(), key=lambda s: s.id)
KEYS = sorted({
    "tags", "name", "policy", "assumeRolePolicy", "alarmActions", "actionsEnabled", "metricQueries",
    "comparisonOperator", "thresholdMetricId", "threshold", "period", "evaluationPeriods",
    "datapointsToAlarm", "retentionInDays", "kmsKeyId", "kmsMasterKeyId", "enableKeyRotation",
    "customerMasterKeySpec", "isMultiRegionTrail", "enableLogFileValidation", "cloudWatchLogsGroupArn",
    "encryptAtRest", "nodeToNodeEncryption", "vpcOptions", "logPublishingOptions", "clusterConfig",
    "advancedSecurityOptions", "domainEndpointOptions", "inlinePolicies", "kmsKeyArn",
    "enableNetworkIsolation", "productionVariants", "primaryContainer", "containers",
    "dataCaptureConfig", "bucket", "rule", "acl", "grants", "dimensions", "metricName", "namespace",
    "versioningConfiguration", "rules", "blockPublicAcls", "endpointName", "arn",
})
leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 10_000), st.floats(allow_nan=False),
                 st.text(max_size=12), st.sampled_from(["*", "Allow", "Deny", "aws:kms", "{}", "[]",
                                                         "ANOMALY_DETECTION_BAND(m1, 2)", "Enabled"]))
value = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(KEYS + ["Statement", "Effect", "Principal", "Action",
                                            "Resource", "Condition", "id", "expression", "metric"]),
                    inner, max_size=4)), max_leaves=12)
props = st.dictionaries(st.sampled_from(KEYS), value, max_size=8)
CONFIG = {"modelApprovalRequired": True, "approvalSource": "snapshot",
          "registrySnapshotFile": "/nonexistent/snapshot.json",
          "requiredModelMetadata": ["owner"], "promotionOrder": ["staging", "prod"], "environment": "prod"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_resource_policies_never_raise_on_random_props(data):
    for spec in POLICIES:
        if spec.kind != "resource":
            continue
        types = spec.resource_types or ("aws:sns/topic:Topic",)
        resource_type = data.draw(st.sampled_from(types))
        config = {k: v for k, v in CONFIG.items() if k in spec.config_properties}
        try:
            result = check(spec.id, data.draw(props), resource_type, config=config)
        except UnknownValueError:
            raise AssertionError(f"{spec.id} reported an unknown value that was never sent")
        assert all(isinstance(m, str) and m for m in result), spec.id


STACK_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy",
               "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
               "aws:s3/bucketVersioning:BucketVersioning",
               "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               "aws:sagemaker/endpoint:Endpoint", "aws:cloudwatch/metricAlarm:MetricAlarm",
               "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:glue/job:Job",
               "aws:sfn/stateMachine:StateMachine", "aws:lambda/function:Function"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources=st.lists(st.tuples(st.sampled_from(STACK_TYPES), props), max_size=6))
def test_stack_policies_never_raise_on_random_stacks(resources):
    stack = [R(t, f"r{i}", p) for i, (t, p) in enumerate(resources)]
    for spec in POLICIES:
        if spec.kind == "stack":
            found = check_stack(spec.id, stack)
            assert all(isinstance(m, str) and m for _, m in found), spec.id
