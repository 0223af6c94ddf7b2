"""A package reaches an environment only after every environment before it in the order."""

from ..aws_types import SAGEMAKER_MODEL
from ..catalog import policy
from ..model_packages import APPROVAL_CONFIG, approval_required, lookup_packages, served_packages
from ..props import as_list, as_str


@policy(
    id="obsgov-sagemaker-model-require-promotion-order",
    description="Model packages must be deployed to each earlier environment of the promotion "
    "order before this one.",
    severity="high",
    service="sagemaker",
    resource_types=(SAGEMAKER_MODEL,),
    remediation="Deploy the package to the earlier environments first; the deployment pipeline "
    "records them in the package's deployed-environments metadata.",
    config={
        **APPROVAL_CONFIG,
        "promotionOrder": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Environments in promotion order, e.g. staging, prod.",
        },
        "environment": {"type": "string", "description": "This stack's environment."},
    },
)
def require_promotion_order(args, report_violation):
    config = args.get_config()
    order = [e for e in as_list(config.get("promotionOrder")) if isinstance(e, str)]
    environment = as_str(config.get("environment"))
    if environment not in order or not approval_required(config):
        return
    earlier = order[: order.index(environment)]
    if not earlier:
        return
    # the approval policy reports containers that serve no registered package
    packages = served_packages(
        args.props, lambda message: None, as_str(config.get("registryAccountId"))
    )
    for arn, record in lookup_packages(args, packages, "Promotion", report_violation):
        skipped = [e for e in earlier if e not in record.deployed_environments]
        if skipped:
            report_violation(
                f"Model package {arn} has not been deployed to "
                f"{', '.join(skipped)} before {environment}."
            )
