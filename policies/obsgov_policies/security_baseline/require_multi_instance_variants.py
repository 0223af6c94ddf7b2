"""Production endpoint variants survive the loss of an instance."""

from ..props import as_bool, as_list, as_number, get, is_set
from ..registry import FSBP, Control, policy


@policy(
    id="obsgov-sagemaker-endpointconfig-require-multiple-instances",
    pack="security-baseline",
    description="In production, instance-backed SageMaker endpoint variants must run more than "
                "one instance.",
    severity="medium",
    service="sagemaker",
    resource_types=("aws:sagemaker/endpointConfiguration:EndpointConfiguration",),
    controls=[Control(FSBP, "SageMaker.4")],
    remediation="Set initial_instance_count to 2 or more on each production variant.",
    config={"multiInstanceVariants": {"type": "boolean", "default": True,
                                      "description": "Whether the environment is production."}},
)
def require_multi_instance_variants(args, report_violation):
    if not as_bool(args.get_config().get("multiInstanceVariants", True)):
        return
    for i, variant in enumerate(as_list(get(args.props, "productionVariants"))):
        if is_set(variant, "serverlessConfig"):
            continue  # serverless variants scale on their own
        count = as_number(get(variant, "initialInstanceCount")) or 1
        if count <= 1:
            name = get(variant, "variantName", default=f"#{i}")
            report_violation(f"Variant {name} runs {count:g} instance; production needs more than one.")
