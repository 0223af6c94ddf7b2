"""ETL pipelines say which pipeline they belong to."""

from ..registry import policy
from ..tags import TAG_RULE_SCHEMA, check_tags, effective_tags, rules_from_config

PIPELINE_TYPES = (
    "aws:glue/job:Job",
    "aws:glue/crawler:Crawler",
    "aws:glue/trigger:Trigger",
    "aws:sfn/stateMachine:StateMachine",
)


@policy(
    id="obsgov-pipeline-resource-require-pipeline-tags",
    pack="tagging",
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
    rules = rules_from_config(args.get_config(), "pipelineTags")
    for message in check_tags(rules, effective_tags(args)):
        report_violation(message)
