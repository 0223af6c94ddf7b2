"""What AWS allows once (or a few times) per account and Region has one owner.

:data:`obsgov_policies.deploy_names.SINGLETONS` lists the resources AWS limits per account and
Region (an OAM sink: one; Glue Data Catalog encryption settings: one per catalog; CloudWatch
Logs resource policies: ten) or per parent (two subscription filters per log group, five
targets per rule), each row citing AWS's documentation. The count adds this stack's resources
to the other stacks' (the ``otherStacks`` config): dev, staging and prod sharing the central
accounts each creating a sink make the second environment's ``pulumi up`` fail.
"""

from __future__ import annotations

from ..catalog import policy
from ..deploy_graph import graph_of
from ..deploy_names import (
    OTHER_STACKS_SCHEMA,
    SINGLETONS,
    Claim,
    claims,
    group,
    other_stacks,
    where_text,
)


def overfull(mine: list[Claim], others: list[Claim]) -> list[tuple[Claim, list[Claim]]]:
    """(this stack's first claim, every claim) for each scope over its limit."""
    theirs = group(c for c in others if c.name == "*")
    found = []
    for key, same in group(c for c in mine if c.name == "*").items():
        everyone = same + theirs.get(key, [])
        if len(everyone) > SINGLETONS[same[0].type].limit:
            found.append((same[0], everyone))
    return found


def message(claim: Claim, everyone: list[Claim]) -> str:
    singleton = SINGLETONS[claim.type]
    scope = f" for {claim.scope}" if claim.scope else ""
    owners = ", ".join(
        f"{c.logical} (stack {c.stack})" if c.stack else c.logical for c in everyone[:8]
    ) + (", ..." if len(everyone) > 8 else "")
    allowed = "one" if singleton.limit == 1 else f"{singleton.limit}"
    return (
        f"{singleton.label} in {where_text(claim)}{scope}: {len(everyone)} created "
        f"({owners}); AWS allows {allowed}: {singleton.consequence}. Fix: give it one "
        "owner, an organisation-level stack that dev, staging and prod reference "
        f"(StackReference), with {singleton.tell_apart}. AWS: {singleton.doc}"
    )


@policy(
    id="obsgov-deploy-account-require-single-owner",
    description="Resources AWS allows once or a few times per account and Region (OAM sink, "
    "catalog encryption, log resource policies, filters per log group) stay within the limit "
    "across the organisation's stacks.",
    severity="high",
    service="deploy",
    kind="stack",
    remediation="Move the singleton into one organisation-level stack that the environments "
    "reference, and tell the environments' data apart inside it.",
    config={"otherStacks": OTHER_STACKS_SCHEMA},
)
def require_single_owner(args, report_violation):
    graph = graph_of(args.resources)
    urns = {n.name: n.urn for n in graph.nodes}
    for claim, everyone in overfull(list(claims(graph)), other_stacks(args.get_config())):
        report_violation(message(claim, everyone), urns.get(claim.logical))
