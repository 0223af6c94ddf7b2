"""Models serve registered, versioned packages whose approval status is Approved."""

from ..props import as_bool
from ..registry import policy
from .approval import APPROVAL_CONFIG, MODEL, lookup_packages, served_packages


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
    for arn, record in lookup_packages(args, packages, "Approval", report_violation):
        if record.approval_status != "Approved":
            report_violation(f"Model package {arn} is {record.approval_status or 'without status'}, "
                             "not Approved.")
