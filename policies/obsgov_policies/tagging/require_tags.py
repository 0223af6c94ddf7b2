"""Every taggable resource carries the organisation's required tags."""

from ..catalog import TAGGING_STANDARD, Control, policy
from ..tags import TAG_RULE_SCHEMA, is_taggable, report_tag_violations


@policy(
    id="obsgov-aws-resource-require-tags",
    description="Taggable AWS resources must carry every required tag with an allowed value.",
    severity="medium",
    service="aws",
    applies_to=is_taggable,
    controls=[
        Control(TAGGING_STANDARD, "CloudTrail.9"),
        Control(TAGGING_STANDARD, "Opensearch.9"),
        Control(TAGGING_STANDARD, "SageMaker.6"),
    ],
    remediation="Add the missing tags to the resource, or to the provider's default_tags so "
    "that every resource of the account carries them.",
    config={
        "requiredTags": {
            **TAG_RULE_SCHEMA,
            "description": "Required tags: key plus allowedValues or a pattern (full match).",
            "default": [{"key": "environment"}, {"key": "owner"}, {"key": "cost-centre"}],
        },
    },
)
def require_tags(args, report_violation):
    report_tag_violations(args, "requiredTags", report_violation)
