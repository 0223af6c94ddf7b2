"""Models serve registered, versioned packages whose approval status is Approved."""

from ..model_registry import ApprovalUnavailable, approval_source
from ..props import as_bool, as_str, get
from ..registry import policy
from .approval import APPROVAL_CONFIG, MODEL, served_packages


def provider_region(args):
    return as_str(get(args.provider.props, "region")) or None if args.provider else None


@policy(
    id="obsgov-sagemaker-model-require-approved-package",
    pack="model-governance",
    description="SageMaker models must serve a versioned model package whose approval status "
                "is Approved.",
    severity="critical",
    service="sagemaker",
    resource_types=(MODEL,),
    remediation="Register the model in the model registry, approve the package version, and "
                "deploy it with primary_container.model_package_name set to its ARN.",
    config=dict(APPROVAL_CONFIG),
)
def require_approved_model_package(args, report_violation):
    config = args.get_config()
    if not as_bool(config.get("modelApprovalRequired", True)):
        return
    packages = served_packages(args.props, report_violation)
    if not packages:
        return
    try:
        source = approval_source(config, provider_region(args))
    except ApprovalUnavailable as exc:
        for arn in packages:
            report_violation(f"Approval of {arn} cannot be verified: {exc}.")
        return
    for arn in packages:
        try:
            record = source.lookup(arn)
        except ApprovalUnavailable as exc:
            report_violation(f"Approval of {arn} cannot be verified: {exc}.")
            continue
        if record is None:
            report_violation(f"Approval of {arn} cannot be verified: it is not in {source.describe()}.")
        elif record.approval_status != "Approved":
            report_violation(f"Model package {arn} is {record.approval_status or 'without status'}, "
                             "not Approved.")
