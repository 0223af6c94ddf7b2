"""The security-baseline pack's policies."""

DESCRIPTION = (
    "S3, KMS, SNS, CloudTrail, OpenSearch, OAM, IAM, SageMaker, EC2 and RDS security settings."
)
