"""ETL pipelines say which pipeline they belong to."""

from ..aws_types import GLUE_JOB, STATE_MACHINE
from ..catalog import policy
from ..tags import TAG_RULE_SCHEMA, report_tag_violations

PIPELINE_TYPES = (
    GLUE_JOB,
    "aws:glue/crawler:Crawler",
    "aws:glue/trigger:Trigger",
    STATE_MACHINE,
)


@policy(
    id="obsgov-pipeline-resource-require-pipeline-tags",
    description="Glue jobs, crawlers, triggers and Step Functions state machines must carry "
    "the pipeline tags.",
    severity="low",
    service="pipeline",
    resource_types=PIPELINE_TYPES,
    remediation="Tag the resource with the pipeline it belongs to.",
    config={
        "pipelineTags": {
            **TAG_RULE_SCHEMA,
            "description": "Extra tags for pipeline resources.",
            "default": [{"key": "pipeline"}],
        },
    },
)
def require_pipeline_tags(args, report_violation):
    report_tag_violations(args, "pipelineTags", report_violation)
