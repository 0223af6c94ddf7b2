"""What the stack needs in its accounts but does not create, listed per account with how to
make it.

AWS refuses some creations until something outside the stack exists: a service-linked role, an
organization's trusted access or policy type, an IAM principal a policy names, a QuickSight
subscription, the role each provider assumes. :data:`PREREQUISITES` lists what each kind of
resource needs, citing AWS's documentation. ``obsgov org prepare --env ENV`` makes the
organization-level ones; ``obsgov org check --env ENV`` confirms all of them against AWS. A
prerequisite that has been confirmed is listed in the policy's ``verifiedPrerequisites`` by the
key the message gives, and is then not reported.

Offline nobody can know whether an account has a service-linked role or a principal, so this
policy is a checklist, advisory at every level (stacks/policy-packs/<env>/deploy-readiness.json),
while ``obsgov deploy`` runs the checks of ``obsgov org check`` before any ``pulumi up`` and
stops (exit 1) when one is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import policy
from ..deploy_graph import DeployGraph, Node, dig, document, graph_of, known
from ..iam_evaluation import policy_statements
from ..props import as_list, str_list

DOCS = "https://docs.aws.amazon.com"
PREPARE = "`obsgov org prepare --env ENV`"


@dataclass(frozen=True)
class Need:
    key: str  # what verifiedPrerequisites lists once it is confirmed
    account: str  # the account it is needed in ("" when unknown)
    what: str
    consequence: str
    how: str
    doc: str


@dataclass(frozen=True)
class Prerequisite:
    """``find`` returns what one resource of ``types`` needs."""

    types: tuple[str, ...]
    find: Callable[[DeployGraph, Node], list[Need]]


def _account(node: Node) -> str:
    return node.account if isinstance(node.account, str) else ""


def _slr_created(graph: DeployGraph, account: Any, services: tuple[str, ...]) -> bool:
    return any(
        n.account == account and n.props.get("awsServiceName") in services
        for n in graph.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    )


def _opensearch_slr(graph: DeployGraph, node: Node) -> list[Need]:
    subnets = as_list(dig(node.props, "vpcOptions", "subnetIds"))
    services = ("opensearchservice.amazonaws.com", "es.amazonaws.com")
    if not subnets or _slr_created(graph, node.account, services):
        return []
    return [
        Need(
            f"service-linked-role:opensearchservice.amazonaws.com@{_account(node)}",
            _account(node),
            "the service-linked role AWSServiceRoleForAmazonOpenSearchService",
            "CreateDomain for a domain in a VPC fails until it exists (OpenSearch needs it to "
            "create the network interfaces)",
            f"{PREPARE} creates it, or `aws iam create-service-linked-role --aws-service-name "
            "opensearchservice.amazonaws.com` in that account",
            f"{DOCS}/opensearch-service/latest/developerguide/slr.html",
        )
    ]


def _organization(graph: DeployGraph) -> Node | None:
    found = graph.of_type("aws:organizations/organization:Organization")
    return found[0] if found else None


def _trail_trusted_access(graph: DeployGraph, node: Node) -> list[Need]:
    if node.props.get("isOrganizationTrail") is not True:
        return []
    org = _organization(graph)
    if org is not None and "cloudtrail.amazonaws.com" in str_list(
        org.props.get("awsServiceAccessPrincipals")
    ):
        return []
    return [
        Need(
            "trusted-access:cloudtrail.amazonaws.com",
            _account(node),
            "CloudTrail trusted access in the organization (and its service-linked role)",
            "CreateTrail with IsOrganizationTrail fails (CloudTrailAccessNotEnabledException)",
            f"{PREPARE} enables it from the management account (organizations "
            "enable-aws-service-access --service-principal cloudtrail.amazonaws.com)",
            f"{DOCS}/awscloudtrail/latest/userguide/creating-an-organizational-trail-prepare.html",
        )
    ]


def _policy_type(graph: DeployGraph, node: Node) -> list[Need]:
    kind = known(node.props.get("type")) or "SERVICE_CONTROL_POLICY"
    org = _organization(graph)
    if org is not None and kind in str_list(org.props.get("enabledPolicyTypes")):
        return []
    if not any(
        node in graph.resolve(a, "policyId", "aws:organizations/policy:Policy")
        for a in graph.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    ):
        return []
    return [
        Need(
            f"policy-type:{kind}",
            _account(node),
            f"the {kind} policy type enabled on the organization's root",
            "AttachPolicy fails with PolicyTypeNotEnabledException",
            f"{PREPARE} enables it (organizations enable-policy-type --policy-type {kind})",
            f"{DOCS}/organizations/latest/APIReference/API_EnablePolicyType.html",
        )
    ]


# documents that name principals, and where: (type, property)
PRINCIPAL_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "aws:kms/key:Key": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:opensearch/domain:Domain": ("accessPolicies",),
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": ("resourcePolicy",),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": ("policy",),
    "aws:oam/sinkPolicy:SinkPolicy": ("policy",),
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": ("accessPolicy",),
}
PRINCIPAL_DOCS = {
    "aws:kms/key:Key": f"{DOCS}/kms/latest/developerguide/key-policy-overview.html",
    "aws:iam/role:Role": f"{DOCS}/IAM/latest/UserGuide/reference_policies_elements_principal.html",
}
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/([^*?]+)$")


def principals_named(node: Node) -> Iterator[str]:
    for prop in PRINCIPAL_DOCUMENTS.get(node.type, ()):
        for statement in policy_statements(document(node.props.get(prop))):
            principal = statement.get("Principal")
            if isinstance(principal, dict):
                yield from str_list(principal.get("AWS"))
    if node.type == "aws:opensearch/domain:Domain":
        master = known(
            dig(node.props, "advancedSecurityOptions", "masterUserOptions", "masterUserArn")
        )
        if master:
            yield master


def _named_principals(graph: DeployGraph, node: Node) -> list[Need]:
    created = {n.arn for n in graph.of_type("aws:iam/role:Role", "aws:iam/user:User")}
    needs = []
    for principal in principals_named(node):
        match = ROLE_ARN.match(principal)
        if not match or principal in created:
            continue
        account, kind, name = match.groups()
        consequence = {
            "aws:kms/key:Key": "PutKeyPolicy/CreateKey fails with MalformedPolicyDocumentException",
            "aws:iam/role:Role": "CreateRole fails: Invalid principal in policy",
        }.get(node.type, "the policy is refused: Invalid principal in policy")
        needs.append(
            Need(
                f"principal:{principal}",
                account,
                f"the IAM {kind} {name} (named in {node.describe()})",
                consequence,
                f"create it in account {account} before this stack (`obsgov org check --env "
                "ENV` lists the principals the config names), or create it in this stack",
                PRINCIPAL_DOCS.get(
                    node.type,
                    f"{DOCS}/IAM/latest/UserGuide/reference_policies_elements_principal.html",
                ),
            )
        )
    return needs


def _quicksight(graph: DeployGraph, node: Node) -> list[Need]:
    account = known(node.props.get("awsAccountId")) or _account(node)
    needs = [
        Need(
            f"quicksight-subscription@{account}",
            account,
            "a QuickSight Enterprise subscription",
            "every QuickSight API call fails (ResourceNotFoundException: the account is not "
            "signed up)",
            "sign the account up for QuickSight Enterprise (console or `aws quicksight "
            "create-account-subscription`)",
            f"{DOCS}/quicksight/latest/user/signing-up.html",
        )
    ]
    for permission in as_list(node.props.get("permissions")):
        principal = known(dig(permission, "principal"))
        if principal and ":quicksight:" in principal:
            needs.append(
                Need(
                    f"quicksight-principal:{principal}",
                    account,
                    f"the QuickSight principal {principal.rsplit(':', 1)[-1]}",
                    f"{node.label} creation fails (InvalidParameterValueException: the "
                    "principal does not exist)",
                    "create the group or user in QuickSight (`aws quicksight create-group`)",
                    f"{DOCS}/quicksight/latest/APIReference/API_ResourcePermission.html",
                )
            )
    return needs


@dataclass(frozen=True)
class ProviderRef:
    """A provider as the resources that use it see it (providers are resources in the engine's
    AnalyzeStack request, but a resource carries its provider either way)."""

    urn: str
    name: str

    def describe(self) -> str:
        return f"provider {self.name}"


def _deployment_roles(graph: DeployGraph) -> Iterator[tuple[Any, Need]]:
    """Each provider's assumed role must exist before anything in its account is made."""
    seen: set[str] = set()
    for node in graph.nodes:
        provider = node.resource.provider
        if provider is None or provider.urn in seen:
            continue
        seen.add(provider.urn)
        roles = node.provider_props.get("assumeRoles")
        if isinstance(roles, str):
            try:
                roles = json.loads(roles)
            except ValueError:
                roles = []
        for role in [roles] if isinstance(roles, dict) else as_list(roles):
            arn = known(dig(role, "roleArn"))
            match = ROLE_ARN.match(arn or "")
            if not match:
                continue
            yield (
                ProviderRef(provider.urn, provider.name),
                Need(
                    f"deployment-role:{arn}",
                    match.group(1),
                    f"the deployment role {match.group(3)} that provider {provider.name} assumes",
                    "every resource of that account fails (AccessDenied on sts:AssumeRole)",
                    "`obsgov accounts onboard` creates it in new accounts; in the central "
                    "accounts create it once by hand",
                    f"{DOCS}/IAM/latest/UserGuide/id_roles_use_switch-role-api.html",
                ),
            )


PREREQUISITES: tuple[Prerequisite, ...] = (
    Prerequisite(("aws:opensearch/domain:Domain",), _opensearch_slr),
    Prerequisite(("aws:cloudtrail/trail:Trail",), _trail_trusted_access),
    Prerequisite(("aws:organizations/policy:Policy",), _policy_type),
    Prerequisite(tuple(PRINCIPAL_DOCUMENTS), _named_principals),
    Prerequisite(
        ("aws:quicksight/dataSource:DataSource", "aws:quicksight/dataSet:DataSet"), _quicksight
    ),
)


def needs(graph: DeployGraph) -> dict[str, tuple[Need, list[Any]]]:
    """Every prerequisite by key, with the resources that need it (in graph order)."""
    found: dict[str, tuple[Need, list[Any]]] = {}
    for provider, need in _deployment_roles(graph):
        entry = found.setdefault(need.key, (need, []))
        if all(p.urn != provider.urn for p in entry[1]):
            entry[1].append(provider)
    for prerequisite in PREREQUISITES:
        for node in graph.of_type(*prerequisite.types):
            for need in prerequisite.find(graph, node):
                entry = found.setdefault(need.key, (need, []))
                if node not in entry[1]:
                    entry[1].append(node)
    return found


def message(need: Need, nodes: list[Any]) -> str:
    first, rest = nodes[0], nodes[1:]
    more = ""
    if rest:
        names = ", ".join(n.name for n in rest[:5]) + (", ..." if len(rest) > 5 else "")
        more = f" (and {len(rest)} more: {names})"
    account = need.account or "(unknown account)"
    return (
        f"account {account} needs {need.what} before {first.describe()}{more}: "
        f"{need.consequence}. Fix: {need.how}; once `obsgov org check` confirms it, list "
        f"'{need.key}' in verifiedPrerequisites. AWS: {need.doc}"
    )


@policy(
    id="obsgov-deploy-account-require-prerequisites",
    description="What the stack needs but does not create (service-linked roles, trusted "
    "access, policy types, named principals, QuickSight, deployment roles) is named per "
    "account with how to make it.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Make each prerequisite the message names (obsgov org prepare makes the "
    "organization's), confirm it with obsgov org check, then list its key in "
    "verifiedPrerequisites.",
    config={
        "verifiedPrerequisites": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Keys of prerequisites confirmed to exist (from the messages).",
        }
    },
)
def require_prerequisites(args, report_violation):
    config = args.get_config()
    verified = {v for v in as_list(config.get("verifiedPrerequisites")) if isinstance(v, str)}
    graph = graph_of(args.resources)
    for key, (need, nodes) in sorted(needs(graph).items(), key=lambda i: (i[1][0].account, i[0])):
        if key in verified or not nodes:
            continue
        report_violation(message(need, nodes), nodes[0].urn)
