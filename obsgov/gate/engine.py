"""The engine side of a policy run: what ``pulumi preview --policy-pack`` does, offline.

For each pack: start it, ``GetAnalyzerInfo``, reconcile and validate its config,
``ConfigureStack``, ``Configure``, then ``Analyze`` every resource (inputs, options, provider),
``Remediate`` where a policy is at the remediate level (reported, never applied), and one
``AnalyzeStack`` with every resource and its parent, dependencies and property dependencies.
Packs run concurrently (each is its own process); the report order is deterministic.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto

from obsgov.graph import STACK_TYPE, GraphResource, ResourceGraph, urn_type

from . import config as cfg
from .plugin import AnalyzerPlugin, PackError
from .project import PolicyPackProject
from .results import (
    SEVERITIES,
    GateRun,
    PackResult,
    PolicyConfigError,
    PolicyMeta,
    Remediation,
    Violation,
)

# Analyze calls in flight per pack: enough to keep the pack's server busy while the next
# request travels; more only adds contention for the pack's GIL (measured: 1 -> 6.3 s,
# 4 -> 4.5 s, 16 -> 5.0 s for the security-baseline pack on 1,505 resources).
_IN_FLIGHT = 4


# --------------------------------------------------------------------------- wire helpers


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if props:
        message.update(props)
    return message


def _options(resource: GraphResource) -> proto.AnalyzerResourceOptions:
    options = proto.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        deleteBeforeReplace=bool(resource.delete_before_replace),
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        additionalSecretOutputs=resource.additional_secret_outputs,
        aliases=resource.aliases,
        parent=resource.parent or "",
    )
    if resource.custom_timeouts:
        options.customTimeouts.CopyFrom(proto.AnalyzerResourceOptions.CustomTimeouts(
            create=resource.custom_timeouts.get("create", 0),
            update=resource.custom_timeouts.get("update", 0),
            delete=resource.custom_timeouts.get("delete", 0),
        ))
    return options


class _Wire:
    """Per-run cache of the protobuf messages (the same provider is sent with many resources)."""

    def __init__(self, graph: ResourceGraph):
        self.graph = graph
        self._providers: dict[str, proto.AnalyzerProviderResource] = {}
        self._analyze: dict[str, proto.AnalyzeRequest] = {}
        self._stack: Optional[proto.AnalyzeStackRequest] = None
        self._lock = threading.Lock()

    def provider(self, resource: GraphResource) -> Optional[proto.AnalyzerProviderResource]:
        provider = self.graph.provider_of(resource)
        if provider is None:
            return None
        cached = self._providers.get(provider.urn)
        if cached is None:
            cached = proto.AnalyzerProviderResource(
                type=provider.type, properties=_struct(provider.inputs),
                urn=provider.urn, name=provider.name,
            )
            self._providers[provider.urn] = cached
        return cached

    def analyze_request(self, resource: GraphResource) -> proto.AnalyzeRequest:
        """Built once per resource and shared by every pack (packs only read requests)."""
        cached = self._analyze.get(resource.urn)
        if cached is None:
            with self._lock:
                cached = self._analyze.get(resource.urn)
                if cached is None:
                    cached = self._analyze[resource.urn] = self._build_analyze(resource)
        return cached

    def stack_request(self) -> proto.AnalyzeStackRequest:
        with self._lock:
            if self._stack is None:
                self._stack = proto.AnalyzeStackRequest(resources=[
                    self.stack_resource(r) for r in self.graph.resources if not r.pending_delete])
            return self._stack

    def _build_analyze(self, resource: GraphResource) -> proto.AnalyzeRequest:
        request = proto.AnalyzeRequest(
            type=resource.type, properties=_struct(resource.inputs), urn=resource.urn,
            name=resource.name, options=_options(resource),
        )
        provider = self.provider(resource)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def stack_resource(self, resource: GraphResource) -> proto.AnalyzerResource:
        message = proto.AnalyzerResource(
            type=resource.type,
            properties=_struct(resource.outputs or resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
            parent=resource.parent or "",
            dependencies=resource.dependencies,
        )
        for key, urns in resource.property_dependencies.items():
            message.propertyDependencies[key].urns.extend(urns)
        provider = self.provider(resource)
        if provider is not None:
            message.provider.CopyFrom(provider)
        return message


# --------------------------------------------------------------------------- running a pack


@dataclass
class GateOptions:
    stack_config: Mapping[str, str]
    organization: str = "organization"
    start_timeout: float = 60.0
    call_timeout: float = 300.0
    stack_tags: Mapping[str, str] = field(default_factory=dict)


def launch_pack(project: PolicyPackProject, stack: str, project_name: str, dry_run: bool,
                options: GateOptions) -> AnalyzerPlugin:
    return AnalyzerPlugin(
        project, stack=stack, project_name=project_name, organization=options.organization,
        dry_run=dry_run, config=options.stack_config, start_timeout=options.start_timeout,
        call_timeout=options.call_timeout,
    )


def run_pack(
    project: PolicyPackProject,
    graph: ResourceGraph,
    config_layers: Sequence[cfg.Layer],
    options: GateOptions,
    wire: Optional[_Wire] = None,
    launched: Optional[Callable[[], AnalyzerPlugin]] = None,
) -> PackResult:
    """Judge ``graph`` with one pack. ``launched`` hands over a pack process started earlier
    (see :class:`PackLauncher`); otherwise the pack is started here."""
    started = time.perf_counter()
    result = PackResult(project=project)
    wire = wire or _Wire(graph)
    try:
        plugin = launched() if launched is not None else launch_pack(
            project, graph.stack, graph.project, graph.preview, options)
        with plugin:
            _drive(plugin, project, graph, config_layers, options, wire, result)
    except PackError as exc:
        result.error = str(exc)
    result.seconds = time.perf_counter() - started
    return result


class PackLauncher:
    """Start pack processes in the background (while the program is being synthesized, say):
    a Python pack spends most of its start-up importing, on a core synthesis leaves idle."""

    def __init__(self, projects: Sequence[PolicyPackProject], *, stack: str, project_name: str,
                 dry_run: bool, options: GateOptions) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(projects)))
        self._futures = {
            p.directory: self._pool.submit(launch_pack, p, stack, project_name, dry_run, options)
            for p in projects
        }

    def take(self, project: PolicyPackProject) -> Callable[[], AnalyzerPlugin]:
        future = self._futures.pop(project.directory)
        return future.result

    def close(self) -> None:
        """Stop packs that were started but never taken (the run was cut short)."""
        for future in self._futures.values():
            try:
                future.result().close()
            except PackError:
                pass
        self._futures.clear()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> "PackLauncher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _drive(plugin, project, graph, config_layers, options, wire, result: PackResult) -> None:
    info = plugin.call("GetAnalyzerInfo", empty_pb2.Empty())
    result.name = info.name
    # The CLI prefers PulumiPolicy.yaml's version over the one the SDK reports (always 0.0.1).
    result.version = project.version or info.version

    schemas = cfg.policies_from_info(info)
    layers = cfg.resolve_layers(config_layers, schemas)
    reconciled = cfg.reconcile(schemas, cfg.initial_config_from_info(info), layers)
    errors = cfg.validate(schemas, reconciled)
    if errors:
        raise PolicyConfigError([
            f"validating policy config: {result.name} {result.version}  {e}" for e in errors
        ])
    result.config = {
        name: {"enforcementLevel": c.enforcement_level, **(c.properties or {})}
        for name, c in sorted(reconciled.items())
    }
    levels = {name: c.enforcement_level or "advisory" for name, c in reconciled.items()}
    for policy in info.policies:
        framework = None
        if policy.HasField("framework"):
            framework = {k: v for k, v in json_format.MessageToDict(policy.framework).items() if v}
        result.policies.append(PolicyMeta(
            name=policy.name, description=policy.description,
            enforcement_level=levels.get(policy.name, "advisory"),
            severity=SEVERITIES.get(policy.severity, ""),
            policy_type="stack" if policy.policy_type == proto.POLICY_TYPE_STACK else "resource",
            framework=framework, remediation_steps=policy.remediation_steps, url=policy.url,
            tags=tuple(policy.tags),
        ))

    configure_stack = proto.AnalyzerStackConfigureRequest(
        stack=graph.stack, project=graph.project, organization=options.organization,
        dry_run=graph.preview,
    )
    for key, value in options.stack_config.items():
        configure_stack.config[key] = value
    for key, value in options.stack_tags.items():
        configure_stack.tags[key] = value
    plugin.call("ConfigureStack", configure_stack)

    configure = proto.ConfigureAnalyzerRequest()
    for name, config in reconciled.items():
        entry = configure.policyConfig[name]
        entry.enforcementLevel = cfg.LEVEL_TO_PROTO[config.enforcement_level or "advisory"]
        if config.properties:
            entry.properties.update(config.properties)
    plugin.call("Configure", configure)

    def record(response, resource: Optional[GraphResource], phase: str) -> None:
        for diag in response.diagnostics:
            urn = diag.urn or (resource.urn if resource is not None else _stack_urn(graph))
            target = graph.get(urn)
            result.violations.append(Violation(
                pack=result.name, pack_version=result.version, policy=diag.policyName,
                description=diag.description, message=diag.message,
                level=cfg.LEVEL_FROM_PROTO.get(diag.enforcementLevel, "advisory"),
                severity=SEVERITIES.get(diag.severity, ""),
                urn=urn,
                resource_type=target.type if target else urn_type(urn),
                resource_name=target.name if target else urn.rsplit("::", 1)[-1],
                phase=phase,
            ))
        result.not_applicable += len(response.not_applicable)

    has_resource_policies = any(p.policy_type == "resource" and levels.get(p.name) != "disabled"
                                for p in result.policies)
    remediating = any(levels.get(p.name) == "remediate" for p in result.policies)
    resources = graph.resources

    if remediating:
        for resource in resources:
            response = plugin.call("Remediate", wire.analyze_request(resource))
            for remediation in response.remediations:
                changes = json_format.MessageToDict(remediation.properties)
                before = resource.inputs
                diff = {k: v for k, v in changes.items() if before.get(k) != v}
                result.remediations.append(Remediation(
                    pack=result.name, policy=remediation.policyName, urn=resource.urn,
                    changes=diff, diagnostic=remediation.diagnostic,
                ))

    if has_resource_policies:
        pending: list[tuple[GraphResource, Any]] = []
        for resource in resources:
            pending.append((resource, plugin.call_async("Analyze", wire.analyze_request(resource))))
            if len(pending) >= _IN_FLIGHT:
                _collect(plugin, pending.pop(0), record)
        while pending:
            _collect(plugin, pending.pop(0), record)
        result.analyze_calls = len(resources)

    if any(p.policy_type == "stack" and levels.get(p.name) != "disabled" for p in result.policies):
        record(plugin.call("AnalyzeStack", wire.stack_request()), None, "stack")


def _collect(plugin: AnalyzerPlugin, item, record) -> None:
    resource, future = item
    record(plugin.result("Analyze", future), resource, "analyze")


def _stack_urn(graph: ResourceGraph) -> str:
    stack = next((r for r in graph.resources if r.type == STACK_TYPE), None)
    if stack is not None:
        return stack.urn
    return f"urn:pulumi:{graph.stack}::{graph.project}::{STACK_TYPE}::{graph.project}-{graph.stack}"


# --------------------------------------------------------------------------- the gate


def run_gate(
    graph: ResourceGraph,
    packs: Sequence[tuple[PolicyPackProject, Sequence[cfg.Layer]]],
    options: GateOptions,
    max_workers: Optional[int] = None,
    launcher: Optional[PackLauncher] = None,
) -> GateRun:
    """Run every pack against ``graph``; results keep the order of ``packs``."""
    started = time.perf_counter()
    live = graph.__class__(
        project=graph.project, stack=graph.stack, preview=graph.preview,
        resources=[r for r in graph.resources if not r.pending_delete],
        accounts=graph.accounts, source=graph.source,
    )
    wire = _Wire(live)
    workers = max_workers or min(len(packs), 4) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_pack, project, live, layers, options, wire,
                               launcher.take(project) if launcher is not None else None)
                   for project, layers in packs]
        results = [f.result() for f in futures]
    return GateRun(graph=live, packs=results, seconds=time.perf_counter() - started)


def synthesize_and_gate(env, packs, options: GateOptions, preview: bool = True) -> GateRun:
    """What ``obsgov preview`` does: start the packs, synthesize meanwhile, then judge."""
    from obsgov.config.loader import PROJECT
    from obsgov.synth import synthesize

    with PackLauncher([p for p, _ in packs], stack=env.stack, project_name=PROJECT,
                      dry_run=preview, options=options) as launcher:
        graph = synthesize(env, preview=preview)
        return run_gate(graph, packs, options, launcher=launcher)
