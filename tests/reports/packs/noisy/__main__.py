"""Reports test pack: findings shaped like real ones, and output no report may pass on raw.

Against the example prod stack: one mandatory violation per CloudWatch alarm (several alarms
come from one registry entry), messages with ANSI colours, a window-title escape, a bell and
a NUL, a security rule, a rule with more tags than code scanning shows, a disabled rule and
a remediation per SNS topic, and two findings of one policy on the stack.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
RED, RESET = "\x1b[31m", "\x1b[0m"


def alarm_runbook(args, report_violation):
    if args.resource_type == ALARM:
        name = args.props.get("name") or args.urn.rsplit("::", 1)[-1]
        report_violation(
            f"{RED}alarm {name} has no runbook{RESET}: set alarmDescription to a runbook URL so "
            f"that whoever is paged knows what to do\x07 (\x1b]0;pwned\x07see docs)\x00"
        )


def key_rotation(args, report_violation):
    if args.resource_type == KEY:
        report_violation("key rotation is not enabled")


def never(args, report_violation):
    raise RuntimeError("a disabled policy was called")


def stack_summary(args, report_violation):
    report_violation(f"{len(args.resources)} resources\r\nchecked\tat once")
    # a second finding of one policy on one resource: its own alert, not a duplicate
    report_violation("and a second finding")


def owner_tag(args):
    if args.resource_type == TOPIC:
        props = dict(args.props)
        props["tags"] = {**(props.get("tags") or {}), "owner-checked": "yes"}
        return props
    return None


PolicyPack(
    name="noisy",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="alarm-runbook",
            description="Alarms link a runbook.",
            validate=alarm_runbook,
            enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.MEDIUM,
            tags=[
                "observability",
                "alarms",
                "runbooks",
                "paging",
                "on-call",
                "cloudwatch",
                "sre",
                "ops",
                "incident",
                "response",
                "docs",
                "extra",
            ],
        ),
        ResourceValidationPolicy(
            name="key-rotation",
            description="KMS keys rotate.",
            validate=key_rotation,
            severity=Severity.HIGH,
            remediation_steps="Set enableKeyRotation: true.",
            framework=PolicyComplianceFramework(
                name="AWS Foundational Security Best Practices", reference="KMS.4"
            ),
            tags=["kms", "security"],
        ),
        ResourceValidationPolicy(
            name="never-called",
            description="Disabled in the pack.",
            validate=never,
            enforcement_level=EnforcementLevel.DISABLED,
        ),
        StackValidationPolicy(
            name="stack-summary",
            description="Counts what it saw.",
            validate=stack_summary,
        ),
        ResourceValidationPolicy(
            name="owner-tag",
            description="Topics carry an owner-checked tag.",
            remediate=owner_tag,
            enforcement_level=EnforcementLevel.REMEDIATE,
        ),
    ],
)
