"""Athena workgroups enforce their own encrypted result location."""

from ..aws_types import ATHENA_WORKGROUP
from ..catalog import policy
from ..props import as_bool, as_str, get


@policy(
    id="obsgov-athena-workgroup-require-enforced-encryption",
    description="Athena workgroups must enforce their configuration and encrypt query results "
    "with KMS.",
    severity="medium",
    service="athena",
    resource_types=(ATHENA_WORKGROUP,),
    remediation="Set configuration.enforce_workgroup_configuration to true and "
    "result_configuration.encryption_configuration to SSE_KMS with a key.",
)
def require_athena_workgroup_enforcement(args, report_violation):
    configuration = get(args.props, "configuration")
    # The provider defaults enforce_workgroup_configuration to true (as does CreateWorkGroup;
    # Control Tower's CT.ATHENA.PR.2 accepts it omitted), so only an explicit false turns
    # enforcement off.
    if not as_bool(get(configuration, "enforceWorkgroupConfiguration", default=True)):
        report_violation(
            "The workgroup does not enforce its configuration, so a query can write "
            "unencrypted results wherever its client asks."
        )
    option = as_str(
        get(configuration, "resultConfiguration", "encryptionConfiguration", "encryptionOption")
    )
    if option not in ("SSE_KMS", "CSE_KMS"):
        report_violation(
            f"Query results are encrypted with {option or 'nothing'}, not a KMS key "
            "(SSE_KMS or CSE_KMS)."
        )
