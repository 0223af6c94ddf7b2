"""Kinesis Data Firehose as the platform's components use it: the role Firehose assumes, and a
delivery stream encrypted with the component's own key.

The log analytics ingest (to OpenSearch), the metric lake and the model lifecycle archive (to
S3) each deliver through one such stream; only the destination differs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .service_roles import service_role

# What a stream's role needs on its bucket to write (multipart) objects to it.
S3_DELIVERY_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
)
# Records Firehose cannot deliver land here, by error type and day, beside the delivered ones.
ERROR_OUTPUT_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
# What the role named in a stream's ``vpc_config`` needs so that Firehose can place its network
# interfaces in the destination's subnets, exactly the list of the Firehose developer guide
# (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-es-vpc), which grants
# them on every resource ("Resource": "*"): the interfaces do not exist before Firehose makes them.
VPC_DELIVERY_ACTIONS = (
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
)


def firehose_role(
    name: str,
    *,
    role_name: str,
    account_id: str,
    policy: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """The role (``<name>-firehose-role``) and its policy (``<name>-firehose-policy``); Firehose
    assumes it only for streams of ``account_id``."""
    return service_role(
        f"{name}-firehose-role",
        f"{name}-firehose-policy",
        role_name=role_name,
        service="firehose.amazonaws.com",
        condition={"StringEquals": {"aws:SourceAccount": account_id}},
        policy=policy,
        opts=opts,
    )


def delivery_stream(  # noqa: PLR0913 - keyword-only: the stream's destination settings as the provider names them
    resource_name: str,
    *,
    parent: pulumi.Resource,
    stream_name: str,
    key_arn: pulumi.Input[str],
    role_policy: aws.iam.RolePolicy,
    destination: str,
    extended_s3_configuration: aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs
    | None = None,
    opensearch_configuration: aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationArgs
    | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.kinesis.FirehoseDeliveryStream:
    """A stream encrypted at rest with ``key_arn``, created after its role's policy
    (``role_policy``) so that its first delivery is allowed, and after ``depends_on`` (what
    else its first delivery needs, such as the network path to a VPC destination)."""
    return aws.kinesis.FirehoseDeliveryStream(
        resource_name,
        name=stream_name,
        destination=destination,
        server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
            enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=key_arn
        ),
        extended_s3_configuration=extended_s3_configuration,
        opensearch_configuration=opensearch_configuration,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role_policy, *depends_on]),
    )


def cloudwatch_logs_processing() -> (
    aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationArgs
):
    """Firehose's own CloudWatch Logs processing for a stream fed by a subscription filter:
    ``Decompression`` (the records arrive gzip-compressed) then ``CloudWatchLogProcessing``
    with ``DataMessageExtraction``, so each log event leaves as one record holding its message
    and the ``CONTROL_MESSAGE`` records CloudWatch Logs sends to test the destination are dropped
    (docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html). Message extraction
    requires decompression before it, in this order."""
    processing = aws.kinesis
    return processing.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationArgs(
        enabled=True,
        processors=[
            processing.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorArgs(
                type="Decompression",
                parameters=[
                    processing.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorParameterArgs(
                        parameter_name="CompressionFormat", parameter_value="GZIP"
                    )
                ],
            ),
            processing.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorArgs(
                type="CloudWatchLogProcessing",
                parameters=[
                    processing.FirehoseDeliveryStreamOpensearchConfigurationProcessingConfigurationProcessorParameterArgs(
                        parameter_name="DataMessageExtraction", parameter_value="true"
                    )
                ],
            ),
        ],
    )


def s3_destination(
    *,
    role_arn: pulumi.Input[str],
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    prefix: str,
    buffering_size: int,
    compression_format: str | None = None,
    newline_delimited: bool = False,
) -> aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs:
    """Objects encrypted with ``key_arn`` under ``prefix``, flushed every five minutes or every
    ``buffering_size`` MiB; undeliverable records under :data:`ERROR_OUTPUT_PREFIX`.
    ``newline_delimited``: Firehose appends a newline to every record (processor
    ``AppendDelimiterToRecord``, Firehose API reference "Processor"); without it records that
    carry none (EventBridge events) are concatenated on one line."""
    processing = None
    if newline_delimited:
        processing = aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs(
            enabled=True,
            processors=[
                aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs(
                    type="AppendDelimiterToRecord"
                )
            ],
        )
    return aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
        role_arn=role_arn,
        bucket_arn=bucket_arn,
        kms_key_arn=key_arn,
        prefix=prefix,
        error_output_prefix=ERROR_OUTPUT_PREFIX,
        buffering_interval=300,
        buffering_size=buffering_size,
        compression_format=compression_format,
        processing_configuration=processing,
    )
