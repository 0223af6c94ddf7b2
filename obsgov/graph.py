"""The resource graph of one stack, as ``pulumi preview`` would see it.

Produced by the offline synthesizer (``obsgov.synth``) or read from a ``pulumi stack export``
file; consumed by the policy gate, the reports and the tests. Property values are kept in the
engine's wire form (what a policy pack receives over gRPC): unknown values are the engine's
unknown sentinel and secrets are signature objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from obsgov_policies.props import assumed_account

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
STACK_TYPE = "pulumi:pulumi:Stack"
GRAPH_FORMAT_VERSION = 1


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def plain(value: Any) -> Any:
    """Strip secret wrappers (keeping unknowns) so values can be read in Python."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def split_provider_ref(ref: str) -> tuple[str, str]:
    """A provider reference is ``<provider urn>::<provider id>``."""
    urn, _, provider_id = ref.rpartition("::")
    return urn, provider_id


def account_from_assume_roles(assume_roles: Any) -> str | None:
    """The account of an AWS provider's first assumed role (None when none names one); read as
    the policy packs read it, so the graph and the packs never disagree on an account."""
    return assumed_account(assume_roles) or None


def urn_type(urn: str) -> str:
    """The resource's own type token (last segment of the qualified type); empty for a
    malformed URN."""
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


def is_valid_urn(urn: Any) -> bool:
    """The engine's test (``URN.IsValid``, sdk/go/common/resource/urn/urn.go): the
    ``urn:pulumi:`` prefix and at least three ``::`` delimiters."""
    return isinstance(urn, str) and urn.startswith("urn:pulumi:") and urn.count("::") >= 3


@dataclass
class GraphResource:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    parent: str | None = None
    provider: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    aliases: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    custom_timeouts: dict[str, float] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    pending_delete: bool = False
    # read with ``.get()`` or a StackReference: in AnalyzeStack only, as the engine keeps it
    read: bool = False
    # a multi-language component: its children are built by its provider, not the program
    remote: bool = False
    # the import resource option (adopt an existing resource by this id) and retainOnDelete;
    # the Analyzer protocol carries neither, so the packs never see them
    import_id: str | None = None
    retain_on_delete: bool = False

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def provider_urn(self) -> str | None:
        return split_provider_ref(self.provider)[0] if self.provider else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ResourceGraph:
    project: str
    stack: str
    preview: bool
    resources: list[GraphResource]
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> display name
    source: str = "synth"
    # Invokes the synthesizer could not answer, and those it answered with values only AWS
    # knows (derived instead), by token: the verdicts that rest on guesses.
    unanswered_invokes: dict[str, int] = field(default_factory=dict)
    derived_invokes: dict[str, int] = field(default_factory=dict)
    # StackReference name -> whether its outputs were given (else they are unknown)
    stack_references: dict[str, bool] = field(default_factory=dict)
    # URN -> "file:line" of the program's own code that made the resource (team projects)
    sources: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ lookups
    @cached_property
    def by_urn(self) -> dict[str, GraphResource]:
        return {r.urn: r for r in self.resources}

    def __iter__(self) -> Iterator[GraphResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, urn: str) -> GraphResource | None:
        return self.by_urn.get(urn)

    def of_type(self, *types: str) -> list[GraphResource]:
        return [r for r in self.resources if r.type in types]

    def custom_resources(self) -> list[GraphResource]:
        return [r for r in self.resources if r.custom and not r.is_provider]

    def providers(self) -> list[GraphResource]:
        return [r for r in self.resources if r.is_provider]

    def components(self) -> list[GraphResource]:
        return [r for r in self.resources if not r.custom and r.type != STACK_TYPE]

    def provider_of(self, resource: GraphResource) -> GraphResource | None:
        urn = resource.provider_urn
        return self.by_urn.get(urn) if urn else None

    def in_account(self, account_id: str) -> list[GraphResource]:
        return [r for r in self.custom_resources() if r.account == account_id]

    def component_of(self, resource: GraphResource) -> GraphResource | None:
        """The nearest enclosing component (not the root stack)."""
        parent = self.by_urn.get(resource.parent) if resource.parent else None
        while parent is not None:
            if not parent.custom and parent.type != STACK_TYPE:
                return parent
            parent = self.by_urn.get(parent.parent) if parent.parent else None
        return None

    def in_component(self, name: str) -> list[GraphResource]:
        out = []
        for resource in self.custom_resources():
            component = self.component_of(resource)
            while component is not None:
                if component.name == name:
                    out.append(resource)
                    break
                component = self.component_of(component)
        return out

    def children(self, urn: str) -> list[GraphResource]:
        return [r for r in self.resources if r.parent == urn]

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "formatVersion": GRAPH_FORMAT_VERSION,
            "project": self.project,
            "stack": self.stack,
            "preview": self.preview,
            "source": self.source,
            "accounts": dict(sorted(self.accounts.items())),
            "resources": [r.to_dict() for r in self.resources],
        }
        # only when there are some, so a graph without invokes reads as it always has
        if self.unanswered_invokes:
            data["unansweredInvokes"] = dict(sorted(self.unanswered_invokes.items()))
        if self.derived_invokes:
            data["derivedInvokes"] = dict(sorted(self.derived_invokes.items()))
        if self.stack_references:
            data["stackReferences"] = dict(sorted(self.stack_references.items()))
        if self.sources:
            data["sources"] = dict(sorted(self.sources.items()))
        return data

    def to_json(self) -> str:
        """Deterministic: same graph, byte-identical text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write_json(self, path: Path) -> None:
        # imported here: the team program's host process reads graphs without obsgov's
        # file layer (and its YAML dependency) installed
        from obsgov.io import write_atomic

        write_atomic(path, self.to_json())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceGraph:
        resources = [GraphResource(**r) for r in data["resources"]]
        return cls(
            project=data["project"],
            stack=data["stack"],
            preview=data["preview"],
            resources=resources,
            accounts=data.get("accounts", {}),
            source=data.get("source", "synth"),
            unanswered_invokes=dict(data.get("unansweredInvokes", {})),
            derived_invokes=dict(data.get("derivedInvokes", {})),
            stack_references=dict(data.get("stackReferences", {})),
            sources=dict(data.get("sources", {})),
        )


def sort_resources(resources: Iterable[GraphResource]) -> list[GraphResource]:
    """Stack first, then parents before children, siblings by URN: stable across runs."""
    items = list(resources)
    by_parent: dict[str | None, list[GraphResource]] = {}
    urns = {r.urn for r in items}
    for r in items:
        key = r.parent if r.parent in urns else None
        by_parent.setdefault(key, []).append(r)
    out: list[GraphResource] = []

    def visit(parent: str | None) -> None:
        for child in sorted(by_parent.get(parent, []), key=lambda r: (r.type != STACK_TYPE, r.urn)):
            out.append(child)
            visit(child.urn)

    visit(None)
    return out
