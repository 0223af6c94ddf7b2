"""The model lifecycle, observable and auditable across accounts.

* :class:`ModelRegistry` (the environment's registry account): one model package group per
  group the accounts registry's ML endpoints name, each with a resource policy that lets exactly
  the accounts serving that model describe and list its packages and create models from them;
  a model-artifact bucket and KMS key those accounts may read; and pull access to the private
  ECR repositories (``modelApproval.imageRepositories``) holding the inference images. Those
  are the three resources SageMaker's cross-account deployment needs shared: the group, the
  bucket holding the model versions and the image's repository
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy-xaccount.html).
* :class:`LifecycleForwarding` (every ML account and the registry account): EventBridge rules
  for training, processing, transform and tuning failures, failed SageMaker Pipelines
  executions, every model package state change and the CloudTrail record of approvals,
  forwarded to the central bus by a role that may only put events there.
* :class:`LifecycleCentral` (the observability account): failures notify the severity topic and
  land in a log group whose metric filter counts them per account; alarms per account; every
  lifecycle event is archived to S3 through Firehose and catalogued for Athena.

The events watched are in :mod:`.lifecycle_events`, the archive in :mod:`.lifecycle_archive`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..central.event_routing import lifecycle_rule_prefix
from ..shared.buckets import hardened_bucket
from ..shared.iam_documents import (
    account_administers,
    account_root,
    deny_insecure_transport,
    document,
    event_rule_arn,
    log_group_arn,
    logs_encrypt,
    put_events_policy,
    statement,
)
from ..shared.keys import rotated_key
from ..shared.service_roles import service_role
from .lifecycle_archive import lifecycle_archive
from .lifecycle_events import (
    FAILURE_METRIC,
    FAILURE_METRIC_NAMESPACE,
    FAILURE_PATTERNS,
    RECORD_PATTERNS,
    event_pattern,
)

# --------------------------------------------------------------------------- registry


def group_policy(region: str, registry_account: str, group: str, serving: Sequence[str]) -> str:
    base = f"arn:aws:sagemaker:{region}:{registry_account}"
    principals = sorted(account_root(a) for a in set(serving))
    return document(
        statement(
            "ServingAccountsDescribeGroup",
            "sagemaker:DescribeModelPackageGroup",
            f"{base}:model-package-group/{group}",
            principal={"AWS": principals},
        ),
        statement(
            "ServingAccountsReadPackages",
            # CreateModel with the package's ARN is how a serving account deploys a version.
            # UpdateModelPackage, which SageMaker's example also grants, is withheld: it sets
            # ModelApprovalStatus, and approvals belong to the registry and its guard.
            [
                "sagemaker:CreateModel",
                "sagemaker:DescribeModelPackage",
                "sagemaker:ListModelPackages",
            ],
            f"{base}:model-package/{group}/*",
            principal={"AWS": principals},
        ),
    )


def artifact_bucket_name(environment: str, registry_account: str) -> str:
    return f"obsgov-{environment}-model-artifacts-{registry_account}"


def artifact_bucket_policy(bucket: str, serving: Sequence[str]) -> str:
    """TLS only; the serving accounts may read model versions (their endpoints' execution roles
    fetch ModelDataUrl at CreateModel and on every instance start)."""
    statements = [deny_insecure_transport(bucket)]
    if serving:
        statements.append(
            statement(
                "ServingAccountsReadArtifacts",
                "s3:GetObject",
                f"arn:aws:s3:::{bucket}/*",
                principal={"AWS": sorted(account_root(a) for a in set(serving))},
            )
        )
    return document(*statements)


# What pulling an image needs of a private repository (ECR's "allow pull" policy example:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html)
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def image_pull_policy(serving: Sequence[str]) -> str:
    # A repository policy applies to its repository: its statements carry no Resource.
    return document(
        {
            "Sid": "ServingAccountsPullImages",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(account_root(a) for a in set(serving))},
            "Action": ECR_PULL,
        }
    )


def artifact_key_policy(region: str, registry_account: str, serving: Sequence[str]) -> str:
    statements = [
        statement(
            "RegistryAdministers", "kms:*", "*", principal={"AWS": account_root(registry_account)}
        )
    ]
    if serving:
        statements.append(
            statement(
                "ServingAccountsDecryptArtifacts",
                ["kms:Decrypt", "kms:DescribeKey"],
                "*",
                principal={"AWS": sorted(account_root(a) for a in set(serving))},
                condition={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            )
        )
    return document(*statements)


@dataclass
class ModelRegistryArgs:
    environment: str
    account_id: str
    region: str
    # model package group -> the member accounts whose endpoints serve it
    serving_accounts: Mapping[str, Sequence[str]]
    # model package group -> the model id its endpoints serve (its model-id tag)
    model_ids: Mapping[str, str] = field(default_factory=dict)
    # Private ECR repositories in the registry account holding the models' inference images:
    # each gets a repository policy (the platform's, replacing any other) letting every
    # serving account pull.
    image_repositories: Sequence[str] = ()
    # Whether this stack creates the groups and their policies. Environments of one promotion
    # order share the registry account, where a group is one object (CreateModelPackageGroup
    # fails on the second stack, PutModelPackageGroupPolicy overwrites): the first environment
    # owns them and grants every environment's serving accounts; the others name them only.
    owns_groups: bool = True
    # the registry account's server access log bucket and its policy (the artifact bucket
    # logs there once the policy admits the logging service: Security Hub S3.9)
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_ready: Sequence[pulumi.Resource] = ()


class ModelRegistry(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:model_lifecycle:ModelRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        every_serving = sorted({a for accounts in args.serving_accounts.values() for a in accounts})
        self.artifact_key = rotated_key(
            f"{name}-artifact-key",
            description=f"obsgov {args.environment} model artifacts",
            policy=artifact_key_policy(args.region, args.account_id, every_serving),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-artifact-key-alias",
            name=f"alias/obsgov-{args.environment}-model-artifacts",
            target_key_id=self.artifact_key.key_id,
            opts=child,
        )
        bucket = artifact_bucket_name(args.environment, args.account_id)
        self.artifact_bucket = hardened_bucket(
            self,
            f"{name}-artifacts",
            bucket,
            kms_key_arn=self.artifact_key.arn,
            policy=artifact_bucket_policy(bucket, every_serving),
            lifecycle_rules=[
                {
                    # a version a package points at must stay: only replaced copies age out
                    "id": "expire-replaced-artifacts",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": 90},
                }
            ],
            access_log_bucket=args.access_log_bucket,
            access_log_ready=args.access_log_ready,
            purpose="model-artifacts",
        )
        if args.owns_groups and every_serving:
            for repository in sorted(set(args.image_repositories)):
                aws.ecr.RepositoryPolicy(
                    f"{name}-image-{repository.replace('/', '-')}",
                    repository=repository,
                    policy=image_pull_policy(every_serving),
                    opts=child,
                )
        for group, serving in sorted(args.serving_accounts.items() if args.owns_groups else ()):
            package_group = aws.sagemaker.ModelPackageGroup(
                f"{name}-{group}",
                model_package_group_name=group,
                model_package_group_description=f"obsgov {args.environment}: {group}",
                tags={"model-id": args.model_ids[group]} if group in args.model_ids else None,
                opts=child,
            )
            aws.sagemaker.ModelPackageGroupPolicy(
                f"{name}-{group}-policy",
                model_package_group_name=package_group.model_package_group_name,
                resource_policy=group_policy(args.region, args.account_id, group, serving),
                opts=child,
            )
        self.register_outputs(
            {"artifactKeyArn": self.artifact_key.arn, "artifactBucket": self.artifact_bucket.id}
        )


# --------------------------------------------------------------------------- forwarding


@dataclass
class LifecycleForwardingArgs:
    environment: str
    account_id: str
    central_bus_arn: str
    # the central bus and its policy (or the component holding them): the targets wait for
    # them, as EventBridge drops events it cannot deliver (eb-use-resource-based)
    bus_ready: Sequence[pulumi.Resource] = ()


class LifecycleForwarding(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: LifecycleForwardingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:model_lifecycle:LifecycleForwarding", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kinds = [*FAILURE_PATTERNS, *RECORD_PATTERNS]
        # a cross-account bus target is in the rule's Region: the bus ARN names it
        region = args.central_bus_arn.split(":")[3]
        rule_arns = [
            event_rule_arn(region, args.account_id, "default", f"obsgov-{args.environment}-{k}")
            for k in kinds
        ]
        role, _ = service_role(
            f"{name}-role",
            f"{name}-role-policy",
            role_name=f"obsgov-{args.environment}-lifecycle-forwarding",
            service="events.amazonaws.com",
            # only these rules (EventBridge user guide, "Cross-service confused deputy
            # prevention": for rule targets aws:SourceArn is the rule's ARN)
            condition={
                "StringEquals": {"aws:SourceAccount": args.account_id},
                "ArnEquals": {"aws:SourceArn": sorted(rule_arns)},
            },
            policy=put_events_policy(args.central_bus_arn, sid="PutToCentralBusOnly"),
            opts=child,
        )
        for kind in kinds:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}",
                name=f"obsgov-{args.environment}-{kind}",
                description=f"Forward SageMaker {kind.replace('-', ' ')} to the central bus.",
                event_pattern=json.dumps(event_pattern(kind), sort_keys=True),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-target",
                rule=rule.name,
                arn=args.central_bus_arn,
                role_arn=role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.bus_ready)),
            )
        self.register_outputs({})


# --------------------------------------------------------------------------- central


@dataclass
class LifecycleCentralArgs:
    environment: str
    account_id: str
    region: str
    bus_name: str
    failure_topic_arn: str
    ml_account_ids: Sequence[str]
    log_retention_days: int = 365
    archive_expiry_days: int = 1827
    # the failure topic and its policy (or the component holding them): the notify targets
    # wait for them
    topic_ready: Sequence[pulumi.Resource] = ()
    # the account's server access log bucket and its policy (components.shared.access_logs)
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_ready: Sequence[pulumi.Resource] = ()


class LifecycleCentral(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: LifecycleCentralArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:model_lifecycle:LifecycleCentral", name, None, opts)
        # lifecycle_rule_prefix: the critical topic's policy admits the rules by this prefix
        prefix = lifecycle_rule_prefix(args.environment).rstrip("-")
        failures_group = f"/aws/events/{prefix}-failures"
        bucket_name = f"{prefix}-archive-{args.account_id}"
        database = f"obsgov_{args.environment}_lifecycle"
        self.database_name, self.table_name = database, "events"
        key = self._create_key(name, args, prefix, failures_group)
        failures, delivery = self._create_failure_log(name, args, prefix, failures_group, key)
        self._create_failure_rules(name, args, prefix, failures, delivery)
        self._create_failure_alarms(name, args, prefix, failures_group)
        archive = self._create_archive(name, args, prefix, bucket_name, database, key)
        self.register_outputs({"archiveBucket": archive.bucket})

    def _create_key(
        self, name: str, args: LifecycleCentralArgs, prefix: str, failures_group: str
    ) -> aws.kms.Key:
        """The key of the archive and the failures log group."""
        child = pulumi.ResourceOptions(parent=self)
        key = rotated_key(
            f"{name}-key",
            description=f"{prefix}: archive and logs",
            policy=document(
                account_administers(args.account_id),
                logs_encrypt(
                    args.region, log_group_arn(args.region, args.account_id, failures_group)
                ),
            ),
            opts=child,
        )
        return key

    def _create_failure_log(
        self,
        name: str,
        args: LifecycleCentralArgs,
        prefix: str,
        failures_group: str,
        key: aws.kms.Key,
    ) -> tuple[aws.cloudwatch.LogGroup, aws.cloudwatch.LogResourcePolicy]:
        """The log group failure events land in, the resource policy that lets EventBridge
        write to it, and the metric that counts them."""
        child = pulumi.ResourceOptions(parent=self)
        failures = aws.cloudwatch.LogGroup(
            f"{name}-failures",
            name=failures_group,
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            opts=child,
        )
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-failures-delivery",
            policy_name=f"{prefix}-failures",
            policy_document=document(
                statement(
                    "EventBridgeDelivers",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    f"{log_group_arn(args.region, args.account_id, failures_group)}:*",
                    principal={"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
                    condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                )
            ),
            opts=child,
        )
        aws.cloudwatch.LogMetricFilter(
            f"{name}-failure-count",
            name=f"{prefix}-failures",
            log_group_name=failures.name,
            pattern='{ $.source = "aws.sagemaker" }',
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=FAILURE_METRIC,
                namespace=FAILURE_METRIC_NAMESPACE,
                value="1",
                unit="Count",
                dimensions={"Account": "$.account", "EventType": "$.detail-type"},
            ),
            opts=child,
        )
        return failures, delivery

    def _create_failure_rules(
        self,
        name: str,
        args: LifecycleCentralArgs,
        prefix: str,
        failures: aws.cloudwatch.LogGroup,
        delivery: aws.cloudwatch.LogResourcePolicy,
    ) -> None:
        """One rule per failure kind on the central bus: notified, and counted in the log group."""
        child = pulumi.ResourceOptions(parent=self)
        for kind in FAILURE_PATTERNS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}",
                name=f"{prefix}-{kind}",
                event_bus_name=args.bus_name,
                event_pattern=json.dumps(event_pattern(kind, args.ml_account_ids), sort_keys=True),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-notify",
                rule=rule.name,
                event_bus_name=args.bus_name,
                arn=args.failure_topic_arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.topic_ready)),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-count",
                rule=rule.name,
                event_bus_name=args.bus_name,
                arn=failures.arn,
                # EventBridge writes to a log group only once its resource policy admits it
                opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
            )

    def _create_failure_alarms(
        self, name: str, args: LifecycleCentralArgs, prefix: str, failures_group: str
    ) -> None:
        """One alarm per ML account on its failure count."""
        child = pulumi.ResourceOptions(parent=self)
        for account in sorted(set(args.ml_account_ids)):
            aws.cloudwatch.MetricAlarm(
                f"{name}-failures-{account}",
                name=f"{prefix}-failures-{account}",
                alarm_description=f"[HIGH] SageMaker training, processing, tuning or pipeline "
                f"failures in account {account}. Details: {failures_group}.",
                metric_queries=[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=f"f{i}",
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace=FAILURE_METRIC_NAMESPACE,
                            metric_name=FAILURE_METRIC,
                            period=300,
                            stat="Sum",
                            unit="Count",
                            dimensions={"Account": account, "EventType": event_type},
                        ),
                    )
                    for i, event_type in enumerate(
                        p["detail-type"][0] for p in FAILURE_PATTERNS.values()
                    )
                ]
                + [
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="total", expression="SUM(METRICS())", label="failures", return_data=True
                    )
                ],
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                # no datapoint means no failure was logged in the period
                treat_missing_data="notBreaching",
                actions_enabled=True,
                alarm_actions=[args.failure_topic_arn],
                ok_actions=[args.failure_topic_arn],
                opts=child,
            )

    def _create_archive(
        self,
        name: str,
        args: LifecycleCentralArgs,
        prefix: str,
        bucket_name: str,
        database: str,
        key: aws.kms.Key,
    ) -> aws.s3.Bucket:
        """The archive every lifecycle event is kept in, queryable with Athena."""
        archive = lifecycle_archive(
            self,
            name,
            prefix=prefix,
            bucket_name=bucket_name,
            database=database,
            key=key,
            account_id=args.account_id,
            region=args.region,
            bus_name=args.bus_name,
            expiry_days=args.archive_expiry_days,
            access_log_bucket=args.access_log_bucket,
            access_log_ready=args.access_log_ready,
        )
        return archive
