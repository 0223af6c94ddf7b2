"""SageMaker resources also say which model and version they serve."""

from ..registry import TAGGING_STANDARD, Control, policy
from ..tags import TAG_RULE_SCHEMA, check_tags, effective_tags, rules_from_config

ML_TYPES = (
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpoint:Endpoint",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
)


@policy(
    id="obsgov-sagemaker-resource-require-ml-tags",
    pack="tagging",
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
def require_ml_tags(args, report_violation):
    rules = rules_from_config(args.get_config(), "mlResourceTags")
    for message in check_tags(rules, effective_tags(args)):
        report_violation(message)
