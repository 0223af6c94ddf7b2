"""The model approval guard, deployed in an environment's model registry account.

A Lambda function (``obsgov.model_guard.handler``) receives two EventBridge events: the
registry's state change when a package of the environment's groups becomes ``Approved``, and
CloudTrail's ``UpdateModelPackage`` and ``CreateModelPackage`` calls that approve a package or
write its model lifecycle stage, the ones that name the caller. It re-checks the organisation's
rules, sets a violating package back to ``PendingManualApproval`` and records the environment's
lifecycle stage for a package that passed. Everything the function may touch is named: its role
reads packages of this registry (and the previous one), updates packages of the environment's
groups, reads quality reports under one S3 prefix, publishes to this component's topic and
writes one metric namespace.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from obsgov.model_guard.guard import METRIC_NAMESPACE

from ..shared.iam_documents import alarm_topic_policy
from ..shared.platform_function import PlatformFunction, PlatformFunctionArgs, package_files
from ..shared.type_tokens import formerly

HANDLER = "obsgov.model_guard.handler.handler"


def guard_archive_files() -> dict[str, Path]:
    """The guard package and the package marker above it, nothing else."""
    return package_files("model_guard")


@dataclass
class ModelApprovalGuardArgs:
    environment: str
    account_id: str
    region: str
    rules_json: pulumi.Input[str]
    model_package_groups: Sequence[str]
    # s3://bucket/prefix/ where model quality reports live; the only S3 the function may read.
    metrics_report_prefix: str
    # Registry of the previous environment, whose packages the promotion rule describes.
    previous_registry_account_id: str | None = None
    log_retention_days: int = 365
    notification_emails: Sequence[str] = field(default_factory=tuple)
    reserved_concurrency: int = 2


def _s3_prefix_arn(uri: str) -> str:
    bucket, _, prefix = uri[5:].partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise ValueError(f"{uri!r} is not an s3://bucket/prefix URI")
    return f"arn:aws:s3:::{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}*"


def guard_function_name(environment: str) -> str:
    return f"obsgov-{environment}-model-guard"


def guard_role_arn(environment: str, account_id: str) -> str:
    """The guard's role (the platform function's role takes the function's name): the one
    principal the approval SCP lets record the environment's lifecycle stage."""
    return f"arn:aws:iam::{account_id}:role/{guard_function_name(environment)}"


def guard_statements(args: ModelApprovalGuardArgs, *, topic_arn: str) -> list[dict]:
    """What the guard itself may do, beyond what every platform function may."""
    registry = f"arn:aws:sagemaker:{args.region}:{args.account_id}"
    readable = [f"{registry}:model-package/*"]
    if args.previous_registry_account_id and args.previous_registry_account_id != args.account_id:
        readable.append(
            f"arn:aws:sagemaker:{args.region}:{args.previous_registry_account_id}:model-package/*"
        )
    return [
        {
            "Sid": "ReadPackages",
            "Effect": "Allow",
            "Action": "sagemaker:DescribeModelPackage",
            "Resource": readable,
        },
        {
            # revert approvals and record stages, in the environment's groups only
            "Sid": "RevertApprovals",
            "Effect": "Allow",
            "Action": "sagemaker:UpdateModelPackage",
            "Resource": [
                f"{registry}:model-package/{g}/*" for g in sorted(args.model_package_groups)
            ],
        },
        {
            "Sid": "ReadQualityReports",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": _s3_prefix_arn(args.metrics_report_prefix),
        },
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",  # PutMetricData has no resource type; the namespace is pinned
            "Condition": {"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
        },
    ]


def event_patterns(groups: Sequence[str]) -> tuple[str, str]:
    """The state-change pattern, limited to ``groups``, and the CloudTrail pattern: every call
    that approves a package (``UpdateModelPackage``, or ``CreateModelPackage`` registering it
    Approved) or writes a model lifecycle stage. A CloudTrail request names the package by ARN
    or its group by name, so the function, not the pattern, skips other groups' calls (it
    judges them by the same rules)."""
    state = {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": sorted(groups)},
    }
    api = {
        "source": ["aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["sagemaker.amazonaws.com"],
            "eventName": ["CreateModelPackage", "UpdateModelPackage"],
            # EventBridge content filtering, "$or" and "exists" (EventBridge user guide,
            # "Content filtering in Amazon EventBridge event patterns")
            "$or": [
                {"requestParameters": {"modelApprovalStatus": ["Approved"]}},
                {"requestParameters": {"modelLifeCycle": {"stage": [{"exists": True}]}}},
            ],
        },
    }
    return json.dumps(state, sort_keys=True), json.dumps(api, sort_keys=True)


class ModelApprovalGuard(pulumi.ComponentResource):
    """The guard function (with the platform's function hygiene), its topic and triggers."""

    function: aws.lambda_.Function
    topic: aws.sns.Topic

    def __init__(
        self, name: str, args: ModelApprovalGuardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "obsgov:model_approval_guard:ModelApprovalGuard",
            name,
            None,
            formerly(opts, "obsgov:model_guard:ModelApprovalGuard"),
        )
        child = pulumi.ResourceOptions(parent=self)
        prefix = guard_function_name(args.environment)
        topic_arn = f"arn:aws:sns:{args.region}:{args.account_id}:{prefix}"
        platform = PlatformFunction(
            f"{name}-fn",
            PlatformFunctionArgs(
                environment=args.environment,
                account_id=args.account_id,
                region=args.region,
                function_name=prefix,
                handler=HANDLER,
                archive_files=guard_archive_files(),
                statements=guard_statements(args, topic_arn=topic_arn),
                alarm_topic_arn=topic_arn,
                environment_variables={
                    "OBSGOV_GUARD_RULES": args.rules_json,
                    "OBSGOV_GUARD_TOPIC_ARN": topic_arn,
                    "OBSGOV_GUARD_GROUPS": json.dumps(sorted(args.model_package_groups)),
                },
                log_retention_days=args.log_retention_days,
                reserved_concurrency=args.reserved_concurrency,
                description=f"{prefix}: environment, queue, topic, logs",
            ),
            opts=child,
        )
        self.function = platform.function
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=prefix, kms_master_key_id=platform.key.arn, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=alarm_topic_policy(topic_arn, args.account_id),
            opts=child,
        )
        for i, email in enumerate(args.notification_emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        for role_name, pattern in zip(
            ("approvals", "approval-calls"), event_patterns(args.model_package_groups), strict=True
        ):
            rule = aws.cloudwatch.EventRule(
                f"{name}-{role_name}",
                name=f"{prefix}-{role_name}",
                event_pattern=pattern,
                opts=child,
            )
            invoke = aws.lambda_.Permission(
                f"{name}-{role_name}-invoke",
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )
            # EventBridge invokes the function only once its resource policy admits the rule;
            # events matched before are dropped (eb-use-resource-based, "Lambda permissions").
            aws.cloudwatch.EventTarget(
                f"{name}-{role_name}-target",
                rule=rule.name,
                arn=self.function.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[invoke]),
            )
        self.register_outputs({"functionArn": self.function.arn, "topicArn": self.topic.arn})
