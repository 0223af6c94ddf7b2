"""The archive of every lifecycle event: an encrypted bucket fed by Firehose from the central
bus, catalogued for Athena, and the lineage query over it (who approved which model package
version, when, from which training job).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ..shared.buckets import hardened_bucket
from ..shared.firehose import S3_DELIVERY_ACTIONS, delivery_stream, firehose_role, s3_destination
from ..shared.iam_documents import (
    bucket_arn,
    deny_insecure_transport,
    document,
    event_rule_arn,
    statement,
)
from ..shared.service_roles import service_role
from .lifecycle_events import SAGEMAKER


def archive_columns() -> list[tuple[str, str]]:
    """The archive table's columns: the EventBridge envelope and the detail fields the lineage
    dataset reads (model package state changes and the CloudTrail approval record)."""
    detail = (
        "struct<ModelPackageGroupName:string,ModelPackageVersion:int,"
        "ModelPackageArn:string,ModelApprovalStatus:string,ModelPackageStatus:string,"
        "ApprovalDescription:string,CreationTime:bigint,LastModifiedTime:bigint,"
        "MetadataProperties:struct<GeneratedBy:string,ProjectId:string,CommitId:string>,"
        "TrainingJobName:string,TrainingJobStatus:string,FailureReason:string,"
        "eventName:string,userIdentity:struct<arn:string,type:string>,"
        "requestParameters:struct<modelPackageArn:string,modelApprovalStatus:string,"
        "approvalDescription:string>>"
    )
    return [
        ("id", "string"),
        ("detail_type", "string"),
        ("source", "string"),
        ("account", "string"),
        ("time", "string"),
        ("region", "string"),
        ("resources", "array<string>"),
        ("detail", detail),
    ]


def lineage_sql(database: str, table: str) -> str:
    """Who approved which model package version and when, from which training job."""
    source = f'"{database}"."{table}"'
    return (
        f"SELECT s.detail.ModelPackageGroupName AS model_group, "
        f"s.detail.ModelPackageVersion AS version, s.detail.ModelPackageArn AS package_arn, "
        f"s.detail.ModelApprovalStatus AS approval_status, "
        f"s.detail.ApprovalDescription AS approval_description, "
        f"from_iso8601_timestamp(s.time) AS changed_at, a.detail.userIdentity.arn AS approver, "
        f"s.detail.MetadataProperties.GeneratedBy AS produced_by, s.account AS account "
        f"FROM {source} s LEFT JOIN {source} a ON a.detail_type = 'AWS API Call via CloudTrail' "
        f"AND a.detail.requestParameters.modelPackageArn = s.detail.ModelPackageArn "
        f"AND a.detail.requestParameters.modelApprovalStatus = s.detail.ModelApprovalStatus "
        f"WHERE s.detail_type = 'SageMaker Model Package State Change'"
    )


def archive_key_alias(prefix: str) -> str:
    return f"alias/{prefix}"


def lifecycle_archive(  # noqa: PLR0913 - keyword-only names of the archive's account, bus and key
    parent: pulumi.Resource,
    name: str,
    *,
    prefix: str,
    bucket_name: str,
    database: str,
    key: aws.kms.Key,
    account_id: str,
    region: str,
    bus_name: str,
    expiry_days: int,
    access_log_bucket: pulumi.Input[str] | None = None,
    access_log_ready: Sequence[pulumi.Resource] = (),
) -> aws.s3.Bucket:
    """Every SageMaker event on the bus ``bus_name``, archived under ``events/`` by day and
    expired after ``expiry_days``: children of ``parent`` (the central lifecycle component), named
    after ``name``."""
    child = pulumi.ResourceOptions(parent=parent)
    archive = hardened_bucket(
        parent,
        f"{name}-archive",
        bucket_name,
        kms_key_arn=key.arn,
        policy=document(deny_insecure_transport(bucket_name)),
        lifecycle_rules=[
            {
                "id": "expire-events",
                "status": "Enabled",
                "filter": {},
                "expiration": {"days": expiry_days},
            }
        ],
        purpose="model-lifecycle-archive",
        access_log_bucket=access_log_bucket,
        access_log_ready=access_log_ready,
    )
    # Firehose's role names the key by this alias (kms:ResourceAliases), not every key of the
    # account: the policy stays plain JSON at preview, before the key's ARN exists.
    alias = aws.kms.Alias(
        f"{name}-archive-key-alias",
        name=archive_key_alias(prefix),
        target_key_id=key.key_id,
        opts=child,
    )
    delivery_role, firehose_policy = firehose_role(
        name,
        role_name=f"{prefix}-firehose",
        account_id=account_id,
        policy=document(
            statement(
                "WriteArchive",
                S3_DELIVERY_ACTIONS,
                [bucket_arn(bucket_name), f"{bucket_arn(bucket_name)}/*"],
            ),
            statement(
                "EncryptArchive",
                ["kms:GenerateDataKey", "kms:Decrypt"],
                f"arn:aws:kms:{region}:{account_id}:key/*",
                condition={
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    # KMS developer guide, "kms:ResourceAliases" (conditions-kms.html)
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": archive_key_alias(prefix)},
                    # With an S3 Bucket Key the encryption context is the bucket's ARN, not
                    # the object's (S3 user guide, "Reducing the cost of SSE-KMS with Amazon
                    # S3 Bucket Keys": "Changes to note before enabling an S3 Bucket Key").
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            bucket_arn(bucket_name),
                            f"{bucket_arn(bucket_name)}/*",
                        ]
                    },
                },
            ),
        ),
        opts=child,
    )
    stream = delivery_stream(
        f"{name}-archive-delivery",
        parent=parent,
        stream_name=f"{prefix}-archive",
        key_arn=key.arn,
        role_policy=firehose_policy,
        destination="extended_s3",
        extended_s3_configuration=s3_destination(
            role_arn=delivery_role.arn,
            bucket_arn=archive.arn,
            key_arn=key.arn,
            prefix="events/!{timestamp:yyyy/MM/dd}/",
            buffering_size=5,
            # one event per line: the table's JSON SerDe reads a line as a record, and
            # EventBridge's events end without a newline
            newline_delimited=True,
        ),
        depends_on=[alias],  # the role's key grant names the key by it
    )
    events_role, _ = service_role(
        f"{name}-archive-role",
        f"{name}-archive-role-policy",
        role_name=f"{prefix}-archive-events",
        service="events.amazonaws.com",
        # only the archive rule (EventBridge user guide, "Cross-service confused deputy
        # prevention": for rule targets aws:SourceArn is the rule's ARN)
        condition={
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnEquals": {
                "aws:SourceArn": event_rule_arn(
                    region, account_id, bus_name, f"{prefix}-archive-all"
                )
            },
        },
        policy=document(
            statement(
                "DeliverToArchive",
                ["firehose:PutRecord", "firehose:PutRecordBatch"],
                f"arn:aws:firehose:{region}:{account_id}:deliverystream/{prefix}-archive",
            )
        ),
        opts=child,
    )
    everything = aws.cloudwatch.EventRule(
        f"{name}-archive-all",
        name=f"{prefix}-archive-all",
        event_bus_name=bus_name,
        event_pattern=json.dumps({"source": [SAGEMAKER]}, sort_keys=True),
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-archive-target",
        rule=everything.name,
        event_bus_name=bus_name,
        arn=stream.arn,
        role_arn=events_role.arn,
        opts=child,
    )
    glue_db = aws.glue.CatalogDatabase(f"{name}-database", name=database, opts=child)
    aws.glue.CatalogTable(
        f"{name}-table",
        name="events",
        database_name=glue_db.name,
        table_type="EXTERNAL_TABLE",
        parameters={
            "classification": "json",
            "projection.enabled": "true",
            "projection.dt.type": "date",
            "projection.dt.format": "yyyy/MM/dd",
            "projection.dt.range": "2024/01/01,NOW",
            "storage.location.template": f"s3://{bucket_name}/events/${{dt}}/",
        },
        partition_keys=[aws.glue.CatalogTablePartitionKeyArgs(name="dt", type="string")],
        storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
            location=f"s3://{bucket_name}/events/",
            input_format="org.apache.hadoop.mapred.TextInputFormat",
            output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                serialization_library="org.openx.data.jsonserde.JsonSerDe",
                # EventBridge's envelope key has a hyphen; Hive columns cannot.
                parameters={"mapping.detail_type": "detail-type"},
            ),
            columns=[
                aws.glue.CatalogTableStorageDescriptorColumnArgs(name=c, type=t)
                for c, t in archive_columns()
            ],
        ),
        opts=child,
    )
    return archive
