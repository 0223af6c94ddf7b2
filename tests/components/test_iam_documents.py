"""The ARN and statement helpers every component's policies are built from."""

from __future__ import annotations

from components.shared.iam_documents import event_rule_arn


def test_rule_arns_name_a_custom_bus_and_omit_the_default_one():
    """EventBridge ARN formats: arn:aws:events:<region>:<account>:rule/[<bus>/]<rule>, the bus
    part present only for rules on a custom event bus."""
    assert (
        event_rule_arn("eu-west-1", "100000000002", "default", "to-topic")
        == "arn:aws:events:eu-west-1:100000000002:rule/to-topic"
    )
    assert (
        event_rule_arn("eu-west-1", "100000000002", "obsgov-prod-alerts", "to-topic")
        == "arn:aws:events:eu-west-1:100000000002:rule/obsgov-prod-alerts/to-topic"
    )
