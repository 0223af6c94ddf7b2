"""The CIS alarms reach people: the security topic they notify is subscribed to the security
contacts of ``eventRouting.severities.security``.

Security Hub's CloudWatch.1-14 evaluate the metric filter, the alarm and the alarm's SNS topic
together (resource types ``AWS::Logs::MetricFilter``, ``AWS::CloudWatch::Alarm``,
``AWS::CloudTrail::Trail``, ``AWS::SNS::Topic``), and their remediation subscribes someone to
that topic: https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html.
A topic without subscribers leaves the controls failed and the alarms unheard.
"""

from __future__ import annotations

from components.audit.audit_trail import security_endpoints
from obsgov.config.models.central import Subscribers

SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def test_prod_subscribes_the_security_contacts_to_the_cis_alarms_topic(example_graph):
    prod = example_graph("prod", True)
    topic = next(
        r for r in prod.of_type("aws:sns/topic:Topic") if r.name == "audit-trail-prod-security"
    )
    subscriptions = [
        r for r in prod.of_type(SUBSCRIPTION) if r.property_dependencies.get("topic") == [topic.urn]
    ]
    # stacks/Pulumi.prod.yaml: eventRouting.severities.security.emails
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions] == [
        ("email", "security@example.com")
    ]
    assert {s.account for s in subscriptions} == {topic.account}
    alarms = [
        r
        for r in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.inputs["name"].startswith("obsgov-prod-cis-")
    ]
    assert len(alarms) == 14
    assert all(a.property_dependencies["alarmActions"] == [topic.urn] for a in alarms)


def test_every_protocol_of_the_contacts_is_subscribed():
    contacts = Subscribers(
        emails=["a@example.com", "b@example.com"],
        https_endpoints=["https://pager.example.com/x"],
        sqs_queue_arns=["arn:aws:sqs:eu-west-1:100000000002:security"],
    )
    assert security_endpoints(contacts) == {
        "email": ["a@example.com", "b@example.com"],
        "https": ["https://pager.example.com/x"],
        "sqs": ["arn:aws:sqs:eu-west-1:100000000002:security"],
    }
