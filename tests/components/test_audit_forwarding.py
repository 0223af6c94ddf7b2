"""The forwarding of CIS alarm state changes to the central bus loses nothing silently.

EventBridge retries a failed delivery (retry policy) and then drops the event unless the target
has a dead-letter queue; the queue's policy must admit ``events.amazonaws.com`` for the rule,
and a queue encrypted with a customer managed key needs the key policy to admit EventBridge too
(EventBridge user guide, "Using dead-letter queues to process undelivered events":
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). A target whose bus
or bus policy does not exist yet drops what it matches, so the target waits for both.
"""

from __future__ import annotations

import json

from obsgov.graph import ResourceGraph

REGION = "eu-west-1"
MANAGEMENT = "100000000001"
RULE_ARN = f"arn:aws:events:{REGION}:{MANAGEMENT}:rule/obsgov-prod-cis-alarms-to-central-bus"
QUEUE = "obsgov-prod-cis-forward-dead-letters"


def _one(graph: ResourceGraph, type_token: str, name: str):
    found = [r for r in graph.of_type(type_token) if r.name == name]
    assert len(found) == 1, name
    return found[0]


def _statements(document: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def test_every_event_target_of_the_audit_has_retries_and_a_dead_letter_queue(example_graph):
    prod = example_graph("prod", True)
    targets = [
        r
        for r in prod.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if r.name.startswith(("audit-", "log-archive-", "guardrails-", "business-views-"))
    ]
    assert [t.name for t in targets] == ["audit-trail-prod-forward-target"]
    queue = _one(prod, "aws:sqs/queue:Queue", "audit-trail-prod-forward-dlq")
    for target in targets:
        assert target.inputs["retryPolicy"] == {
            "maximumEventAgeInSeconds": 86400,
            "maximumRetryAttempts": 185,
        }
        assert target.property_dependencies["deadLetterConfig"] == [queue.urn]
    assert queue.inputs["name"] == QUEUE
    assert queue.inputs["messageRetentionSeconds"] == 1_209_600
    assert queue.account == MANAGEMENT


def test_the_dead_letter_queue_admits_eventbridge_for_the_forwarding_rule_only(example_graph):
    prod = example_graph("prod", True)
    policy = _one(prod, "aws:sqs/queuePolicy:QueuePolicy", "audit-trail-prod-forward-dlq-policy")
    assert _statements(policy.inputs["policy"]) == {
        "EventBridgeDeadLetters": {
            "Sid": "EventBridgeDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:{REGION}:{MANAGEMENT}:{QUEUE}",
            "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
        }
    }
    rule = _one(prod, "aws:cloudwatch/eventRule:EventRule", "audit-trail-prod-forward-rule")
    assert rule.inputs["name"] == RULE_ARN.rsplit("/", 1)[1]
    queue = _one(prod, "aws:sqs/queue:Queue", "audit-trail-prod-forward-dlq")
    key = _one(prod, "aws:kms/key:Key", "audit-trail-prod-logs-key")
    assert queue.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert _statements(key.inputs["policy"])["EventBridgeEncryptDeadLetters"] == {
        "Sid": "EventBridgeEncryptDeadLetters",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
    }
    target = _one(prod, "aws:cloudwatch/eventTarget:EventTarget", "audit-trail-prod-forward-target")
    assert policy.urn in target.dependencies


def test_the_target_waits_for_the_central_bus_and_its_policy(example_graph):
    prod = example_graph("prod", True)
    target = _one(prod, "aws:cloudwatch/eventTarget:EventTarget", "audit-trail-prod-forward-target")
    bus = _one(prod, "aws:cloudwatch/eventBus:EventBus", "event-routing-prod-bus")
    bus_policy = _one(
        prod, "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "event-routing-prod-bus-policy"
    )
    assert {bus.urn, bus_policy.urn} <= set(target.dependencies)


def test_dead_letters_page_the_security_contacts(example_graph):
    prod = example_graph("prod", True)
    alarm = _one(
        prod, "aws:cloudwatch/metricAlarm:MetricAlarm", "audit-trail-prod-forward-dlq-alarm"
    )
    topic = _one(prod, "aws:sns/topic:Topic", "audit-trail-prod-security")
    # SQS publishes AWS/SQS ApproximateNumberOfMessagesVisible per QueueName by itself
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm.inputs["dimensions"] == {"QueueName": QUEUE}
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["threshold"] == 0
    assert alarm.property_dependencies["alarmActions"] == [topic.urn]
    assert alarm.inputs["alarmDescription"].startswith("[SECURITY] ")
