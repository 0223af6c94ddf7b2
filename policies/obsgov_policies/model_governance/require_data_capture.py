"""Endpoints capture a sample of their traffic, encrypted, to S3, for drift monitoring."""

from ..aws_types import SAGEMAKER_ENDPOINT_CONFIG
from ..catalog import policy
from ..props import as_bool, as_number, as_str, get, is_set, number_text


@policy(
    id="obsgov-sagemaker-endpointconfig-require-data-capture",
    description="SageMaker endpoint configurations must capture at least the configured "
    "percentage of requests, encrypted with KMS, to S3.",
    severity="medium",
    service="sagemaker",
    resource_types=(SAGEMAKER_ENDPOINT_CONFIG,),
    remediation="Set data_capture_config with enable_capture, initial_sampling_percentage, "
    "kms_key_id and an s3:// destination_s3_uri.",
    config={
        "dataCaptureMinPercent": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "default": 10,
            "description": "Smallest sampling percentage allowed.",
        }
    },
)
def require_data_capture(args, report_violation):
    minimum = as_number(args.get_config().get("dataCaptureMinPercent"))
    minimum = 10 if minimum is None else minimum
    capture = get(args.props, "dataCaptureConfig")
    if capture is None or not as_bool(get(capture, "enableCapture", default=True)):
        report_violation("Data capture is not enabled (dataCaptureConfig).")
        return
    percent = as_number(get(capture, "initialSamplingPercentage")) or 0
    if percent < minimum:
        report_violation(
            f"Data capture samples {number_text(percent)}% of requests; at least {number_text(minimum)}% is required."
        )
    if not is_set(capture, "kmsKeyId"):
        report_violation("Captured data is not encrypted with KMS (dataCaptureConfig.kmsKeyId).")
    destination = get(capture, "destinationS3Uri")
    if not is_set(capture, "destinationS3Uri") or (
        isinstance(destination, str) and not as_str(destination).startswith("s3://")
    ):
        report_violation(
            "Captured data has no s3:// destination (dataCaptureConfig.destinationS3Uri)."
        )
