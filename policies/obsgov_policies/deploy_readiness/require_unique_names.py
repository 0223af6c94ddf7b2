"""Physical names are unique where AWS needs them unique, across every stack of the organisation.

Two resources that claim the same name in the same scope are the same AWS object: the second
create fails (``ResourceAlreadyExistsException``, ``ResourceInUse``, ``EntityAlreadyExists``,
``BucketAlreadyExists``), or, for resources that set another's whole policy (a topic policy, a
bucket policy, a model package group policy), the stacks overwrite each other and destroying one
removes the other's. The claims of the organisation's other stacks come from the ``otherStacks``
config (:mod:`obsgov_policies.deploy_names`); each claim's scope follows where AWS's create call
documents the name as unique (:data:`obsgov_policies.deploy_graph.KINDS`).
"""

from __future__ import annotations

from ..catalog import policy
from ..deploy_graph import KINDS, LABELS, graph_of
from ..deploy_names import OTHER_STACKS_SCHEMA, Claim, claims, group, other_stacks, where_text


def _label(claim: Claim) -> str:
    kind = KINDS.get(claim.type)
    return kind.label if kind else LABELS.get(claim.type, claim.type.rsplit(":", 1)[-1])


def _owner(claim: Claim) -> str:
    return f"{claim.logical} in stack {claim.stack}" if claim.stack else claim.logical


def collisions(mine: list[Claim], others: list[Claim]) -> list[tuple[Claim, list[Claim]]]:
    """(this stack's claim, the other claims of the same object), for named claims."""
    theirs = group(c for c in others if c.name != "*")
    found = []
    for key, same in group(c for c in mine if c.name != "*").items():
        rivals = same[1:] + theirs.get(key, [])
        if rivals:
            found.append((same[0], rivals))
    return found


def message(claim: Claim, rivals: list[Claim]) -> str:
    kind = KINDS.get(claim.type)
    in_scope = f" in {claim.scope}" if claim.scope else ""
    doc = kind.doc if kind else ""
    return (
        f"{_label(claim)} {claim.name}{in_scope} in {where_text(claim)} is created by "
        f"{claim.logical} and also by {', '.join(_owner(r) for r in rivals)}: they are one AWS "
        "object, so the second `pulumi up` fails with an already-exists error (or, for a "
        "policy, the stacks overwrite each other). Fix: give it one owner (an "
        "organisation-level stack the environments reference) or put the environment in "
        "the name." + (f" AWS: {doc}" if doc else "")
    )


@policy(
    id="obsgov-deploy-name-require-unique",
    description="No physical name is claimed twice in the scope where AWS makes it unique, "
    "within the stack or across the organisation's other stacks.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Give the resource one owning stack that the others reference, or put the "
    "environment in its name.",
    config={"otherStacks": OTHER_STACKS_SCHEMA},
)
def require_unique_names(args, report_violation):
    graph = graph_of(args.resources)
    mine = list(claims(graph))
    urns = {n.name: n.urn for n in graph.nodes}
    for claim, rivals in collisions(mine, other_stacks(args.get_config())):
        report_violation(message(claim, rivals), urns.get(claim.logical))
