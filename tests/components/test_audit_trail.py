"""The organization trail: its settings, its KMS key policy, the CloudWatch Logs delivery role,
the CIS metric filters and alarms, and the forwarding of their state changes."""

from __future__ import annotations

import json

import pytest

from obsgov.graph import ResourceGraph

from ..support.caching import graph_scope
from .test_audit_support import (
    KEY_POLICY_ALLOWED,
    LOG_ARCHIVE,
    MANAGEMENT,
    OBSERVABILITY,
    ORG_ID,
    PROD_SETTINGS,
    REGION,
    by_sid,
    central_graph,
    lint,
    one,
    wildcard_principals,
)

TRAIL = "aws:cloudtrail/trail:Trail"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/obsgov-prod-organization-trail"
LOG_GROUP = "/obsgov/prod/organization-trail"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{MANAGEMENT}:log-group:{LOG_GROUP}"
AUDITOR = f"arn:aws:iam::{LOG_ARCHIVE}:role/obsgov-auditor"

# Security Hub CloudWatch.1-14 filter patterns as AWS documents them, copied from
# awsdocs/aws-security-hub-user-guide doc_source/cloudwatch-controls.md (commit 47bfe2f, the
# "Copy the following pattern" step of each control). Security Hub fails the control for any
# other pattern, so the component must use these strings exactly.
DOCUMENTED_PATTERNS = {
    "CloudWatch.1": '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
    "CloudWatch.2": '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    "CloudWatch.3": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "CloudWatch.4": "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
    "CloudWatch.5": "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    "CloudWatch.6": '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    "CloudWatch.7": "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    "CloudWatch.8": "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    "CloudWatch.9": "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    "CloudWatch.10": "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    "CloudWatch.11": "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
    "CloudWatch.12": "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    "CloudWatch.13": "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}",
    "CloudWatch.14": "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
}


@pytest.fixture(scope=graph_scope)
def prod() -> ResourceGraph:
    return central_graph("prod", PROD_SETTINGS)


@pytest.fixture(scope=graph_scope)
def dev() -> ResourceGraph:
    return central_graph("dev")


def test_trail_is_an_organization_trail_with_every_baseline_setting(prod):
    trail = one(prod, TRAIL, "audit-trail-prod-trail")
    assert trail.account == MANAGEMENT
    props = trail.inputs
    assert props["name"] == "obsgov-prod-organization-trail"
    assert props["isOrganizationTrail"] is True
    assert props["isMultiRegionTrail"] is True
    assert props["includeGlobalServiceEvents"] is True
    assert props["enableLogFileValidation"] is True
    assert props["enableLogging"] is True
    assert props["s3BucketName"] == "obsgov-prod-audit-archive-100000000003"
    assert props["cloudWatchLogsGroupArn"] == f"{LOG_GROUP_ARN}:*"
    key = one(prod, "aws:kms/key:Key", "audit-trail-prod-key")
    role = one(prod, "aws:iam/role:Role", "audit-trail-prod-delivery-role")
    assert trail.property_dependencies["kmsKeyId"] == [key.urn]
    assert trail.property_dependencies["cloudWatchLogsRoleArn"] == [role.urn]


def test_the_trail_waits_for_the_archive_bucket_policy(prod):
    """CreateTrail fails unless the bucket policy already admits CloudTrail."""
    trail = one(prod, TRAIL, "audit-trail-prod-trail")
    policy = one(prod, "aws:s3/bucketPolicy:BucketPolicy", "log-archive-prod-bucket-policy")
    assert policy.urn in trail.dependencies


def test_data_event_selectors_come_from_config_and_keep_management_events(prod, dev):
    selectors = one(prod, TRAIL, "audit-trail-prod-trail").inputs["advancedEventSelectors"]
    assert selectors == [
        {
            "name": "Management events",
            "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}],
        },
        {
            "name": "S3 objects of named buckets",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {
                    "field": "resources.ARN",
                    "startsWiths": ["arn:aws:s3:::obsgov-prod-model-artifacts/"],
                },
            ],
        },
        {
            "name": "SageMaker endpoint invocations",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::SageMaker::Endpoint"]},
            ],
        },
    ]
    # No data events configured: the trail's default (all management events) applies.
    assert "advancedEventSelectors" not in one(dev, TRAIL, "audit-trail-dev-trail").inputs


def test_lambda_selector_when_configured():
    graph = central_graph("prod", {"trail": {"dataEvents": {"lambdaFunctions": True}}})
    selectors = one(graph, TRAIL, "audit-trail-prod-trail").inputs["advancedEventSelectors"]
    assert [s["name"] for s in selectors] == ["Management events", "Lambda invocations"]
    assert selectors[1]["fieldSelectors"][1] == {
        "field": "resources.type",
        "equals": ["AWS::Lambda::Function"],
    }


def test_trail_key_policy_statement_by_statement(prod):
    """AWS CloudTrail user guide, create-kms-key-policy-for-cloudtrail: encrypt with the
    encryption context naming the organization's trails (management account) plus
    aws:SourceArn; DescribeKey for CloudTrail; decrypt only where the CloudTrail context is
    present, and here only for the configured principals."""
    key = one(prod, "aws:kms/key:Key", "audit-trail-prod-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.account == MANAGEMENT
    policy = by_sid(key.inputs["policy"])
    assert policy == {
        "AccountAdministers": {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        "CloudTrailEncryptLogs": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{MANAGEMENT}:trail/*"
                },
                "StringEquals": {"aws:SourceArn": TRAIL_ARN},
            },
        },
        "CloudTrailDescribeKey": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        },
        "NamedPrincipalsDecryptLogs": {
            "Effect": "Allow",
            "Principal": {"AWS": [AUDITOR]},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*",
            "Condition": {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}},
        },
    }


def test_without_decrypt_principals_no_one_but_the_account_can_decrypt(dev):
    policy = by_sid(one(dev, "aws:kms/key:Key", "audit-trail-dev-key").inputs["policy"])
    assert sorted(policy) == [
        "AccountAdministers",
        "CloudTrailDescribeKey",
        "CloudTrailEncryptLogs",
    ]
    decrypters = [
        s
        for s in policy.values()
        if "kms:Decrypt" in json.dumps(s["Action"]) and s["Action"] != "kms:*"
    ]
    assert decrypters == []


def test_log_group_is_encrypted_and_kept_as_configured(prod, dev):
    group = one(prod, "aws:cloudwatch/logGroup:LogGroup", "audit-trail-prod-log-group")
    assert group.inputs["name"] == LOG_GROUP
    assert group.inputs["retentionInDays"] == 400
    logs_key = one(prod, "aws:kms/key:Key", "audit-trail-prod-logs-key")
    assert group.property_dependencies["kmsKeyId"] == [logs_key.urn]
    assert (
        one(dev, "aws:cloudwatch/logGroup:LogGroup", "audit-trail-dev-log-group").inputs[
            "retentionInDays"
        ]
        == 365
    )
    policy = by_sid(logs_key.inputs["policy"])
    # the account administers the key, the CIS alarms publish to the encrypted topic, and
    # EventBridge encrypts the forwarding rule's dead letters
    assert sorted(policy) == [
        "AccountAdministers",
        "CloudWatchAlarmsEncrypt",
        "EventBridgeEncryptDeadLetters",
        "LogsEncryptTrailGroup",
    ]
    assert policy["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    assert policy["CloudWatchAlarmsEncrypt"] == {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": MANAGEMENT}},
    }
    assert policy["LogsEncryptTrailGroup"] == {
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN}},
    }


def test_delivery_role_may_only_create_streams_and_put_events_in_the_trail_group(prod):
    """AWS CloudTrail user guide (organization trail, CloudWatch Logs role policy): the
    management account's stream and the organization-prefixed member streams."""
    role = one(prod, "aws:iam/role:Role", "audit-trail-prod-delivery-role")
    trust = by_sid(role.inputs["assumeRolePolicy"])
    assert trust == {
        "ServiceAssumesRole": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        }
    }
    inline = one(prod, "aws:iam/rolePolicy:RolePolicy", "audit-trail-prod-delivery-policy")
    assert inline.property_dependencies["role"] == [role.urn]
    assert by_sid(inline.inputs["policy"]) == {
        "CloudTrailCreateStreamsAndPutEvents": {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                f"{LOG_GROUP_ARN}:log-stream:{MANAGEMENT}_CloudTrail_{REGION}*",
                f"{LOG_GROUP_ARN}:log-stream:{ORG_ID}_*",
            ],
        }
    }


def test_cis_filter_patterns_are_exactly_the_documented_ones(prod):
    filters = {
        r.inputs["name"]: r.inputs
        for r in prod.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    }
    assert len(filters) == 14
    by_control = {}
    for name, props in filters.items():
        number = name.split("-")[2]
        by_control[f"CloudWatch.{number}"] = props
        assert props["metricTransformation"]["namespace"] == "LogMetrics"
        assert props["metricTransformation"]["value"] == "1"
    assert sorted(by_control) == sorted(DOCUMENTED_PATTERNS)
    for control, pattern in DOCUMENTED_PATTERNS.items():
        assert by_control[control]["pattern"] == pattern, control
        assert len(pattern) <= 1024  # PutMetricFilter's limit


def test_each_cis_alarm_watches_its_filters_metric_and_notifies_the_security_topic(prod):
    filters = {
        r.inputs["name"].split("-")[2]: r.inputs
        for r in prod.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    }
    alarms = [
        r
        for r in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.inputs["name"].startswith("obsgov-prod-cis-")
    ]
    assert len(alarms) == 14
    topic = one(prod, "aws:sns/topic:Topic", "audit-trail-prod-security")
    for alarm in alarms:
        props = alarm.inputs
        number = props["name"].split("-")[3]
        metric = filters[number]["metricTransformation"]
        assert (props["namespace"], props["metricName"]) == (metric["namespace"], metric["name"])
        assert props["statistic"] == "Sum"
        assert props["threshold"] == 1
        assert props["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["treatMissingData"] == "notBreaching"
        assert alarm.property_dependencies["alarmActions"] == [topic.urn]
        assert props["alarmDescription"].startswith("[SECURITY] ")
        assert props["alarmDescription"].endswith(f"(Security Hub CloudWatch.{number}).")
        assert alarm.account == MANAGEMENT


def test_security_topic_is_encrypted_and_only_this_accounts_alarms_publish(prod):
    topic = one(prod, "aws:sns/topic:Topic", "audit-trail-prod-security")
    logs_key = one(prod, "aws:kms/key:Key", "audit-trail-prod-logs-key")
    assert topic.property_dependencies["kmsMasterKeyId"] == [logs_key.urn]
    policy = by_sid(
        one(prod, "aws:sns/topicPolicy:TopicPolicy", "audit-trail-prod-security-policy").inputs[
            "policy"
        ]
    )
    assert policy == {
        "CloudWatchAlarmsPublish": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": f"arn:aws:sns:{REGION}:{MANAGEMENT}:obsgov-prod-audit-security",
            "Condition": {"StringEquals": {"aws:SourceAccount": MANAGEMENT}},
        }
    }


def test_cis_alarm_state_changes_are_forwarded_to_the_central_bus_through_a_narrow_role(prod):
    bus = f"arn:aws:events:{REGION}:{OBSERVABILITY}:event-bus/obsgov-prod-alerts"
    rule = one(prod, "aws:cloudwatch/eventRule:EventRule", "audit-trail-prod-forward-rule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": [{"prefix": "obsgov-prod-cis-"}]},
    }
    target = one(prod, "aws:cloudwatch/eventTarget:EventTarget", "audit-trail-prod-forward-target")
    assert target.inputs["arn"] == bus
    role = one(prod, "aws:iam/role:Role", "audit-trail-prod-forward-role")
    assert target.property_dependencies["roleArn"] == [role.urn]
    assert role.inputs["name"] == "obsgov-prod-audit-alarms-to-central-bus"
    # EventBridge, and only EventBridge, assumes the role to deliver to the target, and only
    # for this rule (eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html)
    rule_arn = f"arn:aws:events:{REGION}:{MANAGEMENT}:rule/obsgov-prod-cis-alarms-to-central-bus"
    assert rule.inputs["name"] == rule_arn.rsplit("/", 1)[1]
    assert by_sid(role.inputs["assumeRolePolicy"]) == {
        "ServiceAssumesRole": {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": MANAGEMENT},
                "ArnEquals": {"aws:SourceArn": rule_arn},
            },
        }
    }
    policy = one(prod, "aws:iam/rolePolicy:RolePolicy", "audit-trail-prod-forward-policy")
    assert by_sid(policy.inputs["policy"]) == {
        "PutEventsToCentralBus": {"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}
    }


def test_every_trail_policy_lints_clean_and_opens_to_no_one(prod):
    checked = 0
    for resource in prod.custom_resources():
        if resource.parent is None or "AuditTrail" not in resource.parent:
            continue
        if resource.type == "aws:kms/key:Key":
            document, allowed, trust = resource.inputs["policy"], KEY_POLICY_ALLOWED, None
        elif resource.type == "aws:iam/role:Role":
            document, allowed = resource.inputs["assumeRolePolicy"], set()
            trust = f"arn:aws:iam::{MANAGEMENT}:role/{resource.inputs['name']}"
        elif resource.type in ("aws:iam/rolePolicy:RolePolicy", "aws:sns/topicPolicy:TopicPolicy"):
            document, allowed, trust = resource.inputs["policy"], set(), None
        else:
            continue
        assert lint(document, allowed=allowed, trust_for=trust) == [], resource.name
        assert wildcard_principals(document) == [], resource.name
        checked += 1
    assert checked == 7  # two keys, two roles, two role policies, one topic policy
