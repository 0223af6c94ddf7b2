"""The organization trail, in the management account or CloudTrail's delegated administrator.

One multi-region organization trail with global service events and log file validation,
encrypted with a rotated customer-managed key whose policy follows CloudTrail's documented
statements (create-kms-key-policy-for-cloudtrail), delivering to the log archive and to a
KMS-encrypted CloudWatch Logs group through a role that may only create streams and put events
in that group. On that group, the metric filters and alarms of Security Hub CloudWatch.1-14 (the
CIS benchmark's monitoring controls) with AWS's exact filter patterns; the alarms notify a
security topic in this account (Security Hub wants the account to own the alarm's topic) and
their state changes are forwarded to the central event bus, which routes them to the
organization's ``security`` topic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov.config.models.central import DataEvents, Subscribers, TrailSettings

from ..central.event_routing import severity_description
from ..shared.iam_documents import (
    alarm_topic_policy,
    event_rule_arn,
    log_group_arn,
    put_events_policy,
    topic_arn,
    trail_arn,
)
from ..shared.keys import rotated_key
from ..shared.service_roles import service_role
from ..shared.type_tokens import formerly
from .audit_trail_documents import (
    delivery_role_policy,
    forward_dead_letter_policy,
    logs_key_policy,
    trail_key_policy,
)
from .cis_controls import CIS_CONTROLS, CisControl, cis_alarm_name, forwarding_event_pattern


def default_trail_name(environment: str) -> str:
    return f"obsgov-{environment}-organization-trail"


def forward_rule_name(environment: str) -> str:
    return f"obsgov-{environment}-cis-alarms-to-central-bus"


def forward_dead_letter_queue_name(environment: str) -> str:
    return f"obsgov-{environment}-cis-forward-dead-letters"


# EventBridge retries a failed delivery with backoff for up to 24 hours and 185 attempts (its
# defaults, made explicit so the policy is reviewable); what still fails goes to the queue.
FORWARD_RETRY = aws.cloudwatch.EventTargetRetryPolicyArgs(
    maximum_event_age_in_seconds=86_400, maximum_retry_attempts=185
)
# SQS keeps a message at most 14 days: the longest time to notice and replay a dead letter.
DEAD_LETTER_RETENTION_SECONDS = 1_209_600


def trail_log_group_name(environment: str) -> str:
    return f"/obsgov/{environment}/organization-trail"


def advanced_event_selectors(data_events: DataEvents) -> list[Any]:
    """Management events always; data events only for what config names. With advanced
    selectors, management events are recorded only if a selector asks for them."""
    if not (
        data_events.s3_buckets or data_events.sagemaker_endpoints or data_events.lambda_functions
    ):
        return []
    selectors: list[Any] = [
        {
            "name": "Management events",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    if data_events.s3_buckets:
        selectors.append(
            {
                "name": "S3 objects of named buckets",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {
                        "field": "resources.ARN",
                        "starts_withs": [f"arn:aws:s3:::{b}/" for b in data_events.s3_buckets],
                    },
                ],
            }
        )
    if data_events.sagemaker_endpoints:
        selectors.append(
            {
                "name": "SageMaker endpoint invocations",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::SageMaker::Endpoint"]},
                ],
            }
        )
    if data_events.lambda_functions:
        selectors.append(
            {
                "name": "Lambda invocations",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
                ],
            }
        )
    return selectors


def security_endpoints(contacts: Subscribers) -> dict[str, list[str]]:
    """The security contacts by SNS protocol (email and HTTPS subscriptions wait for their
    endpoint to confirm them; SQS queues must admit the topic in their own policy)."""
    return {
        "email": list(contacts.emails),
        "https": list(contacts.https_endpoints),
        "sqs": list(contacts.sqs_queue_arns),
    }


@dataclass
class AuditTrailArgs:
    environment: str
    region: str
    account_id: str  # the account that runs the trail
    management_account_id: str
    organization_id: str
    archive_bucket_name: str
    central_bus_arn: str
    settings: TrailSettings = field(default_factory=TrailSettings)
    # The archive's bucket policy: CreateTrail fails until it admits CloudTrail.
    archive_ready: Sequence[pulumi.Resource] = ()
    # The central bus and its policy: the forwarding target delivers nothing until both exist.
    central_bus_ready: Sequence[pulumi.Resource] = ()
    # Who the CIS alarms' topic notifies: the organization's security contacts
    # (``eventRouting.severities.security``). Security Hub CloudWatch.1-14 fail while the
    # alarm's topic has no subscriber.
    security_contacts: Subscribers = field(default_factory=Subscribers)

    @property
    def trail_name(self) -> str:
        return self.settings.name or default_trail_name(self.environment)

    @property
    def trail_arn(self) -> str:
        return trail_arn(self.region, self.management_account_id, self.trail_name)


class AuditTrail(pulumi.ComponentResource):
    """Organization trail, its keys, CloudWatch Logs delivery and the CIS alarms."""

    key: aws.kms.Key
    logs_key: aws.kms.Key
    log_group: aws.cloudwatch.LogGroup
    trail: aws.cloudtrail.Trail
    security_topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: AuditTrailArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "obsgov:audit_trail:AuditTrail",
            name,
            None,
            formerly(opts, "obsgov:audittrail:AuditTrail"),
        )
        self._create_keys(name, args)
        self._create_trail(name, args)
        self._create_cis_alarms(name, args)
        self._create_forwarding(name, args)
        self.register_outputs(
            {
                "trailArn": self.trail.arn,
                "keyArn": self.key.arn,
                "logGroupName": trail_log_group_name(args.environment),
                "securityTopicArn": self.security_topic.arn,
                "alarmCount": len(self.alarms),
            }
        )

    def _create_keys(self, name: str, args: AuditTrailArgs) -> None:
        """The trail's key (log files) and the key of its log group and security topic."""
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        env, region, account = args.environment, args.region, args.account_id
        group_name = trail_log_group_name(env)
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {env} organization trail log files",
            policy=trail_key_policy(
                account, args.management_account_id, args.trail_arn, settings.decrypt_principals
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{env}-organization-trail",
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.logs_key = rotated_key(
            f"{name}-logs-key",
            description=f"obsgov {env} organization trail log group and security topic",
            policy=logs_key_policy(
                account,
                region,
                group_name,
                event_rule_arn(region, account, "default", forward_rule_name(env)),
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-logs-key-alias",
            name=f"alias/obsgov-{env}-audit-logs",
            target_key_id=self.logs_key.key_id,
            opts=child,
        )

    def _create_trail(self, name: str, args: AuditTrailArgs) -> None:
        """The organization trail, delivering to the archive and to its log group."""
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        env, region, account = args.environment, args.region, args.account_id
        group_name = trail_log_group_name(env)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=group_name,
            kms_key_id=self.logs_key.arn,
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        role, delivery = service_role(
            f"{name}-delivery-role",
            f"{name}-delivery-policy",
            role_name=f"obsgov-{env}-cloudtrail-to-logs",
            service="cloudtrail.amazonaws.com",
            condition={"StringEquals": {"aws:SourceArn": args.trail_arn}},
            policy=delivery_role_policy(
                region, account, group_name, args.management_account_id, args.organization_id
            ),
            policy_name="cloudtrail-to-logs",
            opts=child,
        )
        selectors = advanced_event_selectors(settings.data_events)
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=args.archive_bucket_name,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self.key.arn,
            cloud_watch_logs_group_arn=f"{log_group_arn(region, account, group_name)}:*",
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=selectors or None,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[delivery, self.log_group, *args.archive_ready]
            ),
        )

    def _create_cis_alarms(self, name: str, args: AuditTrailArgs) -> None:
        """The CIS metric filters and alarms, notifying the security topic."""
        child = pulumi.ResourceOptions(parent=self)
        env, region, account = args.environment, args.region, args.account_id
        topic_name = f"obsgov-{env}-audit-security"
        self.security_topic = aws.sns.Topic(
            f"{name}-security", name=topic_name, kms_master_key_id=self.logs_key.arn, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-security-policy",
            arn=self.security_topic.arn,
            policy=alarm_topic_policy(topic_arn(region, account, topic_name), account),
            opts=child,
        )

        for protocol, endpoints in security_endpoints(args.security_contacts).items():
            # Numbered per protocol: adding an email does not rename the HTTPS subscriptions.
            for i, endpoint in enumerate(endpoints):
                aws.sns.TopicSubscription(
                    f"{name}-security-{protocol}-{i}",
                    topic=self.security_topic.arn,
                    protocol=protocol,
                    endpoint=endpoint,
                    opts=child,
                )

        self.alarms = []
        for control in CIS_CONTROLS:
            self.alarms.append(self._cis_alarm(name, args, control))

    def _create_forwarding(self, name: str, args: AuditTrailArgs) -> None:
        """The rule that forwards the CIS alarms' state changes to the central bus, with retries
        and a dead-letter queue whose depth alarms the security topic: a state change the bus
        refuses reaches people instead of vanishing."""
        child = pulumi.ResourceOptions(parent=self)
        env, region, account = args.environment, args.region, args.account_id
        rule_name = forward_rule_name(env)
        rule_arn = event_rule_arn(region, account, "default", rule_name)
        forward_role, _ = service_role(
            f"{name}-forward-role",
            f"{name}-forward-policy",
            role_name=f"obsgov-{env}-audit-alarms-to-central-bus",
            service="events.amazonaws.com",
            # only the forwarding rule (EventBridge user guide, "Cross-service confused deputy
            # prevention": for rule targets aws:SourceArn is the rule's ARN)
            condition={
                "StringEquals": {"aws:SourceAccount": account},
                "ArnEquals": {"aws:SourceArn": rule_arn},
            },
            policy=put_events_policy(args.central_bus_arn),
            policy_name="put-events-central-bus",
            opts=child,
        )
        queue_name = forward_dead_letter_queue_name(env)
        dead_letters = aws.sqs.Queue(
            f"{name}-forward-dlq",
            name=queue_name,
            kms_master_key_id=self.logs_key.arn,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            opts=child,
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{name}-forward-dlq-policy",
            queue_url=dead_letters.url,
            policy=forward_dead_letter_policy(
                f"arn:aws:sqs:{region}:{account}:{queue_name}", rule_arn
            ),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-forward-rule",
            name=rule_name,
            description="CIS alarm state changes, forwarded to the central event bus",
            event_pattern=json.dumps(forwarding_event_pattern(env), sort_keys=True),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-forward-target",
            rule=rule.name,
            arn=args.central_bus_arn,
            role_arn=forward_role.arn,
            target_id="central-bus",
            retry_policy=FORWARD_RETRY,
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letters.arn),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[queue_policy, *args.central_bus_ready]
            ),
        )
        # SQS publishes AWS/SQS queue metrics itself; one undelivered state change is enough.
        aws.cloudwatch.MetricAlarm(
            f"{name}-forward-dlq-alarm",
            name=f"obsgov-{env}-audit-forward-dead-letters",
            alarm_description=severity_description(
                "security",
                "CIS alarm state changes the central bus did not accept are waiting in "
                f"{queue_name}.",
            ),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue_name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.security_topic.arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[dead_letters]),
        )

    def _cis_alarm(
        self, name: str, args: AuditTrailArgs, control: CisControl
    ) -> aws.cloudwatch.MetricAlarm:
        child = pulumi.ResourceOptions(parent=self)
        number = control.control.split(".")[1]
        metric = f"CIS{number}-{control.slug}"
        aws.cloudwatch.LogMetricFilter(
            f"{name}-cis-{number}-filter",
            name=f"obsgov-cis-{number}-{control.slug}",
            log_group_name=self.log_group.name,
            pattern=control.pattern,
            metric_transformation={
                "name": metric,
                "namespace": args.settings.metric_namespace,
                "value": "1",
            },
            opts=child,
        )
        return aws.cloudwatch.MetricAlarm(
            f"{name}-cis-{number}-alarm",
            name=cis_alarm_name(args.environment, control),
            alarm_description=severity_description(
                "security", f"{control.title} (Security Hub {control.control})."
            ),
            namespace=args.settings.metric_namespace,
            metric_name=metric,
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.security_topic.arn],
            opts=child,
        )
