"""Environment pack: reports the environment variables the gate set for it, as the pack reads
them (the raw strings, not pulumi.Config's reading of them)."""

import json
import os

from pulumi_policy import PolicyPack, ResourceValidationPolicy

NAMES = (
    "PULUMI_CONFIG",
    "PULUMI_ORGANIZATION",
    "PULUMI_PROJECT",
    "PULUMI_STACK",
    "PULUMI_DRY_RUN",
    "PYTHONUNBUFFERED",
)


def environment(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(json.dumps({name: os.environ.get(name) for name in NAMES}))


PolicyPack(
    name="environment",
    policies=[
        ResourceValidationPolicy(
            name="environment",
            description="Reports the pack's environment.",
            validate=environment,
        ),
    ],
)
