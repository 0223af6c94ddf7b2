"""Forward the platform's alarm state changes from a member account to the central event bus.

An EventBridge rule on the account's default bus matches ``CloudWatch Alarm State Change``
events of alarms whose names start with the account's alarm prefix, and sends them to the
central bus through a role that EventBridge alone may assume, for this rule alone, and that
may only ``events:PutEvents`` to that one bus.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ..shared.iam_documents import put_events_policy


def event_pattern(alarm_name_prefix: str) -> str:
    """State changes of the account's composite alarms only. One incident pages once: the
    composite ``<workload>-unhealthy`` contains every alarm of the workload, so forwarding the
    children too would page the central on-call once per child and again for the composite.
    Only a composite alarm's event carries ``detail.configuration.alarmRule``
    (CloudWatch user guide, "Alarm events and EventBridge")."""
    return json.dumps(
        {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {
                "alarmName": [{"prefix": alarm_name_prefix}],
                "configuration": {"alarmRule": [{"exists": True}]},
            },
        },
        sort_keys=True,
    )


def trust_policy(account_id: str, rule_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeForwardsAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id, "aws:SourceArn": rule_arn}
                    },
                }
            ],
        },
        sort_keys=True,
    )


def forward_alarm_events(
    name: str,
    *,
    account_id: str,
    region: str,
    environment: str,
    alarm_name_prefix: str,
    bus_arn: str,
    opts: pulumi.ResourceOptions,
    bus_ready: Sequence[pulumi.Resource] = (),
) -> aws.cloudwatch.EventRule:
    """The forwarding rule, its role and its target. ``bus_ready``: what must exist before the
    target, the central bus and the bus policy that admits this account (EventBridge drops
    events it cannot deliver: eb-use-resource-based)."""
    rule_name = f"obsgov-{environment}-alarm-forwarding"
    role_name = f"obsgov-{environment}-alarm-forwarding"
    # Names are fixed, so both ARNs are literals: the policies are whole at preview time.
    rule_arn = f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"
    role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    rule = aws.cloudwatch.EventRule(
        f"{name}-alarm-forwarding",
        name=rule_name,
        description="Platform alarm state changes, to the central event bus.",
        event_pattern=event_pattern(alarm_name_prefix),
        opts=opts,
    )
    # Inline policies on the role are exclusive: one added out of band is removed again.
    role = aws.iam.Role(
        f"{name}-alarm-forwarding-role",
        name=role_name,
        description="Lets EventBridge put this account's alarm events on the central bus.",
        assume_role_policy=trust_policy(account_id, rule_arn),
        inline_policies=[
            aws.iam.RoleInlinePolicyArgs(
                name="put-events-to-central-bus", policy=put_events_policy(bus_arn)
            )
        ],
        opts=opts,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-alarm-forwarding-target",
        rule=rule_name,
        target_id="central-event-bus",
        arn=bus_arn,
        role_arn=role_arn,
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[rule, role, *bus_ready])
        ),
    )
    return rule
