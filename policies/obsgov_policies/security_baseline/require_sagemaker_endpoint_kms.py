"""Endpoint configs encrypt the ML storage volumes with a KMS key."""

from ..aws_types import SAGEMAKER_ENDPOINT_CONFIG
from ..catalog import policy
from ..props import is_set


@policy(
    id="obsgov-sagemaker-endpointconfig-require-kms",
    description="SageMaker endpoint configurations must encrypt data with a KMS key.",
    severity="high",
    service="sagemaker",
    resource_types=(SAGEMAKER_ENDPOINT_CONFIG,),
    remediation="Set kms_key_arn on the endpoint configuration.",
)
def require_sagemaker_endpoint_kms(args, report_violation):
    if not is_set(args.props, "kmsKeyArn"):
        report_violation("The endpoint configuration has no kmsKeyArn.")
