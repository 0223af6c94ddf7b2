"""Model packages carry the metadata the organisation requires (owner, training data...)."""

from ..aws_types import SAGEMAKER_MODEL
from ..catalog import policy
from ..model_packages import APPROVAL_CONFIG, approval_required, lookup_packages, served_packages
from ..props import as_list, as_str


@policy(
    id="obsgov-sagemaker-model-require-package-metadata",
    description="Model packages served by SageMaker models must carry the required metadata "
    "properties.",
    severity="medium",
    service="sagemaker",
    resource_types=(SAGEMAKER_MODEL,),
    remediation="Set the missing CustomerMetadataProperties on the model package version.",
    config={
        **APPROVAL_CONFIG,
        "requiredModelMetadata": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Metadata keys every package must carry.",
        },
    },
)
def require_package_metadata(args, report_violation):
    config = args.get_config()
    required = [k for k in as_list(config.get("requiredModelMetadata")) if isinstance(k, str)]
    if not required or not approval_required(config):
        return
    # the approval policy reports containers that serve no registered package
    packages = served_packages(
        args.props, lambda message: None, as_str(config.get("registryAccountId"))
    )
    for arn, record in lookup_packages(args, packages, "Metadata", report_violation):
        missing = [k for k in required if not record.metadata.get(k, "").strip()]
        if missing:
            report_violation(f"Model package {arn} lacks metadata: {', '.join(missing)}.")
