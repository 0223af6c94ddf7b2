"""Misattributed pack: violations that name other resources' URNs, and a remediate-level
stack violation."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

TOPIC = "aws:sns/topic:Topic"


def elsewhere(args, report_violation):
    if args.resource_type == TOPIC and args.name == "plain":
        report_violation("names another URN", "urn:pulumi:dev::obsgov::aws:sns/topic:Topic::x")


def stack(args, report_violation):
    plain = next(r for r in args.resources if r.name == "plain")
    report_violation("names a resource of the stack", plain.urn)
    report_violation("names no resource of the stack", plain.urn + "-gone")
    report_violation("names nothing")


PolicyPack(
    name="misattributed",
    policies=[
        ResourceValidationPolicy(
            name="elsewhere",
            description="Blames another URN.",
            validate=elsewhere,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
        StackValidationPolicy(
            name="stack",
            description="Names URNs from the stack.",
            validate=stack,
            enforcement_level=EnforcementLevel.REMEDIATE,
        ),
    ],
)
