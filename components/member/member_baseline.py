"""The monitoring baseline every member account gets.

A customer-managed KMS key (rotated) encrypts the account's topics and log groups; CloudWatch
may publish to the topics only from this account. Individual alarms notify the alarm topic
(the team's email); each workload's composite "unhealthy" alarm notifies the paging topic (the
on-call's HTTPS endpoints). An OAM link shares metrics, logs and traces with the central
observability sink, an EventBridge rule forwards alarm state changes to the central event bus,
and every workload the registry declares gets its log groups, critical-event filters, traces
and alarms (see :mod:`components.workload_alarms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.models.settings import AlarmDefaults, AlertRouting, Tracing

from ..shared.iam_documents import (
    account_administers,
    alarm_topic_policy,
    alarms_use_key,
    document,
    log_group_arn,
    logs_encrypt,
)
from ..shared.keys import rotated_key
from ..shared.type_tokens import formerly
from ..workload_kinds import kind_of
from .alarm_spec import AlarmContext
from .alert_routing import forward_alarm_events
from .glue_runs import glue_run_rules
from .workload_alarms import create_alarms, create_composite
from .workload_logs import LogSettings, workload_logs
from .workload_traces import workload_traces

SHARED_RESOURCE_TYPES = ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace"]


@dataclass
class MemberAccountBaselineArgs:
    account_id: str
    account_name: str
    region: str
    environment: str
    alarm_defaults: AlarmDefaults
    log_retention_days: int = 365
    notification_emails: Sequence[str] = ()
    notification_https_endpoints: Sequence[str] = ()
    sink_arn: pulumi.Input[str] | None = None
    alert_routing: AlertRouting = field(default_factory=AlertRouting)
    tracing: Tracing = field(default_factory=Tracing)
    # Registry entries of any kind in components.workload_kinds.WORKLOAD_KINDS.
    workloads: Sequence[Any] = field(default_factory=list)
    # What must exist before this account sends to the centre (the ARNs above are literals,
    # so only these make the graph state the order): the sink and its policy before the OAM
    # link (CreateLink is refused until the sink policy admits the account), the bus and its
    # policy before the forwarding target (EventBridge drops what it cannot deliver), the log
    # destination and its access policy before a subscription filter (PutSubscriptionFilter is
    # refused until then). Usually the central components, whose children they wait for.
    sink_ready: Sequence[pulumi.Resource] = ()
    event_bus_ready: Sequence[pulumi.Resource] = ()
    log_destination_ready: Sequence[pulumi.Resource] = ()


def key_policy(account_id: str, region: str, log_groups: Sequence[str] = ()) -> str:
    """CloudWatch Logs may use the key for the workload log groups the baseline encrypts with
    it (``log_groups``), named exactly, not for every log group of the account: Logs names the
    group in the encryption context of each call (CloudWatch Logs user guide, "Encrypt log data
    in CloudWatch Logs using AWS KMS", step 2: kms:EncryptionContext:aws:logs:arn)."""
    statements = [
        account_administers(account_id),
        # CloudWatch alarms publish to an encrypted topic only if they can use its key.
        alarms_use_key(account_id),
    ]
    if log_groups:
        arns = sorted({log_group_arn(region, account_id, g) for g in log_groups})
        statements.append(logs_encrypt(region, arns))
    return document(*statements)


class MemberAccountBaseline(pulumi.ComponentResource):
    """Topics, encryption key, OAM link, alert routing and workload monitoring of one member
    account."""

    key: aws.kms.Key
    alarm_topic: aws.sns.Topic
    paging_topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]
    composites: list[aws.cloudwatch.CompositeAlarm]

    def __init__(
        self,
        name: str,
        args: MemberAccountBaselineArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "obsgov:member_baseline:MemberAccountBaseline",
            name,
            None,
            formerly(opts, "obsgov:member:MemberAccountBaseline"),
        )
        self._create_key(name, args)
        alarm_arn, paging_arn = self._create_topics(name, args)
        self._create_oam_link(name, args)
        self._create_workload_monitoring(name, args, alarm_arn, paging_arn)
        self.register_outputs(
            {
                "alarmTopicArn": self.alarm_topic.arn,
                "pagingTopicArn": self.paging_topic.arn,
                "keyArn": self.key.arn,
                "alarmCount": len(self.alarms) + len(self.composites),
            }
        )

    def _create_key(self, name: str, args: MemberAccountBaselineArgs) -> None:
        """The account's key for its topics and log groups."""
        child = pulumi.ResourceOptions(parent=self)
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov alarm topics and log groups of {args.account_name}",
            policy=key_policy(
                args.account_id,
                args.region,
                [g for w in args.workloads for g in w.log_group_names()],
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-monitoring",
            target_key_id=self.key.key_id,
            opts=child,
        )

    def _create_topics(self, name: str, args: MemberAccountBaselineArgs) -> tuple[str, str]:
        """The alarm and paging topics and their subscribers."""
        child = pulumi.ResourceOptions(parent=self)
        self.alarm_topic, alarm_arn = self._topic(name, args, "alarms", child)
        self.paging_topic, paging_arn = self._topic(name, args, "paging", child)
        for i, email in enumerate(args.notification_emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}",
                topic=self.alarm_topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        for i, url in enumerate(args.notification_https_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-https-{i}",
                topic=self.paging_topic.arn,
                protocol="https",
                endpoint=url,
                opts=child,
            )
        return alarm_arn, paging_arn

    def _create_oam_link(self, name: str, args: MemberAccountBaselineArgs) -> None:
        """The link that shares the account's signals with the central sink."""
        if args.sink_arn is not None:
            aws.oam.Link(
                f"{name}-oam-link",
                label_template="$AccountName",
                resource_types=SHARED_RESOURCE_TYPES,
                sink_identifier=args.sink_arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.sink_ready)),
            )

    def _create_workload_monitoring(
        self, name: str, args: MemberAccountBaselineArgs, alarm_arn: str, paging_arn: str
    ) -> None:
        """Alarm forwarding to the central bus, and each workload's logs, traces and alarms."""
        child = pulumi.ResourceOptions(parent=self)
        ctx = AlarmContext(
            logical_prefix=name,
            environment=args.environment,
            account_name=args.account_name,
            account_id=args.account_id,
            region=args.region,
            defaults=args.alarm_defaults,
            actions=[alarm_arn],
            # The topic ARNs are literals; the alarms still wait for the topics to exist.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.alarm_topic, self.paging_topic]
            ),
            runbook_url=args.alert_routing.runbook_url,
        )
        routing = args.alert_routing
        if routing.central_event_bus_arn:
            forward_alarm_events(
                name,
                account_id=args.account_id,
                region=args.region,
                environment=args.environment,
                alarm_name_prefix=ctx.name_prefix,
                bus_arn=routing.central_event_bus_arn,
                opts=child,
                bus_ready=args.event_bus_ready,
            )
        logs = LogSettings(
            key_arn=self.key.arn,
            retention_days=args.log_retention_days,
            destination_arn=routing.central_log_destination_arn,
            opts=child,
            destination_ready=tuple(args.log_destination_ready),
        )

        self.alarms, self.composites = [], []
        for workload in args.workloads:
            specs = kind_of(workload).alarms(ctx, workload)
            specs += workload_logs(ctx, workload, logs)
            if getattr(workload, "engine", None) == "glue":
                glue_run_rules(name, args.environment, workload, child)
            if workload.traced:
                workload_traces(name, workload, args.tracing, child)
            alarms = create_alarms(ctx, workload, specs)
            self.alarms += alarms
            self.composites.append(
                create_composite(
                    ctx,
                    workload,
                    alarms,
                    [ctx.alarm_name(workload.name, s.signal) for s in specs],
                    [paging_arn],
                )
            )

    def _topic(
        self, name: str, args: MemberAccountBaselineArgs, role: str, opts: pulumi.ResourceOptions
    ) -> tuple[aws.sns.Topic, str]:
        topic_name = f"obsgov-{args.environment}-{role}"
        # The topic's name is fixed, so its ARN is known before it exists: its policy is set
        # on the topic itself (one resource, not two) and is known at preview time, where
        # policy packs judge it.
        topic_arn = f"arn:aws:sns:{args.region}:{args.account_id}:{topic_name}"
        topic = aws.sns.Topic(
            f"{name}-{role}",
            name=topic_name,
            kms_master_key_id=self.key.arn,
            policy=alarm_topic_policy(topic_arn, args.account_id),
            opts=opts,
        )
        return topic, topic_arn
