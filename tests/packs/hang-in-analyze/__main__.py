import time

from pulumi_policy import PolicyPack, ResourceValidationPolicy


def hang(args, report_violation):
    time.sleep(3600)


PolicyPack(
    name="hang-in-analyze",
    policies=[ResourceValidationPolicy(name="hangs", description="Never returns.", validate=hang)],
)
