"""Models serve registered, versioned packages whose approval status is Approved."""

from ..aws_types import SAGEMAKER_MODEL
from ..catalog import policy
from ..model_packages import APPROVAL_CONFIG, approval_required, lookup_packages, served_packages
from ..props import as_str


@policy(
    id="obsgov-sagemaker-model-require-approved-package",
    description="SageMaker models must serve a versioned model package whose approval status "
    "is Approved.",
    severity="critical",
    service="sagemaker",
    resource_types=(SAGEMAKER_MODEL,),
    remediation="Register the model in the model registry, approve the package version, and "
    "deploy it with primary_container.model_package_name set to its ARN.",
    config=dict(APPROVAL_CONFIG),
)
def require_approved_model_package(args, report_violation):
    config = args.get_config()
    if not approval_required(config):
        return
    packages = served_packages(
        args.props, report_violation, as_str(config.get("registryAccountId"))
    )
    for arn, record in lookup_packages(args, packages, "Approval", report_violation):
        if record.approval_status != "Approved":
            report_violation(
                f"Model package {arn} is {record.approval_status or 'without status'}, "
                "not Approved."
            )
