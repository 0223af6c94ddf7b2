"""What a gate run's violations mean for the verdict, and where each one points.

Every violation becomes a :class:`Finding` with its location (:mod:`.locations`) and a status:

* ``open``: it counts (a mandatory one fails the gate);
* ``suppressed``: a suppression in the stack's config or the registry accepts it, with a reason,
  until its expiry date (inclusive, compared with the date the caller passes in, never the
  wall clock read here);
* ``baseline``: the ``--baseline`` file lists it (it was there before; only new ones count);
* ``below-threshold``: its severity is under ``--severity``.

A suppression past its expiry no longer applies: the finding is open again and every report
says which suppression expired. Suppressions that match nothing, and baseline entries no
longer found (fixed), are reported too, so that neither outlives what it was written for.
A pack that failed always fails the gate: nothing can suppress a verdict that was never made.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.gate.results import GateRun, Violation
from obsgov.graph import ResourceGraph

from .common import pack_name, sort_packs, sort_violations
from .locations import Located, Locator, Place, SourceFiles, yaml_file

SEVERITY_ORDER = ("low", "medium", "high", "critical")
BASELINE_FORMAT = 1
SUPPRESSIONS_KEY = "obsgov:suppressions"


@dataclass(frozen=True)
class Suppression:
    """A suppression as written: which findings, why, until when, and where it is written."""

    policy: str
    resource: str
    reason: str
    expires: dt.date
    scope: str = "stack"  # "stack", "workload <name>" or "account <name>"
    place: Place | None = None

    @property
    def label(self) -> str:
        target = self.resource or "every resource"
        scope = "" if self.scope == "stack" else f" of {self.scope}"
        return f"{self.policy} on {target}{scope}"

    def covers(self, violation: Violation, graph: ResourceGraph, locator: Locator) -> bool:
        if self.policy not in (violation.policy, f"{violation.pack}/{violation.policy}"):
            return False
        if self.scope.startswith("workload "):
            if locator.workload_of(violation.urn) != self.scope.split(" ", 1)[1]:
                return False
        elif self.scope.startswith("account "):
            resource = graph.get(violation.urn)
            account = graph.accounts.get(resource.account or "") if resource else None
            if account != self.scope.split(" ", 1)[1]:
                return False
        if not self.resource:
            return True
        if self.resource.startswith("urn:pulumi:"):
            return violation.urn == self.resource
        return fnmatch.fnmatchcase(violation.resource_name, self.resource)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "scope": self.scope,
            "file": self.place.shown() if self.place else None,
        }


@dataclass(frozen=True)
class BaselineEntry:
    policy: str
    urn: str

    def matches(self, violation: Violation) -> bool:
        return (self.policy, self.urn) == (violation.policy, violation.urn)


@dataclass
class Finding:
    pack: str
    violation: Violation
    located: Located
    status: str = "open"
    suppression: Suppression | None = None
    expired: Suppression | None = None  # a suppression that covered it, past its date

    @property
    def blocking(self) -> bool:
        return self.status == "open" and self.violation.level == "mandatory"

    @property
    def shown(self) -> bool:
        return self.status != "below-threshold"


@dataclass
class Review:
    """A run's findings with their locations and statuses, and what the verdict rests on."""

    run: GateRun
    findings: list[Finding]
    sources: SourceFiles
    today: dt.date
    suppressions: list[Suppression] = field(default_factory=list)
    unused: list[Suppression] = field(default_factory=list)
    baseline: Path | None = None
    fixed: list[BaselineEntry] = field(default_factory=list)
    severity: str | None = None

    @property
    def failed(self) -> bool:
        return any(p.error for p in self.run.packs) or any(f.blocking for f in self.findings)

    def of_pack(self, pack: str) -> list[Finding]:
        return [f for f in self.findings if f.pack == pack]

    def pack_status(self, pack: Any) -> str:
        """``failed``, ``warnings`` or ``passed`` once suppressions and the baseline are
        applied (``error`` for a pack that failed to run)."""
        if pack.error:
            return "error"
        found = [f for f in self.of_pack(pack_name(pack)) if f.shown]
        if any(f.blocking for f in found):
            return "failed"
        return "warnings" if any(f.status == "open" for f in found) else "passed"

    def counts(self) -> dict[str, int]:
        counts = {"open": 0, "suppressed": 0, "baseline": 0, "below-threshold": 0}
        for finding in self.findings:
            counts[finding.status] += 1
        return counts

    @property
    def expired(self) -> list[Suppression]:
        return [s for s in self.suppressions if s.expires < self.today]

    @property
    def root(self) -> Path | None:
        from .locations import repository_root

        anchor = self.sources.anchor
        return repository_root(anchor) if anchor is not None else None

    def where(self, finding: Finding) -> str:
        """``file:line`` of the finding's primary location, relative to the repository."""
        primary = finding.located.primary
        return primary.shown(self.root) if primary is not None else ""


def severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else -1


def review(
    run: GateRun,
    sources: SourceFiles | Path | None = None,
    *,
    today: dt.date | None = None,
    suppressions: Sequence[Suppression] = (),
    baseline: tuple[Path, Sequence[BaselineEntry]] | None = None,
    severity: str | None = None,
) -> Review:
    """Give every violation of ``run`` its location and status. ``today`` is the date the
    suppressions' expiry is compared with (the caller reads the clock, through
    :func:`obsgov.clock.utc_today`)."""
    if suppressions and today is None:
        raise ValueError("suppressions need the date to compare their expiry with")
    today = today or dt.date.min
    files = SourceFiles.coerce(sources)
    locator = Locator(files, run.graph)
    known = list(baseline[1]) if baseline else []
    used: set[int] = set()
    matched_baseline: set[BaselineEntry] = set()
    findings: list[Finding] = []
    threshold = severity_rank(severity) if severity else -1
    for pack in sort_packs(run.packs):
        name = pack_name(pack)
        for violation in sort_violations(pack.violations):
            located = locator.locate(violation.urn, violation.message)
            finding = Finding(name, violation, located)
            for i, rule in enumerate(suppressions):
                if not rule.covers(violation, run.graph, locator):
                    continue
                used.add(i)
                if rule.expires >= today:
                    finding.status, finding.suppression = "suppressed", rule
                    break
                finding.expired = finding.expired or rule
            if finding.status == "open":
                entry = next((e for e in known if e.matches(violation)), None)
                if entry is not None:
                    finding.status = "baseline"
                    matched_baseline.add(entry)
            if (
                finding.status == "open"
                and threshold >= 0
                and violation.severity in SEVERITY_ORDER
                and severity_rank(violation.severity) < threshold
            ):
                finding.status = "below-threshold"
            findings.append(finding)
    return Review(
        run=run,
        findings=findings,
        sources=files,
        today=today,
        suppressions=list(suppressions),
        unused=[s for i, s in enumerate(suppressions) if i not in used],
        baseline=baseline[0] if baseline else None,
        fixed=[e for e in known if e not in matched_baseline],
        severity=severity,
    )


# --------------------------------------------------------------------------- reading


def _suppressions_from(
    rules: Iterable[Any], file: Path, keys: tuple[str | int, ...], scoped: bool = False
) -> list[Suppression]:
    registry_file = yaml_file(file)
    found = []
    for i, rule in enumerate(rules):
        region = registry_file.entry_region((*keys, i))
        place = Place(file, region, "suppression") if region is not None else None
        scope = "stack"
        if scoped:
            scope = f"workload {rule.workload}" if rule.workload else f"account {rule.account}"
        found.append(
            Suppression(
                policy=rule.policy,
                resource=rule.resource,
                reason=" ".join(rule.reason.split()),
                expires=rule.expiry,
                scope=scope,
                place=place,
            )
        )
    return found


def environment_suppressions(env: Any) -> list[Suppression]:
    """The suppressions of an obsgov environment: its stack config's, then its registry's."""
    return _suppressions_from(
        env.settings.suppressions, env.stack_file, ("config", SUPPRESSIONS_KEY)
    ) + _suppressions_from(env.registry.suppressions, env.registry_file, ("suppressions",), True)


def stack_suppressions(config: Mapping[str, str], file: Path) -> list[Suppression]:
    """The ``obsgov:suppressions`` of a team's stack config (the flat map the CLI builds)."""
    from pydantic import TypeAdapter, ValidationError

    from obsgov.config.models.suppressions import Suppression as Rule
    from obsgov.config.wording import friendly, strip_kinds
    from obsgov.errors import format_key_path
    from obsgov.io import display_path, parse_json

    raw = config.get(SUPPRESSIONS_KEY)
    if raw is None:
        return []
    shown = display_path(file)
    data = parse_json(raw, f"{shown}: config.{SUPPRESSIONS_KEY}")
    try:
        rules = TypeAdapter(list[Rule]).validate_python(data)
    except ValidationError as exc:
        raise InputError(
            Problem(
                shown,
                format_key_path(["config", SUPPRESSIONS_KEY, *strip_kinds(e["loc"])]),
                friendly(e, Rule),
            )
            for e in exc.errors()
        ) from None
    return _suppressions_from(rules, file, ("config", SUPPRESSIONS_KEY))


def read_baseline(path: Path) -> list[BaselineEntry]:
    """A ``--baseline`` file (written by ``--write-baseline``)."""
    from obsgov.io import display_path, read_json

    shown = display_path(path)
    data = read_json(path)
    if not isinstance(data, dict) or data.get("obsgovBaseline") != BASELINE_FORMAT:
        raise InputError.single(
            shown,
            "obsgovBaseline",
            f"must be {BASELINE_FORMAT}: write the file with --write-baseline",
        )
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise InputError.single(shown, "findings", "must be a list of {policy, urn}")
    found, problems = [], []
    for i, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("policy"), str)
            or not isinstance(entry.get("urn"), str)
        ):
            problems.append(Problem(shown, f"findings[{i}]", "must have a policy and a urn"))
            continue
        found.append(BaselineEntry(entry["policy"], entry["urn"]))
    if problems:
        raise InputError(problems)
    return found


def baseline_text(run: GateRun) -> str:
    """Every violation of ``run``, as a baseline file: sorted, one per policy and resource."""
    entries = sorted(
        {(v.policy, v.urn, pack_name(p), v.level) for p in run.packs for v in p.violations}
    )
    seen: set[tuple[str, str]] = set()
    findings = []
    for policy, urn, pack, level in entries:
        if (policy, urn) in seen:
            continue
        seen.add((policy, urn))
        findings.append({"policy": policy, "urn": urn, "pack": pack, "level": level})
    document = {
        "obsgovBaseline": BASELINE_FORMAT,
        "stack": f"{run.graph.project}/{run.graph.stack}",
        "findings": findings,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
