"""A package reaches an environment only after the environment before it in the order."""

from ..props import as_bool, as_list, as_str
from ..registry import policy
from .approval import APPROVAL_CONFIG, MODEL, lookup_packages, served_packages


@policy(
    id="obsgov-sagemaker-model-require-promotion-order",
    pack="model-governance",
    description="Model packages must be deployed to each earlier environment of the promotion "
                "order before this one.",
    severity="high",
    service="sagemaker",
    resource_types=(MODEL,),
    remediation="Deploy the package to the earlier environment first; the deployment pipeline "
                "records it in the package's deployed-environments metadata.",
    config={**APPROVAL_CONFIG,
            "promotionOrder": {"type": "array", "items": {"type": "string"}, "default": [],
                               "description": "Environments in promotion order, e.g. staging, prod."},
            "environment": {"type": "string", "description": "This stack's environment."}},
)
def require_promotion_order(args, report_violation):
    config = args.get_config()
    order = [e for e in as_list(config.get("promotionOrder")) if isinstance(e, str)]
    environment = as_str(config.get("environment"))
    if environment not in order or order.index(environment) == 0:
        return
    if not as_bool(config.get("modelApprovalRequired", True)):
        return
    earlier = order[order.index(environment) - 1]
    packages = served_packages(args.props, lambda message: None)
    for arn, record in lookup_packages(args, packages, "Promotion", report_violation):
        if earlier not in record.deployed_environments:
            report_violation(f"Model package {arn} has not been deployed to {earlier} before "
                             f"{environment}.")
