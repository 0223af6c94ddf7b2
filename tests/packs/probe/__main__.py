"""Probe pack: every policy reports what it saw, so tests can check what the gate sent."""

import json

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

TOPIC = "aws:sns/topic:Topic"


def topic_needs_kms(args, report_violation):
    if args.resource_type == TOPIC and not args.props.get("kmsMasterKeyId"):
        report_violation("topic has no KMS key")


def never_called(args, report_violation):
    raise RuntimeError("a disabled policy was called")


def name_prefix(args, report_violation):
    if args.resource_type == TOPIC:
        prefix = args.get_config()["prefix"]
        name = args.props.get("name") or ""
        if not name.startswith(prefix):
            report_violation(f"name {name!r} lacks prefix {prefix!r}")


def provider_account(args, report_violation):
    if (
        args.resource_type == TOPIC
        and args.provider is not None
        and "assumeRoles" in args.provider.props
    ):
        roles = json.loads(args.provider.props["assumeRoles"])
        tags = json.loads(args.provider.props["defaultTags"])["tags"]
        report_violation(
            f"provider {args.provider.name} role {roles[0]['roleArn']} env {tags['environment']}"
        )


def runtime_data(args, report_violation):
    if args.resource_type == "pulumi:pulumi:Stack":
        env = pulumi.Config("obsgov").get("environment")
        report_violation(
            f"stack={pulumi.get_stack()} project={pulumi.get_project()} "
            f"dry_run={pulumi.runtime.is_dry_run()} environment={env}"
        )


def size_of_blob(args, report_violation):
    blob = args.props.get("blob") if args.resource_type == TOPIC else None
    if isinstance(blob, str):
        report_violation(f"blob of {len(blob)} characters arrived")


def parents_and_dependencies(args, report_violation):
    for resource in args.resources:
        if resource.resource_type == "aws:sns/topicPolicy:TopicPolicy":
            parent = resource.parent.resource_type if resource.parent else None
            deps = sorted(d.name for d in resource.dependencies)
            prop_deps = {
                k: sorted(d.name for d in v)
                for k, v in sorted(resource.property_dependencies.items())
            }
            report_violation(f"parent={parent} deps={deps} propdeps={prop_deps}", resource.urn)


def add_tag(args):
    if args.resource_type == TOPIC:
        props = dict(args.props)
        props["tags"] = {"remediated": "yes"}
        return props
    return None


# The pack-wide level comes from the stack's config (read at import, as packs may), so tests
# can vary pack x policy x config levels.
PACK_LEVEL = EnforcementLevel(pulumi.Config("probe").get("packLevel") or "advisory")

PolicyPack(
    name="probe",
    enforcement_level=PACK_LEVEL,
    policies=[
        ResourceValidationPolicy(
            name="topic-needs-kms",
            description="Topics are encrypted.",
            validate=topic_needs_kms,
            enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH,
        ),
        ResourceValidationPolicy(
            name="never-called",
            description="Disabled in the pack itself.",
            validate=never_called,
            enforcement_level=EnforcementLevel.DISABLED,
        ),
        ResourceValidationPolicy(
            name="name-prefix",
            description="Topic names carry the prefix.",
            validate=name_prefix,
            severity=Severity.LOW,
            config_schema=PolicyConfigSchema(
                properties={
                    "prefix": {"type": "string", "default": "obsgov-"},
                    "mode": {"type": "string", "enum": ["strict", "lax"]},
                },
            ),
        ),
        ResourceValidationPolicy(
            name="provider-account",
            description="Reports the provider it was given.",
            validate=provider_account,
        ),
        ResourceValidationPolicy(
            name="runtime-data",
            description="Reports the runtime settings.",
            validate=runtime_data,
        ),
        ResourceValidationPolicy(
            name="blob-size",
            description="Reports large properties.",
            validate=size_of_blob,
        ),
        ResourceValidationPolicy(
            name="add-tag",
            description="Tags topics.",
            remediate=add_tag,
            enforcement_level=EnforcementLevel.DISABLED,
        ),
        StackValidationPolicy(
            name="parents-and-dependencies",
            description="Reports parents and dependencies.",
            validate=parents_and_dependencies,
        ),
    ],
)
