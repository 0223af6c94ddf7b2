"""The policy registry: every obsgov policy with the metadata packs and reports need.

A policy's package is its pack: a policy module under ``obsgov_policies/tagging/`` belongs to
the ``tagging`` pack, and so on. Each such package's ``__init__`` declares its pack's
``DESCRIPTION``; the pack table is discovered from the packages (:func:`pack_table`), so a new
policy is one module (and its test file) and a new pack is one package.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

LIBRARY = __name__.rpartition(".")[0]
ID_PATTERN = re.compile(r"^obsgov-[a-z0-9]+-[a-z0-9]+-[a-z0-9]+(-[a-z0-9]+)*$")
SEVERITIES = ("low", "medium", "high", "critical")

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
class Pack:
    """A policy pack as the library defines it: the package holding its policies."""

    name: str  # the pack folder's name under policies/, e.g. security-baseline
    package: str  # e.g. obsgov_policies.security_baseline
    description: str
    # run once before the pack serves (the package's optional ``warm_up``)
    warm_up: Callable[[], None] | None = None


def pack_name(package: str) -> str:
    """The pack a policy package defines: its last name part, with hyphens (pack folders and
    pack names use hyphens, Python packages cannot)."""
    return package.rpartition(".")[2].replace("_", "-")


def _discover_packs() -> dict[str, Pack]:
    """Every pack, by name, discovered from the library's subpackages."""
    library = importlib.import_module(LIBRARY)
    packs = {}
    for info in sorted(pkgutil.iter_modules(library.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"{LIBRARY}.{info.name}")
        description = getattr(package, "DESCRIPTION", None)
        if not isinstance(description, str) or not description:
            raise ValueError(
                f"{package.__name__} holds policies, so its __init__ must declare "
                "the pack's DESCRIPTION"
            )
        name = pack_name(package.__name__)
        packs[name] = Pack(name, package.__name__, description, getattr(package, "warm_up", None))
    return packs


# Cached by wrapping rather than decorating: mutation testing leaves decorated functions alone.
pack_table = functools.lru_cache(maxsize=1)(_discover_packs)


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
    applies_to: Callable[[str], bool] | None = None
    # A stack policy that judges only some resources of its types: (resources, config) -> the
    # URNs it judged, so reports count passes on exactly those.
    judges: Callable[[Any, Any], Iterable[str]] | None = None

    def applies(self, resource_type: str) -> bool:
        """Whether the SDK calls this resource policy for ``resource_type`` (reports use this to
        count the resources a policy passed, which the Analyzer protocol never lists)."""
        return resource_type in self.resource_types or (
            self.applies_to is not None and self.applies_to(resource_type)
        )

    def config_defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_properties.items() if "default" in v}

    def build(self) -> ResourceValidationPolicy | StackValidationPolicy:
        schema = (
            PolicyConfigSchema(
                properties=self.config_properties, required=list(self.config_required) or None
            )
            if self.config_properties
            else None
        )
        framework = None
        if self.controls:
            # The SDK's framework names one framework: its reference and specification hold
            # that framework's controls only (IAM.1 with CIS 1.16 would read as FSBP 1.16).
            # Every control, of every framework, is in the tags.
            first = self.controls[0].framework
            own = [c for c in self.controls if c.framework == first]
            framework = PolicyComplianceFramework(
                name=first,
                reference=", ".join(c.control_id for c in own),
                specification="; ".join(str(c) for c in own),
            )
        common: dict[str, Any] = dict(
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


def _pack_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) != 3 or parts[0] != LIBRARY:
        raise ValueError(
            f"policy module {module} is not directly inside a pack package "
            f"({LIBRARY}.<pack>.<policy>)"
        )
    return pack_name(parts[1])


PolicyFunction = Callable[..., Any]


def policy(  # noqa: PLR0913 - keyword-only: the policy's metadata record, as CONTRIBUTING spells it
    *,
    id: str,
    description: str,
    severity: str,
    service: str,
    resource_types: Iterable[str] = (),
    controls: Iterable[Control] = (),
    remediation: str = "",
    config: dict[str, dict[str, Any]] | None = None,
    required_config: Iterable[str] = (),
    kind: str = "resource",
    applies_to: Callable[[str], bool] | None = None,
    judges: Callable[[Any, Any], Iterable[str]] | None = None,
) -> Callable[[PolicyFunction], PolicyFunction]:
    """Decorate a policy function to register it, with its metadata, in the pack its package
    defines; the function itself is returned unchanged, so tests call it directly.

    Resource policies are only called for ``resource_types`` (or types ``applies_to`` accepts);
    the function receives the SDK's ``args`` and ``report_violation``. A stack policy's
    ``resource_types`` are the types whose resources it judges (all of them, or those
    ``judges`` picks), which reports use to count its passes. The metadata is checked when the
    decorator is made, so a wrong id fails at import, naming the policy.
    """
    types = tuple(resource_types)
    if not ID_PATTERN.match(id) or not id.startswith(f"obsgov-{service}-"):
        raise ValueError(f"policy id {id} must read obsgov-{service}-<resource>-<rule>")
    if severity not in SEVERITIES:
        raise ValueError(f"policy {id}: severity {severity} is not one of {', '.join(SEVERITIES)}")
    if kind not in ("resource", "stack"):
        raise ValueError(f"policy {id}: kind {kind} is not resource or stack")

    def register(fn: PolicyFunction) -> PolicyFunction:
        if id in REGISTRY:
            raise ValueError(f"duplicate policy id {id}")
        spec = PolicySpec(
            id=id,
            pack=_pack_of(fn.__module__),
            description=description,
            severity=severity,
            service=service,
            kind=kind,
            validate=fn,
            module=fn.__module__,
            resource_types=types,
            controls=tuple(controls),
            remediation=remediation,
            config_properties=dict(config or {}),
            config_required=tuple(required_config),
            applies_to=applies_to,
            judges=judges,
        )
        if kind == "resource":
            spec = dataclasses.replace(spec, validate=_called_where_it_applies(spec, fn))
        REGISTRY[id] = spec
        return fn

    return register


def _called_where_it_applies(spec: PolicySpec, fn: PolicyFunction) -> PolicyFunction:
    """The SDK calls a resource policy for every resource; ``fn`` sees only its types."""

    @functools.wraps(fn)
    def validate(args: Any, report_violation: Any) -> Any:
        if spec.applies(args.resource_type):
            return fn(args, report_violation)
        return None

    return validate


def load_all() -> dict[str, PolicySpec]:
    """Import every policy module of every pack so that the registry is complete."""
    for pack in pack_table().values():
        package = importlib.import_module(pack.package)
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{pack.package}.{info.name}")
    return REGISTRY


def policies_for(pack: str) -> list[PolicySpec]:
    load_all()
    return sorted((s for s in REGISTRY.values() if s.pack == pack), key=lambda s: s.id)
