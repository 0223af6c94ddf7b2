"""SageMaker resources also say which model and version they serve."""

from ..aws_types import SAGEMAKER_ENDPOINT, SAGEMAKER_ENDPOINT_CONFIG, SAGEMAKER_MODEL
from ..registry import TAGGING_STANDARD, Control, policy
from ..tags import TAG_RULE_SCHEMA, report_tag_violations

ML_TYPES = (
    SAGEMAKER_MODEL,
    SAGEMAKER_ENDPOINT,
    SAGEMAKER_ENDPOINT_CONFIG,
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
)


def require_ml_tags(args, report_violation):
    report_tag_violations(args, "mlResourceTags", report_violation)


policy(
    require_ml_tags,
    id="obsgov-sagemaker-resource-require-ml-tags",
    description="SageMaker models, endpoints, endpoint configs and model package groups must "
    "carry the ML tags (model id and version).",
    severity="medium",
    service="sagemaker",
    resource_types=ML_TYPES,
    controls=[Control(TAGGING_STANDARD, "SageMaker.6"), Control(TAGGING_STANDARD, "SageMaker.7")],
    remediation="Tag the resource with the model it serves (model-id) and its version "
    "(model-version).",
    config={
        "mlResourceTags": {
            **TAG_RULE_SCHEMA,
            "description": "Extra tags for SageMaker resources.",
            "default": [{"key": "model-id"}, {"key": "model-version"}],
        },
    },
)
