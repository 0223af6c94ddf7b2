"""The gate run as one JSON document, for scripts: every pack, violation and remediation,
each violation with where it points and whether it counts."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from obsgov.gate.results import GateRun
from obsgov.io import display_path

from .common import pack_name
from .findings import Finding, Review, review
from .guesses import guesses
from .locations import Place


def _place(place: Place, checked: Review) -> dict[str, Any]:
    region = place.region
    return {
        "file": place.shown(checked.root).rsplit(":", 1)[0],
        "line": region.start_line,
        "column": region.start_column,
        "endLine": region.end_line,
        "endColumn": region.end_column,
        "what": place.label,
    }


#: A pack config value whose JSON is longer than this is reported by its size and digest. The
#: values derived from the whole organisation grow with it (at 1,000 accounts the
#: deploy-readiness pack's physical-name inventory is 28 MB in every stack's report), and the
#: environment gate holds every stack's report: whole, they took 9 GiB. `obsgov policy config
#: --stack STACK` writes the configs whole.
LARGEST_CONFIG_VALUE = 4096


def _config_value(value: Any, stack: str) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    if len(text) <= LARGEST_CONFIG_VALUE:
        return value
    return {
        "omitted": f"{len(text):,} bytes of JSON; `obsgov policy config --stack {stack}` writes it",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _pack_config(config: dict[str, Any], stack: str) -> dict[str, Any]:
    return {
        policy: (
            {key: _config_value(v, stack) for key, v in values.items()}
            if isinstance(values, dict)
            else _config_value(values, stack)
        )
        for policy, values in config.items()
    }


def _violation(finding: Finding, checked: Review) -> dict[str, Any]:
    v = finding.violation
    primary = finding.located.primary
    return {
        "policy": v.policy,
        "level": v.level,
        "severity": v.severity,
        "urn": v.urn,
        "type": v.resource_type,
        "name": v.resource_name,
        "description": v.description,
        "message": v.detail,
        "phase": v.phase,
        "status": finding.status,
        "location": _place(primary, checked) if primary is not None else None,
        "relatedLocations": [_place(p, checked) for p in finding.located.related],
        "suppression": finding.suppression.to_json() if finding.suppression else None,
        "expiredSuppression": finding.expired.to_json() if finding.expired else None,
    }


def to_json(run: GateRun, checked: Review | None = None) -> dict[str, Any]:
    """Values as the packs sent them (messages are not cleaned: this is data, not display)."""
    checked = checked or review(run)
    return {
        "project": run.graph.project,
        "stack": run.graph.stack,
        "preview": run.graph.preview,
        "resources": len(run.graph),
        "failed": checked.failed,
        "guesses": guesses(run.graph),
        "counts": checked.counts(),
        "severityThreshold": checked.severity,
        "suppressions": [
            {**s.to_json(), "expired": s.expires < checked.today, "used": s not in checked.unused}
            for s in checked.suppressions
        ],
        "baseline": (
            {
                "file": display_path(checked.baseline),
                "fixed": [{"policy": e.policy, "urn": e.urn} for e in checked.fixed],
            }
            if checked.baseline is not None
            else None
        ),
        "packs": [
            {
                "name": pack_name(p),
                "version": p.version,
                "path": display_path(p.project.directory),
                "status": checked.pack_status(p),
                "error": p.error,
                "config": _pack_config(p.config, run.graph.stack),
                "violations": [
                    _violation(f, checked) for f in checked.of_pack(pack_name(p)) if f.shown
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
