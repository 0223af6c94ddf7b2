"""The monitoring baseline every member account gets.

A customer-managed KMS key (rotated) encrypts the account's alarm topic; CloudWatch may publish
to that topic only from this account; on-call targets subscribe to it; an OAM link shares the
account's metrics, logs and traces with the central observability sink; and every workload the
registry declares for the account gets its alarms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import pulumi
import pulumi_aws as aws

from obsgov.config.models import AlarmDefaults, BusinessKpi, EtlPipeline, MlEndpoint

from .workload_alarms import AlarmContext, endpoint_alarms, kpi_alarms, pipeline_alarms

SHARED_RESOURCE_TYPES = ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace"]


@dataclass
class MemberAccountBaselineArgs:
    account_id: str
    account_name: str
    region: str
    environment: str
    alarm_defaults: AlarmDefaults
    notification_emails: Sequence[str] = ()
    notification_https_endpoints: Sequence[str] = ()
    sink_arn: Optional[pulumi.Input[str]] = None
    workloads: Sequence[Union[MlEndpoint, EtlPipeline, BusinessKpi]] = field(default_factory=list)


def _key_policy(account_id: str) -> str:
    root = f"arn:aws:iam::{account_id}:root"
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                # CloudWatch alarms publish to an encrypted topic only if they can use its key.
                "Sid": "CloudWatchAlarmsEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }, sort_keys=True)


def _topic_policy(topic_arn: str, account_id: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }, sort_keys=True)


class MemberAccountBaseline(pulumi.ComponentResource):
    """Alarm topic, encryption key, OAM link and workload alarms of one member account."""

    key: aws.kms.Key
    alarm_topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: MemberAccountBaselineArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("obsgov:member:MemberAccountBaseline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"obsgov alarm notifications for {args.account_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=_key_policy(args.account_id),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-alarms",
            target_key_id=self.key.key_id,
            opts=child,
        )
        topic_name = f"obsgov-{args.environment}-alarms"
        self.alarm_topic = aws.sns.Topic(
            f"{name}-alarms",
            name=topic_name,
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        # The topic's name is fixed, so its ARN is known before it exists: the policy document
        # is then known at preview time too, and policy packs can judge it there.
        topic_arn = f"arn:aws:sns:{args.region}:{args.account_id}:{topic_name}"
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=self.alarm_topic.arn,
            policy=_topic_policy(topic_arn, args.account_id),
            opts=child,
        )
        for i, email in enumerate(args.notification_emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=self.alarm_topic.arn, protocol="email",
                endpoint=email, opts=child,
            )
        for i, url in enumerate(args.notification_https_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-https-{i}", topic=self.alarm_topic.arn, protocol="https",
                endpoint=url, opts=child,
            )
        if args.sink_arn is not None:
            aws.oam.Link(
                f"{name}-oam-link",
                label_template="$AccountName",
                resource_types=SHARED_RESOURCE_TYPES,
                sink_identifier=args.sink_arn,
                opts=child,
            )

        ctx = AlarmContext(
            logical_prefix=name,
            prefix=f"obsgov-{args.environment}",
            account_id=args.account_id,
            region=args.region,
            defaults=args.alarm_defaults,
            actions=[self.alarm_topic.arn],
            opts=child,
        )
        self.alarms = []
        for workload in args.workloads:
            if isinstance(workload, MlEndpoint):
                self.alarms += endpoint_alarms(ctx, workload)
            elif isinstance(workload, EtlPipeline):
                self.alarms += pipeline_alarms(ctx, workload)
            else:
                self.alarms += kpi_alarms(ctx, workload)

        self.register_outputs({
            "alarmTopicArn": self.alarm_topic.arn,
            "keyArn": self.key.arn,
            "alarmCount": len(self.alarms),
        })
