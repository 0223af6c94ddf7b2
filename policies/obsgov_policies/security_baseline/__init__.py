"""The security-baseline pack's policies."""

DESCRIPTION = "S3, KMS, SNS, CloudTrail, OpenSearch, OAM, IAM and SageMaker security settings."
