"""Models run without network access from the inference container."""

from ..aws_types import SAGEMAKER_MODEL
from ..catalog import FSBP, Control, policy
from ..props import as_bool, get


@policy(
    id="obsgov-sagemaker-model-require-network-isolation",
    description="SageMaker models must enable network isolation.",
    severity="medium",
    service="sagemaker",
    resource_types=(SAGEMAKER_MODEL,),
    controls=[Control(FSBP, "SageMaker.5")],
    remediation="Set enable_network_isolation=True on the model.",
)
def require_model_network_isolation(args, report_violation):
    if not as_bool(get(args.props, "enableNetworkIsolation")):
        report_violation("Network isolation is off (enableNetworkIsolation is not true).")
