"""Starts pack: records every start of its process, to show which process judged the stack."""

import os

import pulumi
from pulumi_policy import PolicyPack, ResourceValidationPolicy

# The file comes from the stack's config (read at import, as packs may).
with open(pulumi.Config("starts").require("file"), "a", encoding="utf-8") as handle:
    handle.write(f"{os.getpid()}\n")


def process(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(f"pid={os.getpid()} dry_run={pulumi.runtime.is_dry_run()}")


PolicyPack(
    name="starts",
    policies=[
        ResourceValidationPolicy(
            name="process",
            description="Reports the process that judged the stack.",
            validate=process,
        ),
    ],
)
