"""OAM sinks admit links only from the organization or named accounts."""

from ..catalog import policy
from ..props import as_dict, get, is_everyone, json_document, statements

SCOPING_KEYS = (
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:SourceAccount",
    "aws:SourceOrgID",
)


def _scoped(condition) -> bool:
    for clauses in as_dict(condition).values():
        for key in as_dict(clauses):
            if key in SCOPING_KEYS:
                return True
    return False


@policy(
    id="obsgov-oam-sinkpolicy-disallow-open-principal",
    description="OAM sink policies must not admit any principal without an organization or "
    "account condition.",
    severity="critical",
    service="oam",
    resource_types=("aws:oam/sinkPolicy:SinkPolicy",),
    remediation="Scope the statement with a Condition on aws:PrincipalOrgID (or name the "
    "accounts in Principal.AWS).",
)
def disallow_open_oam_sink_policy(args, report_violation):
    raw = get(args.props, "policy")
    document = json_document(raw)
    if document is None:
        report_violation("The sink policy is not a JSON policy document.")
        return
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not is_everyone(statement.get("Principal")):
            continue
        if not _scoped(statement.get("Condition")):
            report_violation(
                f"Statement {i} allows any principal without a condition on "
                f"{' or '.join(SCOPING_KEYS[:3])}."
            )
