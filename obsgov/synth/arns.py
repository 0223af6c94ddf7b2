"""Physical names and ARNs the way AWS would assign them, deterministically.

Pulumi auto-names a resource that sets no ``name`` as ``<logical name>-<7 hex chars>``; the
suffix here is derived from the stack, type and logical name so that the same stack always
yields the same graph.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

# Type token -> (service, resource part of the ARN with {name}/{id}); None means a global ARN
# without region (IAM, S3).
_ARN_FORMATS: dict[str, tuple[str, str]] = {
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "{name}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    "aws:sns/topicSubscription:TopicSubscription": ("sns", "obsgov-topic:{id}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    # PutDestination's ARN (CloudWatch Logs API reference, Destination)
    "aws:cloudwatch/logDestination:LogDestination": ("logs", "destination:{name}"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch", "dashboard/{name}"),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/{name}"),
    "aws:oam/sink:Sink": ("oam", "sink/{id}"),
    "aws:oam/link:Link": ("oam", "link/{id}"),
    "aws:s3/bucket:Bucket": ("s3", "{name}"),
    "aws:s3/bucketV2:BucketV2": ("s3", "{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:cloudtrail/trail:Trail": ("cloudtrail", "trail/{name}"),
    "aws:opensearch/domain:Domain": ("es", "domain/{name}"),
    "aws:sagemaker/endpoint:Endpoint": ("sagemaker", "endpoint/{name}"),
    "aws:sagemaker/model:Model": ("sagemaker", "model/{name}"),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": (
        "sagemaker",
        "endpoint-config/{name}",
    ),
    "aws:glue/job:Job": ("glue", "job/{name}"),
    "aws:sfn/stateMachine:StateMachine": ("states", "stateMachine:{name}"),
    "aws:lambda/function:Function": ("lambda", "function:{name}"),
    "aws:sqs/queue:Queue": ("sqs", "{name}"),
    "aws:xray/group:Group": ("xray", "group/{name}/{id}"),
}
_GLOBAL_SERVICES = {"iam", "s3"}


def physical_name(type_token: str, logical_name: str, inputs: Mapping[str, Any], seed: str) -> str:
    # most resources take `name`; composite alarms, X-Ray groups and sampling rules their own
    for key in ("name", "bucket", "alarmName", "groupName", "ruleName"):
        given = inputs.get(key)
        if isinstance(given, str) and given:
            return given
    suffix = hashlib.sha256(seed.encode()).hexdigest()[:7]
    return f"{logical_name}-{suffix}"


def arn_for(type_token: str, name: str, account: str, region: str, seed: str) -> tuple[str, str]:
    """Return ``(arn, id)`` for a resource of ``type_token`` in ``account``/``region``."""
    resource_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    module = type_token.split(":")[1].split("/")[0]
    service, template = _ARN_FORMATS.get(
        type_token, (module, type_token.split(":")[-1].lower() + "/{name}")
    )
    resource = template.format(name=name, id=resource_id)
    if service == "s3":
        return f"arn:aws:s3:::{name}", name
    if service in _GLOBAL_SERVICES:
        return f"arn:aws:{service}::{account}:{resource}", name
    ident = resource_id if "{id}" in template else name
    return f"arn:aws:{service}:{region}:{account}:{resource}", ident
