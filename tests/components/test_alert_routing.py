"""Alarm state changes forwarded from each member account to the central event bus."""

from __future__ import annotations

import json

import pytest
from moto.events.utils import EventMessageType

from .conftest import members, statements

BUS = "arn:aws:events:eu-west-1:100000000002:event-bus/obsgov-prod-alerts"


@pytest.mark.parametrize(
    ("account", "name"), [("400000000001", "ml-serving-prod"), ("400000000003", "analytics-prod")]
)
def test_rule_matches_this_accounts_platform_alarms_and_targets_the_bus(prod, account, name):
    rules = [r for r in members(prod, "aws:cloudwatch/eventRule:EventRule") if r.account == account]
    assert len(rules) == 1
    rule = rules[0].inputs
    assert rule["name"] == "obsgov-prod-alarm-forwarding"
    assert json.loads(rule["eventPattern"]) == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {
            "alarmName": [{"prefix": f"prod-{name}-"}],
            "configuration": {"alarmRule": [{"exists": True}]},
        },
    }
    # canonical JSON, as every document obsgov writes: the stored text only changes with the
    # pattern, so `pulumi up` shows no diff for a reordering
    assert rule["eventPattern"] == json.dumps(json.loads(rule["eventPattern"]), sort_keys=True)
    # every alarm and composite of the account matches the prefix
    for alarm in members(prod, "aws:cloudwatch/metricAlarm:MetricAlarm"):
        if alarm.account == account:
            assert alarm.inputs["name"].startswith(f"prod-{name}-")
    target = next(
        t for t in members(prod, "aws:cloudwatch/eventTarget:EventTarget") if t.account == account
    )
    assert target.inputs == {
        "rule": "obsgov-prod-alarm-forwarding",
        "targetId": "central-event-bus",
        "arn": BUS,
        "roleArn": f"arn:aws:iam::{account}:role/obsgov-prod-alarm-forwarding",
    }
    assert rules[0].urn in target.dependencies


def test_role_may_only_put_events_to_the_central_bus(prod):
    role = next(r for r in members(prod, "aws:iam/role:Role") if r.account == "400000000002")
    assert role.inputs["name"] == "obsgov-prod-alarm-forwarding"
    assert statements(role.inputs["assumeRolePolicy"]) == {
        "EventBridgeForwardsAlarms": {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": "400000000002",
                    "aws:SourceArn": "arn:aws:events:eu-west-1:400000000002:rule/obsgov-prod-alarm-forwarding",
                }
            },
        }
    }
    # the only permission: an exclusive inline policy
    [inline] = role.inputs["inlinePolicies"]
    assert inline["name"] == "put-events-to-central-bus"
    assert statements(inline["policy"]) == {
        "PutEventsToCentralBus": {"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}
    }
    assert "managedPolicyArns" not in role.inputs
    assert members(prod, "aws:iam/rolePolicy:RolePolicy") == []


def _alarm_event(name: str, configuration: dict) -> EventMessageType:
    return {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "detail": {
            "alarmName": name,
            "state": {"value": "ALARM"},
            "configuration": configuration,
        },
    }


def test_one_incident_pages_once_centrally(prod):
    # A composite alarm's state change carries configuration.alarmRule, a metric alarm's
    # carries configuration.metrics (CloudWatch user guide, "Alarm events and EventBridge",
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
    # Only the composite reaches the central bus, so a breaching child does not page the
    # central on-call beside the composite that contains it.
    from moto.events.models import EventPattern

    [rule] = [
        r
        for r in members(prod, "aws:cloudwatch/eventRule:EventRule")
        if r.account == "400000000001" and r.inputs["name"] == "obsgov-prod-alarm-forwarding"
    ]
    pattern = EventPattern.load(rule.inputs["eventPattern"])
    child = _alarm_event(
        "prod-ml-serving-prod-fraud-scoring-prod-latency-p99",
        {"description": "[MEDIUM] ...", "metrics": [{"id": "m1"}]},
    )
    composite = _alarm_event(
        "prod-ml-serving-prod-fraud-scoring-prod-unhealthy",
        {"description": "[HIGH] ...", "alarmRule": 'ALARM("x")'},
    )
    assert not pattern.matches_event(child)
    assert pattern.matches_event(composite)


def test_recovery_goes_to_the_team_channel_not_the_pager(prod):
    for composite in members(prod, "aws:cloudwatch/compositeAlarm:CompositeAlarm"):
        account = composite.account
        assert composite.inputs["alarmActions"] == [
            f"arn:aws:sns:eu-west-1:{account}:obsgov-prod-paging"
        ]
        assert composite.inputs["okActions"] == [
            f"arn:aws:sns:eu-west-1:{account}:obsgov-prod-alarms"
        ]
