"""The Analyzer requests the engine would send, built once per run and shared by every pack.

``Analyze`` and ``Remediate`` get a resource's inputs (after any remediation), its options and
its provider; ``AnalyzeStack`` gets every live resource's outputs with parent, dependencies
and property dependencies (``pkg/resource/deploy/step_generator.go``, ``analyzeAll`` and
``AnalyzeStack``). In preview the engine hands ``AnalyzeStack`` the provider's preview
outputs, where computed properties are unknown: :func:`preview_outputs` reproduces that.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto

from obsgov.graph import UNKNOWN, GraphResource, ResourceGraph
from obsgov.synth.provider_check import computed_outputs, output_names

__all__ = ["Requests", "output_names", "preview_outputs", "resource_options", "to_struct"]


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if props:
        message.update(props)
    return message


def resource_options(resource: GraphResource) -> proto.AnalyzerResourceOptions:
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
        options.customTimeouts.CopyFrom(
            proto.AnalyzerResourceOptions.CustomTimeouts(
                create=resource.custom_timeouts.get("create", 0),
                update=resource.custom_timeouts.get("update", 0),
                delete=resource.custom_timeouts.get("delete", 0),
            )
        )
    return options


def preview_outputs(resource: GraphResource) -> dict[str, Any]:
    """What ``AnalyzeStack`` sees for ``resource`` in preview: for a custom resource being
    created, the provider's preview returns its checked inputs (generated name and
    ``tagsAll`` included) with every output the provider computes unknown (an ``arn`` or
    ``id`` is not known before ``Create``); an optional input the program left unset is null,
    not unknown (:func:`obsgov.synth.provider_check.computed_outputs`). A resource read with
    ``.get()`` already exists: its outputs are what was read."""
    outputs = dict(resource.outputs or resource.inputs)
    if not resource.custom or resource.is_provider or resource.read:
        return outputs
    for name in computed_outputs(resource.type):
        if name not in resource.inputs:
            outputs[name] = UNKNOWN
    return outputs


class Requests:
    """Per-run cache of the protobuf messages (the same provider is sent with many resources).

    ``remediate`` replaces a resource's inputs with what a pack's remediation returned; later
    requests for that resource carry the new inputs, as the engine's do."""

    def __init__(self, graph: ResourceGraph):
        self.graph = graph
        self._providers: dict[str, proto.AnalyzerProviderResource] = {}
        self._analyze: dict[str, proto.AnalyzeRequest] = {}
        self._stack: proto.AnalyzeStackRequest | None = None
        self._inputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def analyzed(self) -> list[GraphResource]:
        """The resources ``Analyze`` and ``Remediate`` are called for: every registered one,
        not those read with ``.get()`` or StackReferences (reads make no registration step,
        ``GenerateReadSteps`` in step_generator.go), which only ``AnalyzeStack`` sees."""
        return [r for r in self.graph.resources if not r.read]

    def inputs(self, resource: GraphResource) -> dict[str, Any]:
        return self._inputs.get(resource.urn, resource.inputs)

    def remediate(self, resource: GraphResource, inputs: dict[str, Any]) -> None:
        with self._lock:
            self._inputs[resource.urn] = inputs
            self._analyze.pop(resource.urn, None)
            self._stack = None

    def provider(self, resource: GraphResource) -> proto.AnalyzerProviderResource | None:
        provider = self.graph.provider_of(resource)
        if provider is None:
            return None
        cached = self._providers.get(provider.urn)
        if cached is None:
            cached = proto.AnalyzerProviderResource(
                type=provider.type,
                properties=to_struct(provider.inputs),
                urn=provider.urn,
                name=provider.name,
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
                self._stack = proto.AnalyzeStackRequest(
                    resources=[
                        self.stack_resource(r) for r in self.graph.resources if not r.pending_delete
                    ]
                )
            return self._stack

    def _build_analyze(self, resource: GraphResource) -> proto.AnalyzeRequest:
        request = proto.AnalyzeRequest(
            type=resource.type,
            properties=to_struct(self.inputs(resource)),
            urn=resource.urn,
            name=resource.name,
            options=resource_options(resource),
        )
        provider = self.provider(resource)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return request

    def stack_properties(self, resource: GraphResource) -> dict[str, Any]:
        props = (
            preview_outputs(resource)
            if self.graph.preview
            else dict(resource.outputs or resource.inputs)
        )
        remediated = self._inputs.get(resource.urn)
        if remediated is not None:
            # The provider computes outputs from the remediated inputs.
            for key in resource.inputs:
                if key not in remediated:
                    props.pop(key, None)
            props.update(remediated)
        return props

    def stack_resource(self, resource: GraphResource) -> proto.AnalyzerResource:
        message = proto.AnalyzerResource(
            type=resource.type,
            properties=to_struct(self.stack_properties(resource)),
            urn=resource.urn,
            name=resource.name,
            options=resource_options(resource),
            parent=resource.parent or "",
            dependencies=resource.dependencies,
        )
        for key, urns in resource.property_dependencies.items():
            message.propertyDependencies[key].urns.extend(urns)
        provider = self.provider(resource)
        if provider is not None:
            message.provider.CopyFrom(provider)
        return message


# The name benchmarks/gate.py and older callers know.
_Wire = Requests
