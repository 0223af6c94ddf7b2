"""What the deployment role may do in a member account, and what the roles it creates may do.

Three documents, all generated from one :class:`DeploymentScope`:

* the deployment role's identity policy (inline, ``obsgov-deployment``): every action
  ``pulumi up`` needs to create, read, update and delete the member baseline (alarms, log
  groups and filters, rules and targets, topics, keys and aliases, the OAM link, X-Ray groups,
  the platform functions, their queues and roles, the monitoring bucket and the drift
  layer, the Spark drift job on Glue and its trigger), each scoped to this account and,
  where the platform owns the names, to ``obsgov-*``;
* its permissions boundary (managed, ``obsgov-deployment-boundary``): the same ceiling, so a
  managed policy attached later (by hand, or ``--role-policy``) cannot widen it;
* the workload boundary (managed, ``obsgov-workload-boundary``): what any role the baseline
  creates may ever do (put events on the central bus, publish obsgov's metrics, read and write
  the configured data locations), so a role created by the deployment role cannot be more
  than that.

Privilege escalation is closed the way AWS's delegation example does it (IAM User Guide,
"Permissions boundaries for IAM entities", https://docs.aws.amazon.com/IAM/latest/UserGuide/
access_policies_boundaries.html): roles may be created, and their policies changed, only
with the workload boundary attached (``iam:PermissionsBoundary``); the boundary may not be
removed; the deployment role, its policies and the boundaries themselves may not be edited;
``iam:PassRole`` reaches only the platform's roles and only for Lambda, EventBridge and
Glue. Data is out of reach: no Secrets Manager or SSM parameter action, no S3 object but the
drift jobs' code in the account's own monitoring bucket (``layers/``: the layer's archive,
which the program uploads and publishes the layer from, and the Spark job's script and
modules), and KMS use only through Lambda or, for that upload,
S3 (``kms:ViaService``).

A known limit of IAM, not of this policy: AWS requires the permission to tag a key at
creation to cover every key of the account (KMS Developer Guide, "Controlling access to
tags"), so the ``managed-by`` tag that scopes key administration can also be put on an
existing key; ``accounts verify`` reports keys tagged ``managed-by=obsgov`` that the
baseline does not own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PLATFORM_PREFIX = "obsgov-"
DEPLOYMENT_POLICY_NAME = "obsgov-deployment"
DEPLOYMENT_BOUNDARY_NAME = "obsgov-deployment-boundary"
WORKLOAD_BOUNDARY_NAME = "obsgov-workload-boundary"
MANAGED_BY = ("managed-by", "obsgov")
# Services the platform's roles are handed to (iam:PassedToService): Glue runs the Spark drift
# job (components/lifecycle/drift_glue_job.py) with its role.
PASSED_TO = ("lambda.amazonaws.com", "events.amazonaws.com", "glue.amazonaws.com")
# The namespaces platform functions publish (obsgov.metric_contract), for the workload boundary.
METRIC_NAMESPACES = ("Obsgov/DataQuality", "Obsgov/ModelQuality", "Obsgov/Pipelines")
# The monitoring bucket's prefix for the drift layer's archive (monitoring_store.LAYER_KEY).
LAYER_PREFIX = "layers/"
# Under it, the Spark drift job's script and modules (monitoring_store.SPARK_SCRIPT_KEY), which
# the job's role reads at run time.
SPARK_CODE_PREFIX = "layers/drift-spark/"
# What the bucket's provider reads and sets (tests/accounts/baseline_needs.py names the source
# of each): the bucket, its settings, its policy and its tags.
BUCKET_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    # the monitoring bucket's server access logging into the account's access-log bucket
    "s3:PutBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
)
LAYER_ARCHIVE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:DeleteObjectVersion",
)

# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): an inline role policy at most 10,240
# characters, a managed policy at most 6,144, whitespace not counted.
INLINE_POLICY_MAX = 10_240
MANAGED_POLICY_MAX = 6_144


@dataclass(frozen=True)
class DeploymentScope:
    """The facts the documents depend on, for one member account."""

    account_id: str
    deployment_role_name: str
    # Accounts that own what the member account sends to: the OAM sink, the log destination
    # and the central event bus (the observability account).
    central_account_ids: tuple[str, ...]
    partition: str = "aws"
    # ECR repositories (ARNs) Lambda pulls platform function images from.
    image_repositories: tuple[str, ...] = ()
    # S3 buckets and KMS keys (ARNs) the platform functions read and write.
    data_buckets: tuple[str, ...] = ()
    data_keys: tuple[str, ...] = ()
    # Principals (ARNs) the deployment role trusts.
    deployers: tuple[str, ...] = field(default_factory=tuple)

    def arn(
        self, service: str, resource: str, region: str = "*", account: str | None = None
    ) -> str:
        return f"arn:{self.partition}:{service}:{region}:{account or self.account_id}:{resource}"

    def iam_arn(self, resource: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:{resource}"

    @property
    def deployment_role_arn(self) -> str:
        return self.iam_arn(f"role/{self.deployment_role_name}")

    @property
    def deployment_boundary_arn(self) -> str:
        return self.iam_arn(f"policy/{DEPLOYMENT_BOUNDARY_NAME}")

    @property
    def workload_boundary_arn(self) -> str:
        return self.iam_arn(f"policy/{WORKLOAD_BOUNDARY_NAME}")

    @property
    def platform_roles(self) -> str:
        return self.iam_arn(f"role/{PLATFORM_PREFIX}*")

    @property
    def monitoring_bucket(self) -> str:
        """The account's monitoring bucket (``obsgov-<env>-monitoring-<account id>``,
        obsgov.config.models.settings.monitoring_bucket_name), any environment."""
        return f"arn:{self.partition}:s3:::{PLATFORM_PREFIX}*-monitoring-{self.account_id}"

    @property
    def access_log_bucket(self) -> str:
        """The account's server access log bucket (``obsgov-<env>-access-logs-<account id>``,
        components/shared/access_logs.py), which the monitoring bucket logs into."""
        return f"arn:{self.partition}:s3:::{PLATFORM_PREFIX}*-access-logs-{self.account_id}"

    @property
    def layer_archives(self) -> str:
        """Where the program uploads the drift layer's archive in that bucket
        (components/lifecycle/monitoring_store.py, LAYER_KEY): the one prefix whose objects
        the deployment role writes and reads."""
        return f"{self.monitoring_bucket}/{LAYER_PREFIX}*"

    @property
    def spark_code(self) -> str:
        """The Spark drift job's code in the monitoring bucket, read by the job's role."""
        return f"{self.monitoring_bucket}/{SPARK_CODE_PREFIX}*"

    def central(self, service: str, resource: str) -> list[str]:
        return [self.arn(service, resource, account=a) for a in self.central_account_ids]


def scope_for(env: Any, account_id: str, deployers: Sequence[str] = ()) -> DeploymentScope:
    """The scope of ``account_id`` in environment ``env`` (an ``EnvironmentConfig``)."""
    from obsgov.config.models import EtlPipeline, MlEndpoint

    org = env.org.organization
    settings = env.settings
    buckets: set[str] = set()
    keys: set[str] = set()
    repositories: set[str] = set()
    drift = settings.drift_monitoring
    if drift.enabled:
        # the account's own monitoring bucket unless config names others (the drift layer is
        # uploaded there: no image repository any more)
        buckets |= set(drift.buckets(env.environment, account_id))
        if drift.kms_key_arn:
            keys.add(drift.kms_key_arn)
    account = next((a for a in env.member_accounts if a.id == account_id), None)
    for workload in env.workloads_for(account) if account is not None else []:
        if isinstance(workload, EtlPipeline) and workload.dataset_location:
            buckets.add(workload.dataset_location[len("s3://") :].split("/")[0])
        if isinstance(workload, MlEndpoint) and workload.ground_truth is not None:
            for uri in (workload.ground_truth.capture_uri, workload.ground_truth.labels_uri):
                buckets.add(uri[len("s3://") :].split("/")[0])
    return DeploymentScope(
        account_id=account_id,
        deployment_role_name=org.deployment_role_name,
        central_account_ids=(org.observability_account_id,),
        image_repositories=tuple(sorted(repositories)),
        data_buckets=tuple(sorted(f"arn:aws:s3:::{b}" for b in buckets)),
        data_keys=tuple(sorted(keys)),
        deployers=tuple(deployers),
    )


def _statement(
    sid: str,
    actions: Iterable[str],
    resources: str | Sequence[str],
    effect: str = "Allow",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(set(actions)),
        "Resource": resources if isinstance(resources, str) else sorted(set(resources)),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def render(document: dict[str, Any]) -> str:
    """The document as sent to IAM: compact, keys in a stable order."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def size(document: dict[str, Any]) -> int:
    """Characters IAM counts against its quotas (whitespace excluded)."""
    return len("".join(render(document).split()))


# --------------------------------------------------------------------------- the baseline


def _baseline_statements(scope: DeploymentScope) -> list[dict[str, Any]]:
    key, value = MANAGED_BY
    ours = {"StringEquals": {f"aws:ResourceTag/{key}": value}}
    tagged_request = {"StringEquals": {f"aws:RequestTag/{key}": value}}
    s = scope
    return [
        _statement(
            "Alarms",
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:PutCompositeAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ],
            s.arn("cloudwatch", "alarm:*"),
        ),
        _statement(
            "LogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
                "logs:TagLogGroup",
                "logs:UntagLogGroup",
                "logs:ListTagsLogGroup",
                "logs:PutMetricFilter",
                "logs:DeleteMetricFilter",
                "logs:DescribeMetricFilters",
                "logs:PutSubscriptionFilter",
                "logs:DeleteSubscriptionFilter",
                "logs:DescribeSubscriptionFilters",
                "logs:GetDataProtectionPolicy",
                "logs:DeleteDataProtectionPolicy",
            ],
            s.arn("logs", "log-group:*"),
        ),
        # Subscriptions to the central destination are authorized on it too.
        _statement(
            "CentralLogDestination",
            ["logs:PutSubscriptionFilter"],
            s.central("logs", "destination:*"),
        ),
        _statement(
            "Rules",
            [
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:EnableRule",
                "events:DisableRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ],
            s.arn("events", "rule/*"),
        ),
        _statement(
            "Topics",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:ListSubscriptionsByTopic",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
                "sns:GetDataProtectionPolicy",
            ],
            s.arn("sns", f"{PLATFORM_PREFIX}*"),
        ),
        # Subscriptions are not a resource type of their own (no resource-level permission).
        _statement(
            "Subscriptions",
            ["sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"],
            "*",
        ),
        _statement("CreateKeys", ["kms:CreateKey"], "*", condition=tagged_request),
        # KMS: "To add tags while creating a KMS key, the principal must have permission in an
        # IAM policy that isn't restricted to particular KMS keys" (tag-permissions page).
        _statement(
            "TagKeysAtCreation",
            ["kms:TagResource"],
            s.arn("kms", "key/*"),
            condition=tagged_request,
        ),
        _statement(
            "AdministerOwnKeys",
            [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:EnableKeyRotation",
                "kms:DisableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
                "kms:EnableKey",
                "kms:DisableKey",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
            ],
            s.arn("kms", "key/*"),
            condition=ours,
        ),
        _statement(
            "OwnAliases",
            ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            s.arn("kms", f"alias/{PLATFORM_PREFIX}*"),
        ),
        # Lambda encrypts environment variables with the function's key on the caller's
        # behalf (Lambda Developer Guide, "Securing environment variables"): only through
        # Lambda, so the role can never decrypt data itself.
        _statement(
            "KeysThroughLambda",
            [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
            ],
            ["arn:aws:kms:*:*:key/*"],
            condition={"StringLike": {"kms:ViaService": "lambda.*.amazonaws.com"}},
        ),
        # The layer archive is uploaded to the monitoring bucket, encrypted with its key: S3
        # uses the key on the caller's behalf (multipart upload needs kms:GenerateDataKey and
        # kms:Decrypt, S3 User Guide "Multipart upload API and permissions"). Only through
        # S3, and S3 lets the role touch no object but the layer archive (NoDataObjects).
        _statement(
            "KeysThroughS3",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            s.arn("kms", "key/*"),
            condition={
                "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"},
                **ours,
            },
        ),
        _statement(
            "OamLink",
            [
                "oam:DeleteLink",
                "oam:GetLink",
                "oam:UpdateLink",
                "oam:TagResource",
                "oam:UntagResource",
                "oam:ListTagsForResource",
            ],
            s.arn("oam", "link/*"),
        ),
        _statement("OamSink", ["oam:CreateLink"], s.central("oam", "sink/*")),
        _statement(
            "Traces",
            [
                "xray:CreateGroup",
                "xray:DeleteGroup",
                "xray:GetGroup",
                "xray:UpdateGroup",
                "xray:CreateSamplingRule",
                "xray:DeleteSamplingRule",
                "xray:UpdateSamplingRule",
                "xray:TagResource",
                "xray:UntagResource",
                "xray:ListTagsForResource",
            ],
            [s.arn("xray", "group/*"), s.arn("xray", "sampling-rule/*")],
        ),
        _statement(
            "Queues",
            [
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            s.arn("sqs", f"{PLATFORM_PREFIX}*"),
        ),
        _statement(
            "Functions",
            [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetFunctionRecursionConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:ListVersionsByFunction",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:ListTags",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:GetPolicy",
            ],
            s.arn("lambda", f"function:{PLATFORM_PREFIX}*"),
        ),
        # The drift job's libraries, published from the monitoring bucket
        # (components/lifecycle/monitoring_store.py)
        _statement(
            "Layers",
            ["lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"],
            [
                s.arn("lambda", f"layer:{PLATFORM_PREFIX}*"),
                s.arn("lambda", f"layer:{PLATFORM_PREFIX}*:*"),
            ],
        ),
        # The Spark drift job and its schedule (components/lifecycle/drift_glue_job.py): the
        # CloudFormation handlers' calls for AWS::Glue::Job and AWS::Glue::Trigger, plus the
        # provider's start and stop of a trigger (tests/accounts/baseline_needs.py)
        _statement(
            "GlueJobs",
            [
                "glue:CreateJob",
                "glue:UpdateJob",
                "glue:DeleteJob",
                "glue:GetJob",
                "glue:CreateTrigger",
                "glue:UpdateTrigger",
                "glue:DeleteTrigger",
                "glue:GetTrigger",
                "glue:StartTrigger",
                "glue:StopTrigger",
                "glue:GetTags",
                "glue:TagResource",
                "glue:UntagResource",
            ],
            [
                s.arn("glue", f"job/{PLATFORM_PREFIX}*"),
                s.arn("glue", f"trigger/{PLATFORM_PREFIX}*"),
            ],
        ),
        _statement("MonitoringBucket", BUCKET_ACTIONS, s.monitoring_bucket),
        _statement("AccessLogBucket", BUCKET_ACTIONS, s.access_log_bucket),
        _statement("LayerArchive", LAYER_ARCHIVE_ACTIONS, s.layer_archives),
        # Reads with no resource-level permission (the service authorization reference lists
        # no resource type for them).
        _statement(
            "Reads",
            [
                "logs:DescribeLogGroups",
                "logs:DescribeIndexPolicies",
                "logs:DescribeResourcePolicies",
                "kms:ListAliases",
                "xray:GetSamplingRules",
                "oam:ListLinks",
            ],
            "*",
        ),
        # CreateLink needs <service>:Link for each resource type the link shares (CloudWatch
        # cross-account observability, "Link monitoring accounts"): no resource type.
        _statement("ShareThroughLink", ["cloudwatch:Link", "logs:Link", "xray:Link"], "*"),
        # The platform's roles: created, changed and deleted only with the workload boundary
        # on them (iam:PermissionsBoundary, for the actions that carry the key) ...
        _statement(
            "PlatformRoles",
            [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            s.platform_roles,
            condition={"StringEquals": {"iam:PermissionsBoundary": s.workload_boundary_arn}},
        ),
        # ... and read and tagged (these actions carry no boundary key).
        _statement(
            "ReadPlatformRoles",
            [
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            s.platform_roles,
        ),
        _statement(
            "PassPlatformRoles",
            ["iam:PassRole"],
            s.platform_roles,
            condition={"StringEquals": {"iam:PassedToService": list(PASSED_TO)}},
        ),
        *(
            [
                _statement(
                    "PullFunctionImages",
                    ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    list(s.image_repositories),
                )
            ]
            if s.image_repositories
            else []
        ),
    ]


def _guard_statements(scope: DeploymentScope) -> list[dict[str, Any]]:
    """Explicit denies: they hold whatever else is attached to the role."""
    s = scope
    return [
        _statement(
            "ProtectDeploymentRole",
            ["iam:*"],
            [
                s.deployment_role_arn,
                s.deployment_boundary_arn,
                s.workload_boundary_arn,
                s.iam_arn(f"policy/{DEPLOYMENT_POLICY_NAME}"),
            ],
            effect="Deny",
        ),
        _statement(
            "RolesKeepTheWorkloadBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "*",
            effect="Deny",
            condition={"StringNotEquals": {"iam:PermissionsBoundary": s.workload_boundary_arn}},
        ),
        _statement("NoBoundaryRemoval", ["iam:DeleteRolePermissionsBoundary"], "*", effect="Deny"),
        _statement(
            "NoPeopleOrKeys",
            [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:AttachRolePolicy",
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "sts:AssumeRole",
            ],
            "*",
            effect="Deny",
        ),
        _statement(
            "NoData",
            [
                "secretsmanager:GetSecretValue",
                "ssm:GetParameter*",
                "kms:Decrypt",
                "kms:ReEncrypt*",
            ],
            "*",
            effect="Deny",
            condition={
                "StringNotLike": {
                    "kms:ViaService": ["lambda.*.amazonaws.com", "s3.*.amazonaws.com"]
                }
            },
        ),
        # No object anywhere but the layer archive the program uploads.
        {
            "Sid": "NoDataObjects",
            "Effect": "Deny",
            "Action": ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*"],
            "NotResource": s.layer_archives,
        },
    ]


def deployment_policy(scope: DeploymentScope) -> dict[str, Any]:
    """The deployment role's identity policy (inline)."""
    return _document(*_baseline_statements(scope), *_guard_statements(scope))


def deployment_boundary(scope: DeploymentScope) -> dict[str, Any]:
    """The deployment role's permissions boundary: the identity policy's services and
    resources at service granularity (a managed policy holds at most 6,144 characters), the
    IAM statements exactly, and the same denies. The effective permissions are the
    intersection, so the identity policy's action lists still decide."""
    s = scope
    exact = {
        st["Sid"]: st
        for st in _baseline_statements(scope)
        if st["Sid"]
        in (
            "Subscriptions",
            "CreateKeys",
            "Reads",
            "ShareThroughLink",
            "PlatformRoles",
            "ReadPlatformRoles",
            "PassPlatformRoles",
            "PullFunctionImages",
            "KeysThroughS3",
            "LayerArchive",
        )
    }
    coarse = [
        _statement("Alarms", ["cloudwatch:*"], s.arn("cloudwatch", "alarm:*")),
        _statement(
            "Logs",
            ["logs:*"],
            [s.arn("logs", "log-group:*"), *s.central("logs", "destination:*")],
        ),
        _statement("Rules", ["events:*"], s.arn("events", "rule/*")),
        _statement("Topics", ["sns:*"], s.arn("sns", f"{PLATFORM_PREFIX}*")),
        _statement(
            "Keys",
            ["kms:*"],
            [s.arn("kms", "key/*"), s.arn("kms", f"alias/{PLATFORM_PREFIX}*")],
        ),
        _statement(
            "KeysThroughLambda",
            ["kms:*"],
            ["arn:aws:kms:*:*:key/*"],
            condition={"StringLike": {"kms:ViaService": "lambda.*.amazonaws.com"}},
        ),
        _statement("Oam", ["oam:*"], [s.arn("oam", "link/*"), *s.central("oam", "sink/*")]),
        _statement(
            "Traces", ["xray:*"], [s.arn("xray", "group/*"), s.arn("xray", "sampling-rule/*")]
        ),
        _statement("Queues", ["sqs:*"], s.arn("sqs", f"{PLATFORM_PREFIX}*")),
        _statement(
            "Functions",
            ["lambda:*"],
            [
                s.arn("lambda", f"function:{PLATFORM_PREFIX}*"),
                s.arn("lambda", f"layer:{PLATFORM_PREFIX}*"),
                s.arn("lambda", f"layer:{PLATFORM_PREFIX}*:*"),
            ],
        ),
        _statement("MonitoringBucket", ["s3:*"], s.monitoring_bucket),
        _statement("AccessLogBucket", ["s3:*"], s.access_log_bucket),
        _statement(
            "GlueJobs",
            ["glue:*"],
            [
                s.arn("glue", f"job/{PLATFORM_PREFIX}*"),
                s.arn("glue", f"trigger/{PLATFORM_PREFIX}*"),
            ],
        ),
    ]
    return _document(*coarse, *exact.values(), *_guard_statements(scope))


def workload_boundary(scope: DeploymentScope) -> dict[str, Any]:
    """The boundary of every role the baseline creates."""
    s = scope
    statements = [
        _statement("CentralBus", ["events:PutEvents"], s.central("events", "event-bus/*")),
        _statement(
            "PlatformMetrics",
            ["cloudwatch:PutMetricData"],
            "*",
            condition={"StringEquals": {"cloudwatch:namespace": list(METRIC_NAMESPACES)}},
        ),
        _statement(
            "OwnLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [
                s.arn("logs", f"log-group:/aws/lambda/{PLATFORM_PREFIX}*"),
                # the Spark drift job's groups (Glue 5.0 --custom-logGroup-prefix)
                s.arn("logs", f"log-group:/aws-glue/jobs/{PLATFORM_PREFIX}*"),
            ],
        ),
        # the Spark drift job's script and modules, which Glue loads with the job's role
        _statement("SparkJobCode", ["s3:GetObject"], s.spark_code),
        _statement("DeadLetters", ["sqs:SendMessage"], s.arn("sqs", f"{PLATFORM_PREFIX}*")),
        _statement(
            "OwnKeys",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            s.arn("kms", "key/*"),
            condition={"StringEquals": {f"aws:ResourceTag/{MANAGED_BY[0]}": MANAGED_BY[1]}},
        ),
        _statement("Traces", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
        # The freshness job lists Step Functions pipelines' RUNNING executions for hung ones
        # (obsgov.freshness.job.overdue_executions).
        _statement("PipelineRuns", ["states:ListExecutions"], s.arn("states", "stateMachine:*")),
        # The model-quality job reads the version an endpoint serves at run time
        # (obsgov.model_quality.served); a model package may live in the registry account.
        _statement(
            "ServedModels",
            [
                "sagemaker:DescribeEndpoint",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DescribeModel",
                "sagemaker:DescribeModelPackage",
            ],
            [
                s.arn("sagemaker", "endpoint/*"),
                s.arn("sagemaker", "endpoint-config/*"),
                s.arn("sagemaker", "model/*"),
                s.arn("sagemaker", "model-package/*", account="*"),
            ],
        ),
        _statement(
            "NoIdentityChanges",
            ["iam:*", "sts:AssumeRole", "organizations:*", "account:*"],
            "*",
            effect="Deny",
        ),
    ]
    if s.data_buckets:
        statements.insert(
            -1,
            _statement(
                "ConfiguredData",
                ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                [*s.data_buckets, *(f"{b}/*" for b in s.data_buckets)],
            ),
        )
    if s.data_keys:
        statements.insert(
            -1,
            _statement("ConfiguredKeys", ["kms:Decrypt", "kms:GenerateDataKey"], list(s.data_keys)),
        )
    return _document(*statements)


def trust_policy(deployers: Sequence[str]) -> dict[str, Any]:
    principals: str | list[str] = deployers[0] if len(deployers) == 1 else sorted(deployers)
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": "sts:AssumeRole",
        }
    )
