"""Severity topics and the central event bus in the observability account: who may publish and
put events, where each alarm state change goes, and who is subscribed."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from obsgov.graph import ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

from ..support.caching import graph_scope
from .test_audit_support import (
    KEY_POLICY_ALLOWED,
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

BUS = "obsgov-prod-alerts"
BUS_ARN = f"arn:aws:events:{REGION}:{OBSERVABILITY}:event-bus/{BUS}"

# The "Single Metric Alarm" example of CloudWatch's "Alarm events and EventBridge" page
# (cloudwatch-and-eventbridge), trimmed to the fields routing reads; `account` is the member
# account that forwarded it (event() sets one of the environment's own).
SAMPLE_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch",
    "account": "200000000001",
    "time": "2019-10-02T17:04:40Z",
    "region": "us-east-1",
    "resources": ["arn:aws:cloudwatch:us-east-1:200000000001:alarm:ServerCpuTooHigh"],
    "detail": {
        "alarmName": "ServerCpuTooHigh",
        "configuration": {
            "description": "Goes into alarm when server CPU utilization is too high!",
            "metrics": [],
        },
        "previousState": {"reason": "", "timestamp": "2019-10-02T17:04:40.985+0000", "value": "OK"},
        "state": {"reason": "", "timestamp": "2019-10-02T17:04:40.989+0000", "value": "ALARM"},
    },
}


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for what the routing rules use: nested fields, lists of exact
    values (OR), ``prefix`` and ``prefix`` with ``equals-ignore-case``."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and matches(value, event[key]) for key, value in pattern.items()
        )
    assert isinstance(pattern, list)
    for option in pattern:
        if isinstance(option, dict):
            ((operator, operand),) = option.items()
            assert operator == "prefix", operator
            if isinstance(operand, dict):
                ((mode, text),) = operand.items()
                assert mode == "equals-ignore-case", mode
                if isinstance(event, str) and event.lower().startswith(text.lower()):
                    return True
            elif isinstance(event, str) and event.startswith(operand):
                return True
        elif option == event:
            return True
    return False


PROD_MEMBER, DEV_MEMBER = "400000000001", "200000000001"  # stacks/accounts.yaml


def event(description: str, state: str = "ALARM", account: str = PROD_MEMBER) -> dict[str, Any]:
    out = copy.deepcopy(SAMPLE_EVENT)
    out["account"] = account
    out["detail"]["configuration"]["description"] = description
    out["detail"]["state"]["value"] = state
    return out


@pytest.fixture(scope=graph_scope)
def prod() -> ResourceGraph:
    return central_graph("prod", PROD_SETTINGS)


@pytest.fixture(scope=graph_scope)
def dev() -> ResourceGraph:
    return central_graph("dev")


def rules(graph: ResourceGraph) -> dict[str, dict]:
    return {
        r.inputs["name"]: json.loads(r.inputs["eventPattern"])
        for r in graph.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.account == OBSERVABILITY
    }


def routed_to(graph: ResourceGraph, sample: dict) -> list[str]:
    return sorted(name for name, pattern in rules(graph).items() if matches(pattern, sample))


def test_matcher_can_say_no():
    assert not matches({"source": ["aws.s3"]}, SAMPLE_EVENT)
    assert not matches({"detail": {"alarmName": [{"prefix": "obsgov-"}]}}, SAMPLE_EVENT)
    assert matches(
        {"detail": {"alarmName": [{"prefix": {"equals-ignore-case": "servercpu"}}]}}, SAMPLE_EVENT
    )


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("[HIGH] p99 latency above the SLO. Look at: ...", ["route-critical-alarms"]),
        ("[critical] model endpoint down", ["route-critical-alarms"]),
        ("[MEDIUM] invocations dropped. Look at: ...", ["route-warning-alarms"]),
        ("[Low] a KPI drifted", ["route-warning-alarms"]),
        (
            "[SECURITY] Usage of the root user (Security Hub CloudWatch.1).",
            ["route-security-alarms"],
        ),
        ("Goes into alarm when server CPU utilization is too high!", []),
        ("high latency [HIGH]", []),
    ],
)
def test_each_alarm_level_reaches_exactly_one_topic(prod, description, expected):
    assert routed_to(prod, event(description)) == expected


def test_recoveries_are_routed_but_insufficient_data_is_not(prod):
    assert routed_to(prod, event("[HIGH] x", "OK")) == ["route-critical-alarms"]
    assert routed_to(prod, event("[HIGH] x", "INSUFFICIENT_DATA")) == []


def test_rules_target_their_topic_on_the_central_bus(prod):
    bus = one(prod, "aws:cloudwatch/eventBus:EventBus", "event-routing-prod-bus")
    assert bus.inputs["name"] == BUS
    assert bus.account == OBSERVABILITY
    for severity in ("critical", "warning", "security"):
        rule = one(
            prod, "aws:cloudwatch/eventRule:EventRule", f"event-routing-prod-{severity}-rule"
        )
        assert rule.property_dependencies["eventBusName"] == [bus.urn]
        target = one(
            prod, "aws:cloudwatch/eventTarget:EventTarget", f"event-routing-prod-{severity}-target"
        )
        topic = one(prod, "aws:sns/topic:Topic", f"event-routing-prod-{severity}")
        assert target.property_dependencies["arn"] == [topic.urn]
        assert target.property_dependencies["rule"] == [rule.urn]


# prod's members (stacks/accounts.yaml), the trail's account (management) and the model
# registry's (the observability account, Pulumi.prod.yaml modelApproval.registryAccountId)
PROD_SENDERS = [MANAGEMENT, OBSERVABILITY, "400000000001", "400000000002", "400000000003"]


def test_bus_policy_admits_put_events_from_the_environments_registered_accounts_only(prod):
    """Naming accounts in a bus policy delegates to their IAM policies (EventBridge user guide,
    "Permissions for Amazon EventBridge event buses", eb-event-bus-perms): another account of
    the organization, a dev or sandbox one, may not put events on prod's bus."""
    policy = one(
        prod, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "event-routing-prod-bus-policy"
    ).inputs["policy"]
    assert by_sid(policy) == {
        "RegisteredAccountsPutEvents": {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in PROD_SENDERS]},
            "Action": "events:PutEvents",
            "Resource": BUS_ARN,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
        }
    }
    document = json.loads(policy)

    def put_events(account: str) -> Decision:
        role = f"arn:aws:iam::{account}:role/forwarder"
        request = Request(
            Principal(account=account, arn=role),
            "events:PutEvents",
            BUS_ARN,
            {"aws:PrincipalOrgID": ORG_ID, "aws:PrincipalArn": role},
        )
        forwarder = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS_ARN}],
        }
        return evaluate(request, [forwarder], [document], OBSERVABILITY).decision

    assert put_events("400000000002") is Decision.ALLOW
    assert put_events(DEV_MEMBER) is not Decision.ALLOW


def test_routing_rules_route_only_the_environments_accounts(prod):
    """A dev account's [HIGH] alarm forwarded to prod's bus pages no one in prod."""
    assert routed_to(prod, event("[HIGH] x", account="400000000003")) == ["route-critical-alarms"]
    assert routed_to(prod, event("[HIGH] x", account=DEV_MEMBER)) == []
    assert routed_to(prod, event("[SECURITY] x", account=MANAGEMENT)) == ["route-security-alarms"]


@pytest.mark.parametrize("severity", ["critical", "warning", "security"])
def test_topic_policy_lets_only_cloudwatch_and_the_routing_rules_publish(prod, severity):
    """Each grant names a service and the source it acts for, none an account without a
    condition (Checkov CKV_AWS_385, "Ensure AWS SNS topic policies do not allow cross-account
    access", reads such a grant as cross-account; same-account principals publish through
    their IAM policy: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""
    topic_arn = f"arn:aws:sns:{REGION}:{OBSERVABILITY}:obsgov-prod-{severity}"
    rule_arn = f"arn:aws:events:{REGION}:{OBSERVABILITY}:rule/{BUS}/route-{severity}-alarms"
    policy = by_sid(
        one(
            prod, "aws:sns/topicPolicy:TopicPolicy", f"event-routing-prod-{severity}-policy"
        ).inputs["policy"]
    )
    # The critical topic also admits the model lifecycle's failure rules, by their name prefix
    # (issue 29): SNS delivers a rule's events only when the topic policy allows it.
    lifecycle = policy.pop("LifecycleRulesPublish", None)
    if severity == "critical":
        assert lifecycle == {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "ArnLike": {
                    "aws:SourceArn": f"arn:aws:events:{REGION}:{OBSERVABILITY}:rule/{BUS}/"
                    "obsgov-prod-model-lifecycle-*"
                }
            },
        }
    else:
        assert lifecycle is None
    assert policy == {
        "CloudWatchAlarmsPublish": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": OBSERVABILITY}},
        },
        "RoutingRulesPublish": {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": [rule_arn]}},
        },
    }


def test_topics_are_encrypted_with_a_rotated_key_cloudwatch_and_eventbridge_can_use(prod):
    key = one(prod, "aws:kms/key:Key", "event-routing-prod-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.account == OBSERVABILITY
    for severity in ("critical", "warning", "security"):
        topic = one(prod, "aws:sns/topic:Topic", f"event-routing-prod-{severity}")
        assert topic.inputs["name"] == f"obsgov-prod-{severity}"
        assert topic.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert by_sid(key.inputs["policy"])["AlarmsAndRulesEncrypt"] == {
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": OBSERVABILITY}},
    }


def test_subscriptions_come_from_config(prod, dev):
    subs = sorted(
        (r.name, r.inputs["protocol"], r.inputs["endpoint"])
        for r in prod.of_type("aws:sns/topicSubscription:TopicSubscription")
        # the trail's CIS topic subscribes the security contacts too (test_audit_security_contacts)
        if r.name.startswith("event-routing-")
    )
    assert subs == [
        ("event-routing-prod-critical-email-0", "email", "ml-oncall@example.com"),
        ("event-routing-prod-critical-https-0", "https", "https://events.example.com/obsgov"),
        ("event-routing-prod-security-email-0", "email", "security@example.com"),
        (
            "event-routing-prod-warning-sqs-0",
            "sqs",
            f"arn:aws:sqs:{REGION}:{OBSERVABILITY}:obsgov-warnings",
        ),
    ]
    assert dev.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_default_levels_group_member_alarm_levels_into_the_three_topics(dev):
    sample = event("[MEDIUM] x", account=DEV_MEMBER)
    assert [n for n, p in rules(dev).items() if matches(p, sample)] == ["route-warning-alarms"]


def test_the_bus_arn_the_trail_forwards_to_is_this_bus(prod):
    target = one(prod, "aws:cloudwatch/eventTarget:EventTarget", "audit-trail-prod-forward-target")
    assert target.inputs["arn"] == BUS_ARN
    assert target.account == MANAGEMENT


def test_every_routing_policy_lints_clean_and_opens_only_to_the_organization(prod):
    bus = one(
        prod, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "event-routing-prod-bus-policy"
    ).inputs["policy"]
    assert lint(bus) == []
    assert wildcard_principals(bus) == []
    for topic_policy in prod.of_type("aws:sns/topicPolicy:TopicPolicy"):
        assert lint(topic_policy.inputs["policy"]) == [], topic_policy.name
        assert wildcard_principals(topic_policy.inputs["policy"]) == []
    key = one(prod, "aws:kms/key:Key", "event-routing-prod-key").inputs["policy"]
    assert lint(key, allowed=KEY_POLICY_ALLOWED) == []
    assert wildcard_principals(key) == []


def test_each_topic_target_waits_for_the_topic_policy_that_admits_its_rule(prod):
    # EventBridge drops events it cannot deliver, and delivery to SNS needs the topic policy
    # to allow the rule first:
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    for severity in ("critical", "warning", "security"):
        target = one(
            prod, "aws:cloudwatch/eventTarget:EventTarget", f"event-routing-prod-{severity}-target"
        )
        policy = one(
            prod, "aws:sns/topicPolicy:TopicPolicy", f"event-routing-prod-{severity}-policy"
        )
        assert policy.urn in target.dependencies
