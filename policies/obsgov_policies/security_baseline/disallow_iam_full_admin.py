"""No identity policy grants every action on every resource."""

from ..aws_types import IAM_ROLE
from ..catalog import CIS, FSBP, Control, policy
from ..props import as_list, get, json_document, statements, str_list

IDENTITY_POLICIES = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}


def documents(resource_type: str, props):
    if resource_type == IAM_ROLE:
        for inline in as_list(get(props, "inlinePolicies")):
            yield _inline_label(inline), json_document(get(inline, "policy"))
        return
    yield "", json_document(get(props, IDENTITY_POLICIES[resource_type]))


def _inline_label(inline) -> str:
    name = get(inline, "name")
    return f" (inline policy {name})" if isinstance(name, str) else ""


@policy(
    id="obsgov-iam-policy-disallow-full-admin",
    description="IAM policies must not allow every action (*) on every resource (*).",
    severity="critical",
    service="iam",
    resource_types=(*IDENTITY_POLICIES, IAM_ROLE),
    controls=[Control(FSBP, "IAM.1"), Control(CIS, "1.16")],
    remediation="Grant the specific actions and resources the principal needs.",
)
def disallow_iam_full_admin(args, report_violation):
    for where, document in documents(args.resource_type, args.props):
        for i, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            actions = set(str_list(statement.get("Action")))
            resources = set(str_list(statement.get("Resource")))
            if actions & {"*", "*:*"} and "*" in resources:
                report_violation(f"Statement {i}{where} allows action * on resource *.")
