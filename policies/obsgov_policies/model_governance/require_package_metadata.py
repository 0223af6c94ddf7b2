"""Model packages carry the metadata the organisation requires (owner, training data...)."""

from ..props import as_bool, as_list
from ..registry import policy
from .approval import APPROVAL_CONFIG, MODEL, lookup_packages, served_packages


@policy(
    id="obsgov-sagemaker-model-require-package-metadata",
    pack="model-governance",
    description="Model packages served by SageMaker models must carry the required metadata "
                "properties.",
    severity="medium",
    service="sagemaker",
    resource_types=(MODEL,),
    remediation="Set the missing CustomerMetadataProperties on the model package version.",
    config={**APPROVAL_CONFIG,
            "requiredModelMetadata": {"type": "array", "items": {"type": "string"}, "default": [],
                                      "description": "Metadata keys every package must carry."}},
)
def require_package_metadata(args, report_violation):
    config = args.get_config()
    required = [k for k in as_list(config.get("requiredModelMetadata")) if isinstance(k, str)]
    if not required or not as_bool(config.get("modelApprovalRequired", True)):
        return
    packages = served_packages(args.props, lambda message: None)  # the approval policy reports these
    for arn, record in lookup_packages(args, packages, "Metadata", report_violation):
        missing = [k for k in required if not record.metadata.get(k)]
        if missing:
            report_violation(f"Model package {arn} lacks metadata: {', '.join(missing)}.")
