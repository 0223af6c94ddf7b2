"""Conformance pack: each policy isolates one engine behaviour the gate must reproduce."""

import os

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

TOPIC = "aws:sns/topic:Topic"


def runtime_env(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        tags = sorted(args.stack_tags.items()) if args.stack_tags else []
        report_violation(f"PULUMI_STACK={os.environ.get('PULUMI_STACK')} tags={tags}")


def add_kms_key(args):
    if args.resource_type == TOPIC and not args.props.get("kmsMasterKeyId"):
        props = dict(args.props)
        props["kmsMasterKeyId"] = "alias/remediated"
        return props
    return None


def topic_needs_kms(args, report_violation):
    if args.resource_type == TOPIC and not args.props.get("kmsMasterKeyId"):
        report_violation("topic has no KMS key")


def stack_sees_topics(args, report_violation):
    for resource in args.resources:
        if resource.resource_type == TOPIC:
            report_violation(
                f"{resource.name}: key={resource.props.get('kmsMasterKeyId')} "
                f"arn={resource.props['arn']}",
                resource.urn,
            )


PolicyPack(
    name="conformance",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="add-kms-key",
            description="Topics get a KMS key.",
            remediate=add_kms_key,
            enforcement_level=EnforcementLevel.REMEDIATE,
        ),
        ResourceValidationPolicy(
            name="topic-needs-kms",
            description="Topics are encrypted.",
            validate=topic_needs_kms,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name="runtime-env",
            description="Reports its environment.",
            validate=runtime_env,
        ),
        StackValidationPolicy(
            name="stack-sees-topics",
            description="Reports what the stack view holds.",
            validate=stack_sees_topics,
        ),
    ],
)
