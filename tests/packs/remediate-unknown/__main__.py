"""Remediate-unknown pack: a remediation that reads a property unknown in preview."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
)
from pulumi_policy.proxy import unknown_checking_proxy

TOPIC = "aws:sns/topic:Topic"


def topic_key(args):
    if args.resource_type != TOPIC:
        return None
    # Remediate wraps the properties in the secrets proxy before the unknown check, which then
    # does not see into them (pulumi_policy/policy.py, Remediate); check them as Analyze does,
    # so reading an unknown raises the UnknownValueError the servicer reports as a diagnostic.
    props = unknown_checking_proxy(dict(args.props))
    if props.get("kmsMasterKeyId"):
        return None
    return {**dict(args.props), "kmsMasterKeyId": "alias/remediated"}


PolicyPack(
    name="remediate-unknown",
    policies=[
        ResourceValidationPolicy(
            name="topic-key",
            description="Topics get a KMS key.",
            remediate=topic_key,
            enforcement_level=EnforcementLevel.REMEDIATE,
            severity=Severity.MEDIUM,
            framework=PolicyComplianceFramework(name="cis", version="1.4.0", reference="3.7"),
            tags=["encryption", "sns"],
            remediation_steps="Give the topic a KMS key.",
            url="https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
        )
    ],
)
