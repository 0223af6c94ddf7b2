"""One pack process driven through the Analyzer protocol's steps, as the engine drives it.

The steps, each a method of :class:`PackSession`:

* :meth:`~PackSession.configure`: ``GetAnalyzerInfo``; merge the config layers into one
  document and reconcile and validate it (:mod:`obsgov.gate.pack_config`); ``ConfigureStack``
  (unless the run is ``policy analyze --file``, which skips it) and ``Configure``.
* :meth:`~PackSession.remediate`: ``Remediate`` every resource; the returned properties replace
  the resource's inputs for every later call (``step_generator.go``, the remediation pass).
* :meth:`~PackSession.analyze`: ``Analyze`` every resource, a few calls in flight.
* :meth:`~PackSession.analyze_stack`: one ``AnalyzeStack`` with every live resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2 as proto

from obsgov.graph import STACK_TYPE, GraphResource, ResourceGraph, urn_type

from . import pack_config as cfg
from .floors import floor_errors
from .launch import GateOptions
from .plugin import AnalyzerPlugin, PackError
from .project import PolicyPackProject
from .requests import Requests
from .results import SEVERITIES, PackResult, PolicyConfigError, PolicyMeta, Remediation, Violation

# Analyze calls in flight per pack: enough to keep the pack's server busy while the next
# request travels; more only adds contention for the pack's GIL (measured: 1 -> 6.3 s,
# 4 -> 4.5 s, 16 -> 5.0 s for the security-baseline pack on 1,505 resources).
IN_FLIGHT = 4

# The display's order (pkg/backend/display/progress.go, enforcementRank and severityRank).
LEVEL_RANK = {"remediate": 0, "mandatory": 1, "advisory": 2, "disabled": 3}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}


def violation_order(violation: Violation) -> tuple:
    return (
        LEVEL_RANK.get(violation.level, 99),
        SEVERITY_RANK.get(violation.severity, 99),
        violation.policy,
        violation.urn,
    )


def pack_order(result: PackResult) -> str:
    """Packs are shown sorted by ``name@vversion`` (``printPolicies``)."""
    return f"{result.name or result.project.directory.name}@v{result.version}"


def stack_urn(graph: ResourceGraph) -> str:
    stack = next((r for r in graph.resources if r.type == STACK_TYPE), None)
    if stack is not None:
        return stack.urn
    return f"urn:pulumi:{graph.stack}::{graph.project}::{STACK_TYPE}::{graph.project}-{graph.stack}"


class PackSession:
    def __init__(
        self,
        plugin: AnalyzerPlugin,
        project: PolicyPackProject,
        graph: ResourceGraph,
        options: GateOptions,
        result: PackResult,
    ) -> None:
        self.plugin = plugin
        self.project = project
        self.graph = graph
        self.options = options
        self.result = result
        self.levels: dict[str, str] = {}
        self._severity: dict[str, str] = {}

    # ------------------------------------------------------------------ configure
    def configure(self, layers: Sequence[cfg.Layer]) -> None:
        info = self.plugin.call("GetAnalyzerInfo", empty_pb2.Empty())
        result = self.result
        result.name = info.name
        # The CLI prefers PulumiPolicy.yaml's version over the one the SDK reports (0.0.1).
        result.version = self.project.version or info.version

        schemas = cfg.policies_from_info(info)
        initial = cfg.initial_config_from_info(info)
        resolved = cfg.resolve_layers(layers, schemas)
        document = cfg.merge_layers(resolved, schemas, initial)
        reconciled = cfg.reconcile(schemas, initial, [document])
        errors = floor_errors(resolved, reconciled) + cfg.validate(schemas, reconciled)
        if errors:
            raise PolicyConfigError(
                [f"validating policy config: {result.name} {result.version}  {e}" for e in errors]
            )
        if any(not c.enforcement_level for c in reconciled.values()):
            # A name the pack does not have (``all`` included), given properties but no
            # level, keeps the empty level, which analyzer_plugin.go's Configure refuses and
            # update.go's loadPolicyPlugins reports so for a local pack.
            raise PolicyConfigError(
                [
                    f'configuring policy pack "{result.name}" at "{self.project.directory}": '
                    'invalid enforcement level ""'
                ]
            )
        for name in cfg.unknown_policy_names(document, schemas):
            result.warnings.append(
                f"policy config for {result.name} names {name!r}, which the pack does not have; "
                "it is ignored (as the Pulumi CLI ignores it)"
            )
        result.config = {
            name: {"enforcementLevel": c.enforcement_level, **(c.properties or {})}
            for name, c in sorted(reconciled.items())
            if name in {s.name for s in schemas}
        }
        self.levels = {name: c.enforcement_level or "advisory" for name, c in reconciled.items()}
        for policy in info.policies:
            framework = None
            if policy.HasField("framework"):
                framework = {
                    k: v for k, v in json_format.MessageToDict(policy.framework).items() if v
                }
            severity = SEVERITIES.get(policy.severity, "")
            self._severity[policy.name] = severity
            result.policies.append(
                PolicyMeta(
                    name=policy.name,
                    description=policy.description,
                    enforcement_level=self.levels.get(policy.name, "advisory"),
                    severity=severity,
                    policy_type="stack"
                    if policy.policy_type == proto.POLICY_TYPE_STACK
                    else "resource",
                    framework=framework,
                    remediation_steps=policy.remediation_steps,
                    url=policy.url,
                    tags=tuple(policy.tags),
                )
            )

        if self.options.configure_stack:
            request = proto.AnalyzerStackConfigureRequest(
                stack=self.graph.stack,
                project=self.graph.project,
                organization=self.options.organization,
                dry_run=self.graph.preview,
            )
            for key, value in self.options.stack_config.items():
                request.config[key] = value
            for key, value in self.options.stack_tags.items():
                request.tags[key] = value
            request.config_secret_keys.extend(self.options.stack_secret_keys)
            self.plugin.call("ConfigureStack", request)

        configure = proto.ConfigureAnalyzerRequest()
        for name, config in reconciled.items():
            entry = configure.policyConfig[name]
            entry.enforcementLevel = cfg.LEVEL_TO_PROTO[config.enforcement_level or "advisory"]
            if config.properties:
                entry.properties.update(config.properties)
        self.plugin.call("Configure", configure)

    def _enabled(self, kind: str) -> bool:
        return any(
            p.policy_type == kind and self.levels.get(p.name) != "disabled"
            for p in self.result.policies
        )

    @property
    def remediates(self) -> bool:
        """The engine calls Remediate for every pack; the Python SDK's servicer runs only
        policies at the remediate level (``Remediate`` in pulumi_policy/policy.py) and answers
        an empty response otherwise, so packs with none are not asked."""
        return any(level == "remediate" for level in self.levels.values())

    # ------------------------------------------------------------------ remediate
    def remediate(self, requests: Requests) -> None:
        pending: list[tuple[GraphResource, Any]] = []
        for resource in requests.analyzed():
            pending.append(
                (resource, self.plugin.call_async("Remediate", requests.analyze_request(resource)))
            )
            if len(pending) >= IN_FLIGHT:
                self._apply(requests, *pending.pop(0))
        while pending:
            self._apply(requests, *pending.pop(0))

    def _apply(self, requests: Requests, resource: GraphResource, future: Any) -> None:
        response = self.plugin.result("Remediate", future)
        result = self.result
        result.not_applicable += len(response.not_applicable)
        inputs = requests.inputs(resource)
        for remediation in response.remediations:
            if remediation.diagnostic:
                # A remediation that could not run (unknown values in preview) is shown as an
                # advisory violation (step_generator.go: OnPolicyViolation with Advisory).
                result.violations.append(
                    self._violation(
                        remediation.policyName,
                        remediation.description,
                        remediation.diagnostic,
                        "advisory",
                        self._severity.get(remediation.policyName, ""),
                        resource.urn,
                        "remediate",
                    )
                )
                continue
            changed = json_format.MessageToDict(remediation.properties)
            result.remediations.append(
                Remediation(
                    pack=result.name,
                    policy=remediation.policyName,
                    urn=resource.urn,
                    changes={k: v for k, v in changed.items() if inputs.get(k) != v},
                    diagnostic="",
                )
            )
            if self.options.apply_remediations:
                inputs = changed
                requests.remediate(resource, changed)

    # ------------------------------------------------------------------ analyze
    def analyze(self, requests: Requests) -> None:
        if not self._enabled("resource"):
            return
        pending: list[tuple[GraphResource, Any]] = []
        resources = requests.analyzed()
        for resource in resources:
            pending.append(
                (resource, self.plugin.call_async("Analyze", requests.analyze_request(resource)))
            )
            if len(pending) >= IN_FLIGHT:
                resource_done, future = pending.pop(0)
                self._record(self.plugin.result("Analyze", future), resource_done, "analyze")
        while pending:
            resource_done, future = pending.pop(0)
            self._record(self.plugin.result("Analyze", future), resource_done, "analyze")
        self.result.analyze_calls = len(resources)

    def analyze_stack(self, requests: Requests) -> None:
        if self._enabled("stack"):
            self._record(self.plugin.call("AnalyzeStack", requests.stack_request()), None, "stack")

    # ------------------------------------------------------------------ diagnostics
    def _record(self, response, resource: GraphResource | None, phase: str) -> None:
        for diag in response.diagnostics:
            if resource is not None:
                # analyzeResource (pkg/resource/deploy/analyze_snapshot.go), which preview and
                # --file both use, files an Analyze diagnostic under the analyzed resource,
                # whatever URN the pack named.
                urn = resource.urn
            elif diag.urn and self.graph.get(diag.urn) is not None:
                urn = diag.urn
            else:
                # resolveStackPolicyViolationURN: a stack diagnostic that names no resource of
                # the stack goes to the root stack.
                urn = stack_urn(self.graph)
            # The display fills a diagnostic's missing severity from the policy's metadata.
            severity = SEVERITIES.get(diag.severity, "") or self._severity.get(diag.policyName, "")
            level = cfg.LEVEL_FROM_PROTO.get(diag.enforcementLevel)
            if level == "remediate":
                # Both call sites downgrade it: a violation left after remediation (Analyze),
                # and a stack policy, which cannot remediate (AnalyzeStack).
                level = "mandatory"
            if level is None:
                # The CLI refuses such a response (sdk/go/common/resource/plugin/
                # analyzer_plugin.go, convertEnforcementLevel) and the run fails: fail closed.
                raise PackError(
                    f"policy pack {self.project.label} reported {diag.policyName!r} at "
                    f"enforcement level {diag.enforcementLevel}, which is none of advisory, "
                    "mandatory, disabled, remediate (the Pulumi CLI fails the run: invalid "
                    f"enforcement level {diag.enforcementLevel})"
                )
            self.result.violations.append(
                self._violation(
                    diag.policyName,
                    diag.description,
                    diag.message,
                    level,
                    severity,
                    urn,
                    phase,
                )
            )
        self.result.not_applicable += len(response.not_applicable)

    def _violation(
        self,
        policy: str,
        description: str,
        message: str,
        level: str,
        severity: str,
        urn: str,
        phase: str,
    ) -> Violation:
        target = self.graph.get(urn)
        return Violation(
            pack=self.result.name,
            pack_version=self.result.version,
            policy=policy,
            description=description,
            message=message,
            level=level,
            severity=severity,
            urn=urn,
            resource_type=target.type if target else urn_type(urn),
            resource_name=target.name if target else urn.rsplit("::", 1)[-1],
            phase=phase,
        )
