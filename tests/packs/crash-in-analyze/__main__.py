import os

from pulumi_policy import PolicyPack, ResourceValidationPolicy


def die(args, report_violation):
    os._exit(7)


PolicyPack(
    name="crash-in-analyze",
    policies=[
        ResourceValidationPolicy(name="dies", description="Exits the process.", validate=die)
    ],
)
