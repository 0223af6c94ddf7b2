"""Models run without network access from the inference container."""

from ..props import as_bool, get
from ..registry import FSBP, Control, policy


@policy(
    id="obsgov-sagemaker-model-require-network-isolation",
    pack="security-baseline",
    description="SageMaker models must enable network isolation.",
    severity="medium",
    service="sagemaker",
    resource_types=("aws:sagemaker/model:Model",),
    controls=[Control(FSBP, "SageMaker.5")],
    remediation="Set enable_network_isolation=True on the model.",
)
def require_model_network_isolation(args, report_violation):
    if not as_bool(get(args.props, "enableNetworkIsolation")):
        report_violation("Network isolation is off (enableNetworkIsolation is not true).")
