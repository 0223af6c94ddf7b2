"""SageMaker resources also say which model and version they serve."""

from ..aws_types import SAGEMAKER_ENDPOINT, SAGEMAKER_ENDPOINT_CONFIG, SAGEMAKER_MODEL
from ..catalog import TAGGING_STANDARD, Control, policy
from ..props import as_list
from ..tags import TAG_RULE_SCHEMA, report_tag_violations

MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
ML_TYPES = (SAGEMAKER_MODEL, SAGEMAKER_ENDPOINT, SAGEMAKER_ENDPOINT_CONFIG, MODEL_PACKAGE_GROUP)


@policy(
    id="obsgov-sagemaker-resource-require-ml-tags",
    description="SageMaker models, endpoints and endpoint configs must carry the ML tags (model "
    "id and version); model package groups all but the version tags.",
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
        "versionTagKeys": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["model-version"],
            "description": "ML tags that name a version, which model package groups do not carry.",
        },
    },
)
def require_ml_tags(args, report_violation):
    # A model package group holds every version of its model, so version tags name nothing
    # on it; it still says which model it is.
    skip = (
        frozenset(as_list(args.get_config().get("versionTagKeys")))
        if args.resource_type == MODEL_PACKAGE_GROUP
        else frozenset()
    )
    report_tag_violations(args, "mlResourceTags", report_violation, skip)
