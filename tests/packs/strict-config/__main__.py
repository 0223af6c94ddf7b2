from pulumi_policy import PolicyConfigSchema, PolicyPack, ResourceValidationPolicy


def check(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        report_violation(f"config={sorted(args.get_config().items())}")


PolicyPack(
    name="strict-config",
    policies=[
        ResourceValidationPolicy(
            name="needs-config",
            description="Requires configuration.",
            validate=check,
            config_schema=PolicyConfigSchema(
                properties={
                    "owner": {"type": "string"},
                    "level": {"type": "string", "enum": ["low", "high"], "default": "low"},
                    "limit": {"type": "integer", "minimum": 1, "default": 5},
                },
                required=["owner"],
            ),
        ),
    ],
    initial_config={"needs-config": {"limit": 10}},
)
