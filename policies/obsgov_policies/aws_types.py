"""Type tokens of the pulumi-aws resources that several policies or helpers look at.

A policy that alone inspects a type names its token where it is used; a token read in more
than one place is named here once.
"""

from __future__ import annotations

BUCKET = "aws:s3/bucket:Bucket"
# pulumi-aws v6's name for today's Bucket, still in v7 (deprecated): judged as a bucket
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

IAM_ROLE = "aws:iam/role:Role"
KMS_KEY = "aws:kms/key:Key"
SNS_TOPIC = "aws:sns/topic:Topic"

SAGEMAKER_MODEL = "aws:sagemaker/model:Model"
SAGEMAKER_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
SAGEMAKER_ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"

GLUE_JOB = "aws:glue/job:Job"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
FIREHOSE_STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ATHENA_WORKGROUP = "aws:athena/workgroup:Workgroup"
QUICKSIGHT_DATA_SOURCE = "aws:quicksight/dataSource:DataSource"
GLUE_CATALOG_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
GLUE_CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable"
GLUE_CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
