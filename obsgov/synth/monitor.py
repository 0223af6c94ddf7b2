"""A mock resource monitor that records what the Pulumi engine would see.

The SDK's ``MockMonitor`` hands ``Mocks.new_resource`` only the type, name and inputs; parent,
dependencies and options are visible only on the gRPC request. ``RecordingMonitor`` captures them
at the monitor, fixes the URNs to the real engine's form (the SDK's mock puts the root stack's
type into child URNs and keeps only the parent's last type segment; the engine omits the root
stack and keeps the parent's full qualified type), and returns realistic outputs: ARNs and ids
built from the account and region of the resource's own provider. Invokes are answered by
:mod:`.invokes` from the calling provider's account and region; one without an answer is
unknown when the program asked for an ``Output`` (as the engine answers an invoke it cannot
run yet), empty otherwise (the SDK cannot hand a plain invoke an unknown), and counted.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.settings import get_project, get_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from obsgov.graph import (
    STACK_TYPE,
    UNKNOWN,
    GraphResource,
    account_from_assume_roles,
    split_provider_ref,
)

from .arns import arn_for, physical_name
from .invokes import InvokeAnswers
from .policy_document import PolicyDocumentError

AWS_PROVIDER_TYPE = "pulumi:providers:aws"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
DEFAULT_AWS_PROVIDER = "default_7_51_1"
UNKNOWN_ACCOUNT = "000000000000"

# Set while ``invoke_output`` schedules its invoke: the task it creates copies the context, and
# the SDK hands that context on to the thread that calls the monitor.
_OUTPUT_FORM: ContextVar[bool] = ContextVar("obsgov_output_form_invoke", default=False)
# the module, not the function ``pulumi.runtime.invoke`` its package exports under that name
sdk_invoke = importlib.import_module("pulumi.runtime.invoke")


@contextlib.contextmanager
def output_form_invokes() -> Iterator[None]:
    """Mark invokes made through ``invoke_output`` (``aws.get_x_output``) so the monitor may
    answer one it cannot answer with an unknown result, as the SDK allows there; a plain invoke
    (``aws.get_x``) must get a value. Generated SDKs call ``pulumi.runtime.invoke_output`` and
    ``invoke_output_single`` calls the module's own name: both are wrapped for the run."""
    import pulumi.runtime as runtime

    original = sdk_invoke.invoke_output

    def marked(*args: Any, **kwargs: Any) -> Any:
        token = _OUTPUT_FORM.set(True)
        try:
            return original(*args, **kwargs)
        finally:
            _OUTPUT_FORM.reset(token)

    for module in (runtime, sdk_invoke):
        setattr(module, "invoke_output", marked)  # noqa: B010 - typed stubs lack the name
    try:
        yield
    finally:
        for module in (runtime, sdk_invoke):
            setattr(module, "invoke_output", original)  # noqa: B010


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def timeout_seconds(text: str) -> float:
    """A custom timeout ("5m", "1h30m") in seconds, read as the engine reads it: Go's
    ``time.ParseDuration`` (``generateTimeoutInSeconds`` in pkg/resource/deploy/source_eval.go),
    failing in its words."""
    body = text[1:] if text[:1] in "+-" else text
    parts = _DURATION_PART.findall(body)
    if body != "0" and (not parts or "".join(n + u for n, u in parts) != body):
        raise ValueError(f"unable to parse customTimeout Value {text}")
    seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    return -seconds if text.startswith("-") else seconds


def custom_timeouts(given: resource_pb2.RegisterResourceRequest.CustomTimeouts) -> dict[str, float]:
    """The timeouts a program set, in seconds (strings on the wire, as the SDK sends them)."""
    return {
        name: timeout_seconds(text)
        for name, text in (
            ("create", given.create),
            ("update", given.update),
            ("delete", given.delete),
        )
        if text
    }


def _type_and_name(urn: str) -> tuple[str, str]:
    """A URN's own type (the last segment of its qualified type) and its name."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1], parts[3]


class RecordingMonitor(mocks.MockMonitor):
    def __init__(
        self,
        preview: bool,
        default_region: str,
        mock_impl: ObsgovMocks,
        provider_config: Mapping[str, str] | None = None,
    ) -> None:
        """``provider_config`` is the stack's ``aws:*`` config without its namespace: the
        engine configures the default provider from it."""
        super().__init__(mock_impl)
        mock_impl.monitor = self
        self.mock_impl = mock_impl
        self.preview = preview
        self.default_region = default_region
        self.provider_config = dict(provider_config or {})
        self.default_account = account_from_assume_roles(self.provider_config.get("assumeRoles"))
        self.records: dict[str, GraphResource] = {}
        self.provider_account: dict[str, str | None] = {}
        self.provider_region: dict[str, str] = {}
        self._stack_urn: str | None = None
        # URN -> the alias under which the engine finds the resource in the deployed state
        self._matched_alias: dict[str, str] = {}

    # ------------------------------------------------------------------ URNs
    def make_urn(
        self,
        parent: str,
        type_: str,
        name: str,
        *,
        stack: str | None = None,
        project: str | None = None,
    ) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join(
            [stack or get_stack(), project or get_project(), qualified, name]
        )

    def alias_urns(self, request: Any, urn: str) -> list[str]:
        """The alias URNs the engine derives for a registration, in its order
        (``generateAliases`` in pkg/resource/deploy/step_generator.go): each alias of the
        request (a URN, or a spec completed from the resource's own name, type, parent, project
        and stack, as ``collapseAliasToUrn`` does), then the aliases a child inherits from the
        alias its parent was found under (``inheritedChildAlias``: the parent's old qualified
        type, and the parent's old name in place of its new one where the child's name starts
        with it). The SDK sends a child none of these: with alias specs the engine works them
        out. A resource with aliases is taken to be found in the deployed state under its first
        one, as it is when the alias names what was deployed; its children inherit that."""
        own: list[str] = []
        for alias in request.aliases:
            if alias.urn:
                own.append(alias.urn)
                continue
            spec = alias.spec
            if spec.noParent:
                parent = ""
            elif spec.parentUrn:
                parent = self._matched_alias.get(spec.parentUrn, spec.parentUrn)
            else:
                parent = request.parent
            own.append(
                self.make_urn(
                    parent,
                    spec.type or request.type,
                    spec.name or request.name,
                    stack=spec.stack or None,
                    project=spec.project or None,
                )
            )
        found = list(dict.fromkeys(own))
        parent_alias = self._matched_alias.get(request.parent)
        if parent_alias is not None:
            parent_name = request.parent.split("::", 3)[3]
            for type_, name in [(request.type, request.name), *map(_type_and_name, own)]:
                if name.startswith(parent_name):
                    name = parent_alias.split("::", 3)[3] + name[len(parent_name) :]
                inherited = "urn:pulumi:" + "::".join(
                    [get_stack(), get_project(), f"{parent_alias.split('::')[2]}${type_}", name]
                )
                if inherited not in found:
                    found.append(inherited)
        if found:
            self._matched_alias[urn] = found[0]
        return found

    # ------------------------------------------------------------------ accounts
    def account_of_ref(self, provider_ref: str) -> tuple[str | None, str]:
        if not provider_ref:  # the default provider, configured from the stack's aws:* keys
            return self.default_account, self.default_region
        urn, _ = split_provider_ref(provider_ref)
        return (
            self.provider_account.get(urn, self.default_account),
            self.provider_region.get(urn, self.default_region),
        )

    def _default_provider_ref(self) -> str:
        urn = "urn:pulumi:" + "::".join(
            [get_stack(), get_project(), AWS_PROVIDER_TYPE, DEFAULT_AWS_PROVIDER]
        )
        if urn not in self.records:
            # The engine creates a default provider for resources that name none, configured
            # from the stack's aws:* keys; with no role to assume it uses the ambient
            # credentials, so its account is unknown offline.
            inputs = {"region": self.default_region, **self.provider_config}
            self.records[urn] = GraphResource(
                urn=urn,
                type=AWS_PROVIDER_TYPE,
                name=DEFAULT_AWS_PROVIDER,
                custom=True,
                inputs=inputs,
                outputs=dict(inputs),
                id=UNKNOWN,
                parent=self._stack_urn,
                account=self.default_account,
                region=self.default_region,
            )
            self.provider_account[urn] = self.default_account
            self.provider_region[urn] = self.default_region
        return f"{urn}::{UNKNOWN}"

    # ------------------------------------------------------------------ registration
    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = json_format.MessageToDict(request.object)
        provider_ref = request.provider or None
        if request.type == AWS_PROVIDER_TYPE:
            self.provider_account[urn] = account_from_assume_roles(inputs.get("assumeRoles"))
            self.provider_region[urn] = inputs.get("region") or self.default_region
        elif request.custom and not provider_ref and request.type.startswith("aws:"):
            provider_ref = self._default_provider_ref()

        if request.type == STACK_TYPE:
            self._stack_urn = urn
            response = resource_pb2.RegisterResourceResponse(urn=urn)
            state: dict[str, Any] = {}
            resource_id = None
        else:
            response = super().RegisterResource(request)
            state = json_format.MessageToDict(response.object)
            resource_id = response.id or None

        if request.type == AWS_PROVIDER_TYPE:
            account, region = self.provider_account[urn], self.provider_region[urn]
        elif request.custom:
            account, region = self.account_of_ref(provider_ref or "")
        else:
            account, region = None, None

        self.records[urn] = GraphResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            inputs=inputs,
            outputs=state,
            id=resource_id if request.custom else None,
            parent=request.parent or None,
            provider=provider_ref,
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                k: sorted(set(v.urns)) for k, v in sorted(request.propertyDependencies.items())
            },
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=(
                request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
            ),
            aliases=sorted(self.alias_urns(request, urn)),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            custom_timeouts=custom_timeouts(request.customTimeouts),
            account=account,
            region=region,
        )
        return response

    def GetDeploymentInfo(self, request):  # noqa: N802
        # The engine gates an output-form invoke on its dependencies (below); without the
        # feature the SDK gates it itself and calls any invoke unknown that waits on a resource
        # whose id is unknown, even a StackReference, which the engine would read first.
        info = super().GetDeploymentInfo(request)
        info.supportedFeatures.append(resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON)
        return info

    def _pending(self, urns) -> bool:
        """Whether any of ``urns`` is a resource ``pulumi preview`` would still be creating:
        the engine declines such an invoke and its result is wholly unknown."""
        if not self.preview:
            return False
        for urn in urns:
            record = self.records.get(urn)
            if record is not None and record.custom and not record.is_provider:
                return True
        return False

    def Invoke(self, request):  # noqa: N802
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        if self._pending(request.dependsOn):
            return resource_pb2.ResourceInvokeResponse(unknown=True)
        _ensure_event_loop()  # deserializing resource references needs a loop
        args = rpc.deserialize_properties(request.args)
        try:
            answer = self.mock_impl.answer(request.tok, args, request.provider)
        except (PolicyDocumentError, ValueError) as exc:
            # what the provider would fail the invoke with; the SDK raises it in the program
            failure = provider_pb2.CheckFailure(property="", reason=str(exc))
            return resource_pb2.ResourceInvokeResponse(failures=[failure])
        if answer is None:
            if _OUTPUT_FORM.get():
                return resource_pb2.ResourceInvokeResponse(unknown=True)
            answer = {}
        result = _sync_await(rpc.serialize_properties(answer, {}))
        return resource_pb2.ResourceInvokeResponse(**{"return": result})

    def RegisterResourceOutputs(self, request):  # noqa: N802
        record = self.records.get(request.urn)
        if record is not None and not record.custom:
            record.outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


class ObsgovMocks(mocks.Mocks):
    """Outputs shaped like AWS's: built from the resource's account, region and name."""

    monitor: RecordingMonitor

    def __init__(self, project: str, stack: str) -> None:
        self.project = project
        self.stack = stack
        self.invokes = InvokeAnswers()
        # name -> outputs of the stacks StackReferences may read (``pulumi stack output --json``)
        self.stack_outputs: dict[str, Any] = {}
        # name -> whether its outputs were given; StackReferences are reads, never registered
        self.stack_references: dict[str, bool] = {}

    def new_resource(self, args: mocks.MockResourceArgs):
        if args.typ == STACK_REFERENCE_TYPE:  # a read: the SDK's mock leaves custom unset
            return self._stack_reference(args)
        if not args.custom:
            return "", {}
        seed = f"{self.stack}/{args.typ}/{args.name}"
        if args.typ.startswith("pulumi:providers:"):
            if self.monitor.preview:
                return UNKNOWN, dict(args.inputs)
            return str(uuid.uuid5(uuid.NAMESPACE_URL, seed)), dict(args.inputs)
        state = dict(args.inputs)
        if self.monitor.preview:
            # `pulumi preview` knows only the inputs of a resource it is about to create: every
            # computed output (arn, id, ...) stays unknown, and the SDK resolves it as such.
            return "", state
        # The provider comes with the request: the SDK registers resources from several
        # threads at once, so nothing shared may carry it from RegisterResource to here.
        provider_ref = args.provider or (
            self.monitor._default_provider_ref() if args.typ.startswith("aws:") else ""
        )
        account, region = self.monitor.account_of_ref(provider_ref)
        account = account or UNKNOWN_ACCOUNT
        name = physical_name(args.typ, args.name, args.inputs, seed)
        arn, resource_id = arn_for(args.typ, name, account, region, seed)
        state.setdefault("arn", arn)
        state.setdefault("name", name)
        if args.typ == "aws:kms/key:Key":
            state["keyId"] = resource_id
        if "tags" in args.inputs or _provider_tags(self.monitor, provider_ref):
            merged = dict(_provider_tags(self.monitor, provider_ref))
            merged.update(args.inputs.get("tags") or {})
            state["tagsAll"] = merged
        return resource_id, state

    def _stack_reference(self, args: mocks.MockResourceArgs):
        """A referenced stack's outputs as given; without them unknown in preview (the SDK
        cannot take an unknown after an update, so there they are empty)."""
        name = str(args.inputs.get("name") or args.name)
        outputs = self.stack_outputs.get(name)
        self.stack_references[name] = outputs is not None
        if outputs is None:
            outputs = UNKNOWN if self.monitor.preview else {}
        return name, {"name": name, "outputs": outputs, "secretOutputNames": []}

    def answer(
        self, token: str, args: Mapping[str, Any], provider_ref: str
    ) -> dict[str, Any] | None:
        """The invoke's realistic answer from the calling provider's account and region, or
        None (counted by token) when there is none."""
        account, region = self.monitor.account_of_ref(provider_ref)
        return self.invokes.answer(token, args, account or UNKNOWN_ACCOUNT, region)

    def call(self, args: mocks.MockCallArgs):
        return self.answer(args.token, args.args, args.provider) or {}


def _provider_tags(monitor: RecordingMonitor, provider_ref: str) -> dict[str, str]:
    urn, _ = split_provider_ref(provider_ref) if provider_ref else ("", "")
    record = monitor.records.get(urn)
    if record is None:
        return {}
    raw = record.inputs.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return dict((raw or {}).get("tags") or {})
