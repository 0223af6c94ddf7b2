"""The organisation's physical-name inventory: what every environment's stack claims.

A stack policy sees one stack. To check names and per-account singletons across the
organisation, ``obsgov policy inventory`` synthesizes every ``stacks/Pulumi.<env>.yaml``, reads
each graph's claims with the deploy-readiness library (:mod:`obsgov_policies.deploy_names`, the
same code the pack runs) and writes them to ``stacks/physical-names.json``. The gate's
environment layer then hands each environment the other environments' claims as the pack's
``otherStacks`` config, and ``obsgov policy config`` writes them for ``pulumi preview``. The
command also judges all environments together, which no single stack's policy can.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.graph import ResourceGraph
from obsgov.io import display_path, read_json, write_atomic

INVENTORY_FILE = "physical-names.json"
FORMAT_VERSION = 1


def stack_resources(graph: ResourceGraph) -> list[Any]:
    """The resources a stack policy receives for ``graph``, built by the SDK's own servicer
    from the AnalyzeStack request the gate sends (so the inventory reads exactly what the
    pack reads)."""
    from pulumi_policy import EnforcementLevel, StackValidationPolicy
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    from .requests import Requests

    captured: list[Any] = []
    capture = StackValidationPolicy(
        name="obsgov-inventory-capture",
        description="Captures the resources a stack policy receives.",
        validate=lambda args, report: captured.extend(args.resources),
    )
    servicer = _PolicyAnalyzerServicer(
        "obsgov-inventory", "0.0.0", [capture], EnforcementLevel.ADVISORY
    )
    servicer.AnalyzeStack(Requests(graph).stack_request(), None)
    return captured


def stack_claims(graph: ResourceGraph) -> list[list[str]]:
    from obsgov_policies.deploy_graph import DeployGraph
    from obsgov_policies.deploy_names import inventory

    return inventory(DeployGraph(stack_resources(graph)))


@dataclass(frozen=True)
class Inventory:
    stacks: dict[str, list[list[str]]]  # stack -> claims

    def to_json(self) -> str:
        """Deterministic, one claim a line (so a diff shows which names moved)."""
        lines = ["{", f'  "formatVersion": {FORMAT_VERSION},', '  "stacks": {']
        stacks = sorted(self.stacks.items())
        for i, (name, claims) in enumerate(stacks):
            lines.append(f"    {json.dumps(name)}: [")
            rows = [f"      {json.dumps(row, ensure_ascii=False)}" for row in sorted(claims)]
            lines.append(",\n".join(rows))
            lines.append("    ]" + ("," if i < len(stacks) - 1 else ""))
        lines += ["  }", "}"]
        return "\n".join(line for line in lines if line) + "\n"

    def others(self, stack: str) -> list[dict[str, Any]]:
        """The ``otherStacks`` config for ``stack``: every other stack's claims."""
        return [
            {"stack": name, "claims": claims}
            for name, claims in sorted(self.stacks.items())
            if name != stack
        ]


def load_inventory(path: Path) -> Inventory | None:
    """The inventory file, None when there is none; a malformed one is bad input."""
    if not path.exists():
        return None
    data = read_json(path)
    shown = display_path(path)
    if not isinstance(data, Mapping) or data.get("formatVersion") != FORMAT_VERSION:
        raise InputError.single(shown, "formatVersion", f"expected {FORMAT_VERSION}")
    stacks = data.get("stacks")
    if not isinstance(stacks, Mapping):
        raise InputError.single(shown, "stacks", "expected an object of stack -> claims")
    problems = []
    out: dict[str, list[list[str]]] = {}
    for name, claims in stacks.items():
        rows = claims if isinstance(claims, list) else None
        if rows is None or not all(
            isinstance(r, list) and len(r) == 6 and all(isinstance(v, str) for v in r) for r in rows
        ):
            problems.append(Problem(shown, f"stacks.{name}", "expected a list of 6-string claims"))
            continue
        out[str(name)] = rows
    if problems:
        raise InputError(problems)
    return Inventory(out)


def environments(stacks_dir: Path) -> list[str]:
    return sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in stacks_dir.glob("Pulumi.*.yaml")
        if p.is_file()
    )


def build_inventory(stacks_dir: Path, stacks: Iterable[str] | None = None) -> Inventory:
    """Synthesize each environment (in preview, as the gate does) and record its claims."""
    from obsgov.config.loader import load_environment, stack_file_for
    from obsgov.synth import synthesize

    found: dict[str, list[list[str]]] = {}
    for stack in stacks if stacks is not None else environments(stacks_dir):
        env = load_environment(stack, stack_file_for(stacks_dir, stack, "--stack"))
        found[stack] = stack_claims(synthesize(env))
    return Inventory(found)


def write_inventory(inventory: Inventory, path: Path) -> None:
    write_atomic(path, inventory.to_json())


def judge_all(inventory: Inventory) -> list[str]:
    """Collisions and over-full singletons across every stack of the inventory, worded as the
    pack words them."""
    from obsgov_policies.deploy_names import SINGLETONS, Claim, group
    from obsgov_policies.deploy_readiness import require_single_owner, require_unique_names

    every = [
        claim
        for stack, rows in sorted(inventory.stacks.items())
        for row in rows
        if (claim := Claim.from_row(row, stack)) is not None
    ]
    findings: list[str] = []
    for same in group(c for c in every if c.name != "*").values():
        if len({c.stack for c in same}) > 1 or len(same) > 1:
            first = same[0]
            findings.append(f"[{first.stack}] " + require_unique_names.message(first, same[1:]))
    for same in group(c for c in every if c.name == "*").values():
        if len(same) > SINGLETONS[same[0].type].limit:
            findings.append(f"[{same[0].stack}] " + require_single_owner.message(same[0], same))
    return findings


def inventory_path(stacks_dir: Path) -> Path:
    return stacks_dir / INVENTORY_FILE
