import os

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def die(args):
    os._exit(8)


PolicyPack(
    name="crash-in-remediate",
    policies=[
        ResourceValidationPolicy(
            name="dies",
            description="Exits the process.",
            remediate=die,
            enforcement_level=EnforcementLevel.REMEDIATE,
        )
    ],
)
