"""Severity topics and the central event bus, in the observability account.

Member accounts (and the trail's account) forward CloudWatch alarm state changes to one custom
EventBridge bus; rules on it send each change to the topic of its severity. The severity is read
from the alarm's description, which the alarm state change event carries in
``detail.configuration.description``: an alarm of level ``high`` has a description that starts
with ``[HIGH]`` (see :func:`severity_description`), and config says which levels each topic
receives. The bus admits ``PutEvents`` only from the environment's registered accounts (its
members, the trail's account, the model registry's), and the routing rules route only their
alarms: a dev or sandbox account of the same organization cannot page prod's on-call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.models.central import EventRoutingSettings, Subscribers

from ..shared.iam_documents import (
    account_administers,
    account_root,
    alarms_publish,
    document,
    event_bus_arn,
    event_rule_arn,
    service,
    statement,
    topic_arn,
)
from ..shared.keys import rotated_key
from ..shared.type_tokens import formerly

ALARM_SOURCE = "aws.cloudwatch"
ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"
# Transitions worth a message: into ALARM, and back to OK so on-call knows it cleared.
ROUTED_STATES = ("ALARM", "OK")


def severity_description(level: str, text: str) -> str:
    """The alarm description that routes an alarm by ``level`` (written in upper case, as the
    member accounts' alarms write theirs)."""
    return f"[{level.upper()}] {text}"


def default_bus_name(environment: str) -> str:
    return f"obsgov-{environment}-alerts"


def severity_topic_name(environment: str, severity: str) -> str:
    return f"obsgov-{environment}-{severity}"


def severity_rule_name(severity: str) -> str:
    return f"route-{severity}-alarms"


def severity_event_pattern(levels: Sequence[str], accounts: Sequence[str]) -> dict[str, Any]:
    """Alarm state changes of ``accounts`` whose description starts with ``[<level>]`` for one
    of ``levels``, in any case (member alarms write ``[HIGH]``, the CIS alarms ``[SECURITY]``):
    EventBridge's "begins with (ignore case)" operator (eb-create-pattern-operators). A
    forwarded event keeps the ``account`` of the alarm that changed state (eb-cross-account)."""
    return {
        "account": sorted(set(accounts)),
        "source": [ALARM_SOURCE],
        "detail-type": [ALARM_DETAIL_TYPE],
        "detail": {
            "state": {"value": list(ROUTED_STATES)},
            "configuration": {
                "description": [
                    {"prefix": {"equals-ignore-case": f"[{level}]"}} for level in levels
                ]
            },
        },
    }


def senders_or_owner(bus_arn: str, sender_account_ids: Sequence[str]) -> list[str]:
    """The sending accounts; with none (no members, no trail), the bus's own account, since
    neither a policy's Principal nor a pattern's field may be an empty list."""
    return sorted(set(sender_account_ids)) or [bus_arn.split(":")[4]]


def bus_policy(bus_arn: str, organization_id: str, sender_account_ids: Sequence[str]) -> str:
    """Only the registered accounts that send to the bus may put events on it, and only while
    they are in this organization. Naming the accounts delegates to their IAM policies (the
    forwarding roles' put-events policy), as EventBridge's cross-account example does
    (eb-event-bus-perms, "Example policy: Send events to the default bus in a different
    account")."""
    return document(
        statement(
            "RegisteredAccountsPutEvents",
            "events:PutEvents",
            bus_arn,
            principal={
                "AWS": sorted(
                    {account_root(a) for a in senders_or_owner(bus_arn, sender_account_ids)}
                )
            },
            condition={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
        )
    )


def topics_key_policy(account_id: str) -> str:
    """CloudWatch and EventBridge must be able to use the key to publish to encrypted topics."""
    return document(
        account_administers(account_id),
        statement(
            "AlarmsAndRulesEncrypt",
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            "*",
            principal={"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
            condition={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
    )


# The severity of SageMaker lifecycle failures (components.lifecycle.model_lifecycle), whose
# rules on the central bus notify that topic directly.
LIFECYCLE_FAILURE_SEVERITY = "critical"


def lifecycle_rule_prefix(environment: str) -> str:
    """Every rule the central model lifecycle puts on the bus is named with this prefix."""
    return f"obsgov-{environment}-model-lifecycle-"


def severity_topic_policy(
    topic: str, account_id: str, rule_arns: list[str], lifecycle_rules: str | None = None
) -> str:
    """Only CloudWatch alarms of this account and the routing rules publish; with
    ``lifecycle_rules`` (an ARN pattern) also the lifecycle's failure rules: SNS admits an
    EventBridge rule only when the topic policy names it (eb-use-resource-based, "Amazon SNS
    permissions"). Every grant names a service and the source it acts for. No statement names
    the account: within one account an identity policy alone lets a principal publish (IAM
    user guide, "Policy evaluation logic"), and an unconditioned account grant reads as
    cross-account access (Checkov CKV_AWS_385)."""
    statements = [
        alarms_publish(topic, account_id),
        statement(
            "RoutingRulesPublish",
            "sns:Publish",
            topic,
            principal=service("events.amazonaws.com"),
            condition={"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
        ),
    ]
    if lifecycle_rules:
        statements.append(
            statement(
                "LifecycleRulesPublish",
                "sns:Publish",
                topic,
                principal=service("events.amazonaws.com"),
                condition={"ArnLike": {"aws:SourceArn": lifecycle_rules}},
            )
        )
    return document(*statements)


@dataclass
class EventRoutingArgs:
    environment: str
    region: str
    account_id: str
    organization_id: str
    # the accounts that forward to the bus (bus_sender_accounts): members, the trail's account
    # and the model registry's
    sender_account_ids: Sequence[str]
    settings: EventRoutingSettings = field(default_factory=EventRoutingSettings)

    @property
    def bus_name(self) -> str:
        return self.settings.bus_name or default_bus_name(self.environment)

    @property
    def bus_arn(self) -> str:
        return event_bus_arn(self.region, self.account_id, self.bus_name)


class EventRouting(pulumi.ComponentResource):
    """The central bus, its routing rules and one encrypted topic per severity."""

    key: aws.kms.Key
    bus: aws.cloudwatch.EventBus
    topics: dict[str, aws.sns.Topic]

    def __init__(
        self,
        name: str,
        args: EventRoutingArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "obsgov:event_routing:EventRouting",
            name,
            None,
            formerly(opts, "obsgov:eventrouting:EventRouting"),
        )
        child = pulumi.ResourceOptions(parent=self)

        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} severity topics",
            policy=topics_key_policy(args.account_id),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-severity-topics",
            target_key_id=self.key.key_id,
            opts=child,
        )

        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=args.bus_name, opts=child)
        aws.cloudwatch.EventBusPolicy(
            f"{name}-bus-policy",
            event_bus_name=self.bus.name,
            policy=bus_policy(args.bus_arn, args.organization_id, args.sender_account_ids),
            opts=child,
        )

        self.topics = {}
        for severity, subscribers in sorted(args.settings.severities.items()):
            self.topics[severity] = self._severity(name, args, severity, subscribers)

        self.register_outputs(
            {
                "eventBusArn": self.bus.arn,
                "topicArns": {s: t.arn for s, t in self.topics.items()},
            }
        )

    def _severity(
        self, name: str, args: EventRoutingArgs, severity: str, subscribers: Subscribers
    ) -> aws.sns.Topic:
        child = pulumi.ResourceOptions(parent=self)
        topic_name = severity_topic_name(args.environment, severity)
        arn = topic_arn(args.region, args.account_id, topic_name)
        rule_name = severity_rule_name(severity)
        topic = aws.sns.Topic(
            f"{name}-{severity}", name=topic_name, kms_master_key_id=self.key.arn, opts=child
        )
        policy = aws.sns.TopicPolicy(
            f"{name}-{severity}-policy",
            arn=topic.arn,
            policy=severity_topic_policy(
                arn,
                args.account_id,
                [event_rule_arn(args.region, args.account_id, args.bus_name, rule_name)],
                event_rule_arn(
                    args.region,
                    args.account_id,
                    args.bus_name,
                    lifecycle_rule_prefix(args.environment) + "*",
                )
                if severity == LIFECYCLE_FAILURE_SEVERITY
                else None,
            ),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-{severity}-rule",
            name=rule_name,
            event_bus_name=self.bus.name,
            description=f"CloudWatch alarm state changes of severity {severity}",
            event_pattern=json.dumps(
                severity_event_pattern(
                    args.settings.levels_of(severity),
                    senders_or_owner(args.bus_arn, args.sender_account_ids),
                ),
                sort_keys=True,
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-{severity}-target",
            rule=rule.name,
            event_bus_name=self.bus.name,
            arn=topic.arn,
            target_id=f"{severity}-topic",
            # EventBridge drops what it cannot deliver: the topic policy must admit the rule
            # before the target exists (eb-use-resource-based)
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        by_protocol = {
            "email": subscribers.emails,
            "https": subscribers.https_endpoints,
            "sqs": subscribers.sqs_queue_arns,
        }
        for protocol, endpoints in by_protocol.items():
            # Numbered per protocol: adding an email does not rename the HTTPS subscriptions.
            for i, endpoint in enumerate(endpoints):
                aws.sns.TopicSubscription(
                    f"{name}-{severity}-{protocol}-{i}",
                    topic=topic.arn,
                    protocol=protocol,
                    endpoint=endpoint,
                    opts=child,
                )
        return topic
