"""Model packages carry the metadata the organisation requires (owner, training data...)."""

from ..model_registry import ApprovalUnavailable, approval_source
from ..props import as_bool, as_list
from ..registry import policy
from .approval import APPROVAL_CONFIG, MODEL, served_packages
from .require_approved_model_package import provider_region


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
    try:
        source = approval_source(config, provider_region(args))
        records = [(arn, source.lookup(arn)) for arn in packages]
    except ApprovalUnavailable as exc:
        for arn in packages:
            report_violation(f"Metadata of {arn} cannot be verified: {exc}.")
        return
    for arn, record in records:
        if record is None:
            report_violation(f"Metadata of {arn} cannot be verified: it is not in {source.describe()}.")
            continue
        missing = [k for k in required if not record.metadata.get(k)]
        if missing:
            report_violation(f"Model package {arn} lacks metadata: {', '.join(missing)}.")
