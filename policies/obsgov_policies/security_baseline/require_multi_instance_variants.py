"""Production endpoint variants survive the loss of an instance."""

from ..aws_types import SAGEMAKER_ENDPOINT_CONFIG
from ..catalog import FSBP, Control, policy
from ..props import as_bool, as_list, as_number, get, is_set, number_text


@policy(
    id="obsgov-sagemaker-endpointconfig-require-multiple-instances",
    description="In production, instance-backed SageMaker endpoint variants must run more than "
    "one instance.",
    severity="medium",
    service="sagemaker",
    resource_types=(SAGEMAKER_ENDPOINT_CONFIG,),
    controls=[Control(FSBP, "SageMaker.4")],
    remediation="Set initial_instance_count to 2 or more on each production variant.",
    config={
        "multiInstanceVariants": {
            "type": "boolean",
            "default": True,
            "description": "Whether the environment is production.",
        }
    },
)
def require_multi_instance_variants(args, report_violation):
    if not as_bool(args.get_config().get("multiInstanceVariants", True)):
        return
    for i, variant in enumerate(as_list(get(args.props, "productionVariants"))):
        if is_set(variant, "serverlessConfig"):
            continue  # serverless variants scale on their own
        count = as_number(get(variant, "initialInstanceCount"))
        count = 1 if count is None else count  # unset: SageMaker starts one instance
        if count <= 1:
            name = get(variant, "variantName", default=f"#{i}")
            plural = "" if count == 1 else "s"
            report_violation(
                f"Variant {name} runs {number_text(count)} instance{plural}; production needs "
                "more than one."
            )
