"""The model approval guard, deployed in an environment's model registry account.

A Lambda function (``obsgov.model_guard.handler``) receives two EventBridge events for the
environment's model package groups: the registry's state change when a package becomes
``Approved``, and CloudTrail's ``UpdateModelPackage`` call, the one that names the approver. It
re-checks the organisation's rules and sets a violating package back to
``PendingManualApproval``. Everything the function may touch is named: its role reads and
updates packages of this registry, reads quality reports under one S3 prefix, publishes to this
component's topic and writes one metric namespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from obsgov.model_guard.guard import METRIC_NAMESPACE

_PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "obsgov"
HANDLER = "obsgov.model_guard.handler.handler"
RUNTIME = "python3.12"


def guard_archive_files() -> dict[str, Path]:
    """Archive path -> file: the guard package and the package marker above it, nothing else
    (boto3 comes with the Lambda runtime)."""
    files = {"obsgov/__init__.py": _PACKAGE_ROOT / "__init__.py"}
    for source in sorted((_PACKAGE_ROOT / "model_guard").glob("*.py")):
        files[f"obsgov/model_guard/{source.name}"] = source
    return files


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
    previous_registry_account_id: Optional[str] = None
    log_retention_days: int = 365
    notification_emails: Sequence[str] = field(default_factory=tuple)
    reserved_concurrency: int = 2


def _s3_prefix_arn(uri: str) -> str:
    bucket, _, prefix = uri[5:].partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise ValueError(f"{uri!r} is not an s3://bucket/prefix URI")
    return f"arn:aws:s3:::{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}*"


def key_policy(account_id: str, region: str, log_group_name: str) -> str:
    root = f"arn:aws:iam::{account_id}:root"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsEncrypt", "Effect": "Allow",
         "Principal": {"Service": f"logs.{region}.amazonaws.com"},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:Describe*"],
         "Resource": "*",
         "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn":
                                     f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"}}},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    ]}, sort_keys=True)


def role_policy(args: ModelApprovalGuardArgs, *, topic_arn: str,
                queue_arn: str, log_group_arn: str, key_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    registry = f"arn:aws:sagemaker:{args.region}:{args.account_id}"
    readable = [f"{registry}:model-package/*"]
    if args.previous_registry_account_id and args.previous_registry_account_id != args.account_id:
        readable.append(f"arn:aws:sagemaker:{args.region}:{args.previous_registry_account_id}"
                        ":model-package/*")

    def render(key: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadPackages", "Effect": "Allow", "Action": "sagemaker:DescribeModelPackage",
             "Resource": readable},
            {"Sid": "RevertApprovals", "Effect": "Allow", "Action": "sagemaker:UpdateModelPackage",
             "Resource": f"{registry}:model-package/*"},
            {"Sid": "ReadQualityReports", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": _s3_prefix_arn(args.metrics_report_prefix)},
            {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {"Sid": "DeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage",
             "Resource": queue_arn},
            {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
             "Resource": "*",  # PutMetricData has no resource type; the namespace is pinned
             "Condition": {"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}}},
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"{log_group_arn}:log-stream:*"},
            {"Sid": "UseKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": key},
        ]}, sort_keys=True)

    return pulumi.Output.from_input(key_arn).apply(render)


def event_patterns(groups: Sequence[str]) -> tuple[str, str]:
    """The state-change and CloudTrail patterns, limited to ``groups``."""
    state = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
             "detail": {"ModelApprovalStatus": ["Approved"],
                        "ModelPackageGroupName": sorted(groups)}}
    api = {"source": ["aws.sagemaker"], "detail-type": ["AWS API Call via CloudTrail"],
           "detail": {"eventSource": ["sagemaker.amazonaws.com"],
                      "eventName": ["UpdateModelPackage"],
                      "requestParameters": {"modelApprovalStatus": ["Approved"]}}}
    return json.dumps(state, sort_keys=True), json.dumps(api, sort_keys=True)


class ModelApprovalGuard(pulumi.ComponentResource):
    """The guard function, its queue, key, topic, logs, alarms and triggers."""

    function: aws.lambda_.Function
    topic: aws.sns.Topic

    def __init__(self, name: str, args: ModelApprovalGuardArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("obsgov:model_guard:ModelApprovalGuard", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"obsgov-{args.environment}-model-guard"
        log_group_name = f"/aws/lambda/{prefix}"
        base = f"arn:aws:{{}}:{args.region}:{args.account_id}"
        topic_arn = f"{base.format('sns')}:{prefix}"
        queue_arn = f"{base.format('sqs')}:{prefix}-dlq"
        log_group_arn = f"{base.format('logs')}:log-group:{log_group_name}"

        key = aws.kms.Key(f"{name}-key", description=f"{prefix}: environment, queue, topic, logs",
                          enable_key_rotation=True, deletion_window_in_days=30,
                          policy=key_policy(args.account_id, args.region, log_group_name),
                          opts=child)
        self.topic = aws.sns.Topic(f"{name}-topic", name=prefix, kms_master_key_id=key.arn,
                                   opts=child)
        aws.sns.TopicPolicy(f"{name}-topic-policy", arn=self.topic.arn, policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}}]},
            sort_keys=True), opts=child)
        for i, email in enumerate(args.notification_emails):
            aws.sns.TopicSubscription(f"{name}-email-{i}", topic=self.topic.arn, protocol="email",
                                      endpoint=email, opts=child)
        queue = aws.sqs.Queue(f"{name}-dlq", name=f"{prefix}-dlq", kms_master_key_id=key.arn,
                              message_retention_seconds=1_209_600, opts=child)
        logs = aws.cloudwatch.LogGroup(f"{name}-logs", name=log_group_name,
                                       retention_in_days=args.log_retention_days,
                                       kms_key_id=key.arn, opts=child)
        role = aws.iam.Role(f"{name}-role", name=prefix, assume_role_policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}}]},
            sort_keys=True), opts=child)
        aws.iam.RolePolicy(f"{name}-role-policy", role=role.id, policy=role_policy(
            args, topic_arn=topic_arn, queue_arn=queue_arn,
            log_group_arn=log_group_arn, key_arn=key.arn), opts=child)
        archive = pulumi.AssetArchive({path: pulumi.FileAsset(str(source))
                                       for path, source in guard_archive_files().items()})
        self.function = aws.lambda_.Function(
            f"{name}-function", name=prefix, runtime=RUNTIME, handler=HANDLER, code=archive,
            role=role.arn, timeout=60, memory_size=256, kms_key_arn=key.arn,
            reserved_concurrent_executions=args.reserved_concurrency,
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=queue.arn),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text",
                                                                  log_group=log_group_name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                "OBSGOV_GUARD_RULES": args.rules_json, "OBSGOV_GUARD_TOPIC_ARN": topic_arn}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )
        for role_name, pattern in zip(("approvals", "approval-calls"),
                                      event_patterns(args.model_package_groups)):
            rule = aws.cloudwatch.EventRule(f"{name}-{role_name}", name=f"{prefix}-{role_name}",
                                            event_pattern=pattern, opts=child)
            aws.cloudwatch.EventTarget(f"{name}-{role_name}-target", rule=rule.name,
                                       arn=self.function.arn, opts=child)
            aws.lambda_.Permission(f"{name}-{role_name}-invoke", action="lambda:InvokeFunction",
                                   function=self.function.name,
                                   principal="events.amazonaws.com", source_arn=rule.arn,
                                   opts=child)
        alarms = (("errors", "AWS/Lambda", "Errors", {"FunctionName": prefix}),
                  ("throttles", "AWS/Lambda", "Throttles", {"FunctionName": prefix}),
                  ("dlq-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                   {"QueueName": f"{prefix}-dlq"}))
        for role_name, namespace, metric, dimensions in alarms:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{role_name}", name=f"{prefix}-{role_name}",
                alarm_description=f"The model approval guard of {args.environment}: {metric} "
                                  f"above 0. Approvals may be going unchecked; see {log_group_name}.",
                namespace=namespace, metric_name=metric, dimensions=dimensions,
                statistic="Maximum" if namespace == "AWS/SQS" else "Sum", period=300,
                evaluation_periods=1, threshold=0, comparison_operator="GreaterThanThreshold",
                # no datapoints means no invocations and no dead letters: healthy
                treat_missing_data="notBreaching", actions_enabled=True,
                alarm_actions=[self.topic.arn], ok_actions=[self.topic.arn], opts=child)
        self.register_outputs({"functionArn": self.function.arn, "topicArn": self.topic.arn})
