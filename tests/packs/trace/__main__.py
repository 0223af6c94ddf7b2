"""Trace pack: records when it judges the stack resource, to show packs run at the same time."""

import json
import os
import time

from pulumi_policy import PolicyConfigSchema, PolicyPack, ResourceValidationPolicy


def trace(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        config = args.get_config()
        started = time.monotonic()  # durations, not dates: shared by processes on Linux
        time.sleep(config["seconds"])
        with open(config["file"], "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "pack": os.path.basename(os.getcwd()),
                        "start": started,
                        "end": time.monotonic(),
                    }
                )
                + "\n"
            )


PolicyPack(
    # named after its folder: the copies a test runs side by side are distinct packs
    name=os.path.basename(os.getcwd()),
    policies=[
        ResourceValidationPolicy(
            name="trace",
            description="Records its own timing.",
            validate=trace,
            config_schema=PolicyConfigSchema(
                properties={"file": {"type": "string"}, "seconds": {"type": "number"}},
                required=["file", "seconds"],
            ),
        ),
    ],
)
