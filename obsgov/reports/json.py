"""The gate run as one JSON document, for scripts: every pack, violation and remediation."""

from __future__ import annotations

from typing import Any

from obsgov.gate.results import GateRun
from obsgov.io import display_path

from .common import pack_name, sort_violations
from .guesses import guesses


def to_json(run: GateRun) -> dict[str, Any]:
    """Values as the packs sent them (messages are not cleaned: this is data, not display)."""
    return {
        "project": run.graph.project,
        "stack": run.graph.stack,
        "preview": run.graph.preview,
        "resources": len(run.graph),
        "failed": run.failed,
        "guesses": guesses(run.graph),
        "packs": [
            {
                "name": pack_name(p),
                "version": p.version,
                "path": display_path(p.project.directory),
                "status": "error" if p.error else p.status,
                "error": p.error,
                "config": p.config,
                "violations": [
                    {
                        "policy": v.policy,
                        "level": v.level,
                        "severity": v.severity,
                        "urn": v.urn,
                        "type": v.resource_type,
                        "name": v.resource_name,
                        "description": v.description,
                        "message": v.detail,
                        "phase": v.phase,
                    }
                    for v in sort_violations(p.violations)
                ],
                "remediations": [
                    {
                        "policy": r.policy,
                        "urn": r.urn,
                        "changes": r.changes,
                        "diagnostic": r.diagnostic,
                    }
                    for r in p.remediations
                ],
                "notApplicable": p.not_applicable,
            }
            for p in run.packs
        ],
    }
