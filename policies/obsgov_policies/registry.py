"""The policy registry: every obsgov policy with the metadata packs and reports need."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

PACKS = ("tagging", "observability", "security-baseline", "model-governance")
ID_PATTERN = re.compile(r"^obsgov-[a-z0-9]+-[a-z0-9]+-[a-z0-9]+(-[a-z0-9]+)*$")

FSBP = "AWS Foundational Security Best Practices"
CIS = "CIS AWS Foundations Benchmark"
TAGGING_STANDARD = "AWS Resource Tagging Standard"


@dataclass(frozen=True)
class Control:
    framework: str
    control_id: str

    def __str__(self) -> str:
        return f"{self.framework} {self.control_id}"


@dataclass(frozen=True)
class PolicySpec:
    id: str
    pack: str
    description: str
    severity: str
    service: str
    kind: str  # "resource" | "stack"
    validate: Callable[..., Any]
    module: str
    resource_types: tuple[str, ...] = ()
    controls: tuple[Control, ...] = ()
    remediation: str = ""
    config_properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_required: tuple[str, ...] = ()

    def config_defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_properties.items() if "default" in v}

    def build(self) -> ResourceValidationPolicy | StackValidationPolicy:
        schema = (PolicyConfigSchema(properties=self.config_properties,
                                     required=list(self.config_required) or None)
                  if self.config_properties else None)
        framework = None
        if self.controls:
            first = self.controls[0]
            framework = PolicyComplianceFramework(
                name=first.framework,
                reference=", ".join(c.control_id for c in self.controls),
                specification="; ".join(str(c) for c in self.controls),
            )
        common = dict(
            name=self.id,
            description=self.description,
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=schema,
            severity=Severity(self.severity),
            framework=framework,
            tags=[self.service, self.pack, *(str(c) for c in self.controls)],
            remediation_steps=self.remediation or None,
        )
        if self.kind == "stack":
            return StackValidationPolicy(validate=self.validate, **common)
        return ResourceValidationPolicy(validate=self.validate, **common)


REGISTRY: dict[str, PolicySpec] = {}


def policy(
    *,
    id: str,
    pack: str,
    description: str,
    severity: str,
    service: str,
    resource_types: Iterable[str] = (),
    controls: Iterable[Control] = (),
    remediation: str = "",
    config: Optional[dict[str, dict[str, Any]]] = None,
    required_config: Iterable[str] = (),
    kind: str = "resource",
    applies_to: Optional[Callable[[str], bool]] = None,
) -> Callable[[Callable[..., Any]], PolicySpec]:
    """Register a validation function as a policy.

    Resource policies are only called for ``resource_types`` (or types ``applies_to`` accepts);
    the function receives the SDK's ``args`` and ``report_violation``.
    """
    types = tuple(resource_types)

    def wrap(fn: Callable[..., Any]) -> PolicySpec:
        if id in REGISTRY:
            raise ValueError(f"duplicate policy id {id}")
        if kind == "resource":
            @functools.wraps(fn)
            def validate(args, report_violation):
                matches = (args.resource_type in types) or (
                    applies_to is not None and applies_to(args.resource_type))
                if matches:
                    return fn(args, report_violation)
                return None
        else:
            validate = fn
        spec = PolicySpec(
            id=id, pack=pack, description=description, severity=severity, service=service,
            kind=kind, validate=validate, module=fn.__module__, resource_types=types,
            controls=tuple(controls), remediation=remediation,
            config_properties=dict(config or {}), config_required=tuple(required_config),
        )
        REGISTRY[id] = spec
        return spec

    return wrap


def load_all() -> dict[str, PolicySpec]:
    """Import every policy module so that the registry is complete."""
    import importlib
    import pkgutil

    from . import model_governance, observability, security_baseline, tagging

    for package in (tagging, observability, security_baseline, model_governance):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return REGISTRY


def policies_for(pack: str) -> list[PolicySpec]:
    load_all()
    return sorted((s for s in REGISTRY.values() if s.pack == pack), key=lambda s: s.id)
