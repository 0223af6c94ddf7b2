"""Permission flows judged across identity, resource and key policies.

AWS: EventBridge needs the topic policy to admit events.amazonaws.com for the rule's ARN
(docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions);
with S3 Bucket Keys the KMS encryption context is the bucket ARN
(docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html); Firehose reaches a VPC domain
only through its own VPC configuration (docs.aws.amazon.com/firehose/latest/dev/vpc.html).
"""

import pytest

from obsgov_policies.props import UnknownValueError
from tests.policies.deploy_readiness.corpus import (
    DOMAIN,
    FIREHOSE,
    OBS,
    firehose_without_backup_key_grant,
    lifecycle_rule_to_critical_topic,
    log_group_key_without_logs,
    member_target_to_bus_outside_org,
    object_arn_condition_with_bucket_keys,
)
from tests.support.deploy_graphs import ORG_CONFIG, at
from tests.support.policies import UNKNOWN, check_stack

ID = "obsgov-deploy-flow-require-allowed"


def test_allowed_flows_pass():
    for build in (
        lifecycle_rule_to_critical_topic,
        firehose_without_backup_key_grant,
        log_group_key_without_logs,
        object_arn_condition_with_bucket_keys,
    ):
        assert check_stack(ID, build(True), ORG_CONFIG) == [], build.__name__
    assert check_stack(ID, member_target_to_bus_outside_org(True), ORG_CONFIG) == []


def test_a_topic_policy_for_another_rule_denies_naming_both_rules():
    [(name, message)] = check_stack(ID, lifecycle_rule_to_critical_topic(False))
    assert name == "pipeline-failed-notify"
    assert message == (
        "EventBridge rule lifecycle-pipeline-failed (pipeline-failed) sends to SNS topic "
        "obsgov-prod-critical (critical): sns:Publish by events.amazonaws.com is implicitly "
        "denied: no statement of the topic policy (SNS topic policy critical-policy) allows "
        "it: statement RoutingRulesPublish fails on ArnEquals aws:SourceArn "
        "arn:aws:events:eu-west-1:100000000002:rule/obsgov-prod-alerts/route-critical-alarms "
        "(the request has arn:aws:events:eu-west-1:100000000002:rule/obsgov-prod-alerts/"
        "lifecycle-pipeline-failed). Fix: allow events.amazonaws.com sns:Publish on "
        "obsgov-prod-critical with aws:SourceArn arn:aws:events:eu-west-1:100000000002:rule/"
        "obsgov-prod-alerts/lifecycle-pipeline-failed in critical-policy. AWS: "
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"
    )


def test_bucket_keys_make_an_object_arn_condition_deny():
    found = check_stack(ID, object_arn_condition_with_bucket_keys(False))
    assert {name for name, _ in found} == {"ingest"}
    assert all(
        "fails on StringLike kms:EncryptionContext:aws:s3:arn arn:aws:s3:::failed-docs/* "
        "(the request has arn:aws:s3:::failed-docs)" in m
        for _, m in found
    )
    assert len(found) == 2  # GenerateDataKey and Decrypt


def test_without_bucket_keys_the_object_arn_condition_allows():
    resources = object_arn_condition_with_bucket_keys(False)
    encryption = next(r for r in resources if r.name == "failed-documents-encryption")
    encryption.props["rules"][0]["bucketKeyEnabled"] = False
    assert check_stack(ID, resources) == []


def test_a_bus_of_another_organization_denies_and_an_unknown_org_is_not_passed():
    [(name, message)] = check_stack(ID, member_target_to_bus_outside_org(False), ORG_CONFIG)
    assert name == "forward-target"
    assert "events:PutEvents by arn:aws:iam::400000000001:role/forward is implicitly denied" in (
        message
    )
    # the member is not known to be in the organization: unknown, never allowed
    with pytest.raises(UnknownValueError) as raised:
        check_stack(ID, member_target_to_bus_outside_org(True))
    assert "can't be judged until deployment" in raised.value.message


def test_a_firehose_to_a_vpc_domain_needs_its_own_vpc_config():
    domain = at(
        OBS, DOMAIN, "domain", {"domainName": "logs", "vpcOptions": {"subnetIds": ["subnet-1"]}}
    )
    stream = at(
        OBS,
        FIREHOSE,
        "stream",
        {
            "name": "ingest",
            "opensearchConfiguration": {
                "domainArn": UNKNOWN,
                "roleArn": "arn:aws:iam::100000000002:role/none",
            },
        },
        prop_deps={"opensearchConfiguration": ["domain"]},
    )
    [(name, message)] = check_stack(ID, [domain, stream])
    assert (name, message.split(":")[0]) == (
        "stream",
        "Firehose stream ingest (stream) indexes into OpenSearch domain logs (domain), which is "
        "inside a VPC, but opensearchConfiguration has no vpcConfig",
    )
    stream.props["opensearchConfiguration"]["vpcConfig"] = {"subnetIds": ["subnet-1"]}
    assert check_stack(ID, [domain, stream]) == []
