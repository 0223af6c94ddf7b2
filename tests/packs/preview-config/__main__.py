"""Preview-config pack: its schema depends on the run being a preview (a pack may build its
policies at import from the stack's settings), and its initial config names a policy of a
shared library it does not have."""

import pulumi
from pulumi_policy import PolicyConfigSchema, PolicyPack, ResourceValidationPolicy


def nothing(args, report_violation):
    pass


PolicyPack(
    name="preview-config",
    policies=[
        ResourceValidationPolicy(
            name="change-ticket",
            description="A preview names its change ticket.",
            validate=nothing,
            config_schema=PolicyConfigSchema(
                properties={"ticket": {"type": "string"}},
                required=["ticket"] if pulumi.runtime.is_dry_run() else None,
            ),
        ),
    ],
    initial_config={"library-policy": {"owner": "platform"}},
)
