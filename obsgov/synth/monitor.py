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
    RESOURCE_SIG,
    SIG_KEY,
    STACK_TYPE,
    UNKNOWN,
    GraphResource,
    account_from_assume_roles,
    split_provider_ref,
)

from .arns import arn_for, physical_name
from .invokes import InvokeAnswers
from .policy_document import PolicyDocumentError
from .provider_check import check as provider_check

AWS_PROVIDER_TYPE = "pulumi:providers:aws"
# pulumi-aws-native: configured like pulumi-aws, but ``assumeRole`` is one role, not a list
AWS_NATIVE_PROVIDER_TYPE = "pulumi:providers:aws-native"
PROVIDER_PREFIX = "pulumi:providers:"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
DEFAULT_AWS_PROVIDER = "default_7_51_1"
UNKNOWN_ACCOUNT = "000000000000"


def engine_value(value: Any) -> Any:
    """``value`` with every resource reference in the form the engine passes on: a custom
    resource's ID (unknown while the ID is), a component's URN. The monitor receives
    references, but providers and packs are sent properties marshalled without
    ``KeepResources`` (``MarshalPropertyValue`` and ``UnmarshalPropertyValue`` in
    sdk/go/common/resource/plugin/rpc.go; ``analyzer_plugin.go`` marshals with
    ``KeepUnknowns`` and ``KeepSecrets`` only). Turning them into plain values before the SDK's
    mock deserializes them also keeps it from rebuilding resource objects on the monitor's
    thread, whose futures belong to another event loop."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            if "id" in value:
                ident = value.get("id")
                return ident if isinstance(ident, str) and ident and ident != UNKNOWN else UNKNOWN
            urn = value.get("urn")
            return urn if isinstance(urn, str) else UNKNOWN
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    return value


def _struct_dict(message: Any) -> dict[str, Any]:
    return engine_value(json_format.MessageToDict(message))


def _with_struct(request: Any, name: str, value: Mapping[str, Any]) -> Any:
    """A copy of ``request`` whose Struct field ``name`` holds ``value``."""
    copy = type(request)()
    copy.CopyFrom(request)
    field = getattr(copy, name)
    field.Clear()
    if value:
        field.update(value)
    return copy


def default_provider_name(version: str) -> str:
    """``ProviderRequest.DefaultName`` (pkg/resource/deploy/providers/provider.go):
    ``default``, then the version's parts joined by underscores."""
    if not version:
        return "default"
    core, _, build = version.partition("+")
    core, _, pre = core.partition("-")
    parts = ["default", *core.split(".")]
    parts += [p for p in pre.split(".") if p] if pre else []
    parts += [p for p in build.split(".") if p] if build else []
    return "_".join(parts)


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
        config: Mapping[str, str] | None = None,
    ) -> None:
        """``provider_config`` is the stack's ``aws:*`` config without its namespace, ``config``
        the whole stack config: the engine configures each package's default provider from
        the package's keys."""
        super().__init__(mock_impl)
        mock_impl.monitor = self
        self.mock_impl = mock_impl
        self.preview = preview
        self.default_region = default_region
        self.provider_config = dict(provider_config or {})
        self.config = dict(config or {})
        # the version pulumi-aws resources asked for: its default provider's name
        self._versions: dict[str, str] = {}
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

    def package_config(self, package: str) -> dict[str, str]:
        """The package's config keys without their namespace (``GetPackageConfig``)."""
        if package == "aws":
            return {
                **{k[4:]: v for k, v in self.config.items() if k.startswith("aws:")},
                **self.provider_config,
            }
        prefix = f"{package}:"
        return {k[len(prefix) :]: v for k, v in self.config.items() if k.startswith(prefix)}

    def _default_provider_ref(self, package: str = "aws", version: str = "") -> str:
        """The default provider the engine registers for ``package`` at ``version``
        (``newRegisterDefaultProviderEvent`` in pkg/resource/deploy/default_providers.go): the
        package's config as inputs plus ``version``, named ``default_<version>``."""
        if package == "aws" and not version:
            version = self._versions.get("aws", "")
        name = (
            default_provider_name(version)
            if version
            else (DEFAULT_AWS_PROVIDER if package == "aws" else "default")
        )
        provider_type = PROVIDER_PREFIX + package
        urn = "urn:pulumi:" + "::".join([get_stack(), get_project(), provider_type, name])
        if urn not in self.records:
            inputs: dict[str, Any] = self.package_config(package)
            account: str | None = None
            region: str | None = None
            if package == "aws":
                # With no role to assume the provider uses the ambient credentials, so its
                # account is unknown offline.
                inputs = {"region": self.default_region, **inputs}
                account, region = self.default_account, self.default_region
                self.provider_account[urn] = account
                self.provider_region[urn] = region
            if version:
                inputs["version"] = version
            self.records[urn] = GraphResource(
                urn=urn,
                type=provider_type,
                name=name,
                custom=True,
                inputs=inputs,
                outputs=dict(inputs),
                id=UNKNOWN,
                parent=self._stack_urn,
                account=account,
                region=region,
            )
        return f"{urn}::{UNKNOWN}"

    def _provider_for(self, request: Any) -> str | None:
        """The provider reference a custom resource or invoke is served by: its own, else its
        package's default provider (the builtin ``pulumi`` package's for StackReferences)."""
        if request.provider:
            return request.provider
        token = getattr(request, "type", "") or getattr(request, "tok", "")
        package = token.split(":", 1)[0]
        if not package or token.startswith(PROVIDER_PREFIX):
            return None
        if package == "pulumi" and token != STACK_REFERENCE_TYPE:
            return None
        version = getattr(request, "version", "") or ""
        if package == "aws" and version:
            self._versions.setdefault("aws", version)
        return self._default_provider_ref(package, version)

    # ------------------------------------------------------------------ registration
    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = _struct_dict(request.object)
        provider_ref: str | None = request.provider or None
        if request.type == AWS_PROVIDER_TYPE:
            if request.version:
                # registerResource (source_eval.go) gives an explicit provider its version
                inputs.setdefault("version", request.version)
            self.provider_account[urn] = account_from_assume_roles(inputs.get("assumeRoles"))
            self.provider_region[urn] = inputs.get("region") or self.default_region
        elif request.type == AWS_NATIVE_PROVIDER_TYPE:
            if request.version:
                inputs.setdefault("version", request.version)
            self.provider_account[urn] = account_from_assume_roles(inputs.get("assumeRole"))
            self.provider_region[urn] = inputs.get("region") or self.default_region
        elif request.type.startswith(PROVIDER_PREFIX):
            if request.version:
                inputs.setdefault("version", request.version)
        elif getattr(request, "remote", False):
            # the engine asks the package's provider to Construct it (a default one if none)
            provider_ref = self._provider_for(request)
        elif request.custom:
            provider_ref = self._provider_for(request)
            inputs = provider_check(
                request.type,
                request.name,
                inputs,
                _default_tags(self, provider_ref or ""),
                f"{get_stack()}/{request.type}/{request.name}",
            )
        request = _with_struct(request, "object", inputs)

        if request.type == STACK_TYPE:
            self._stack_urn = urn
            response = resource_pb2.RegisterResourceResponse(urn=urn)
            state: dict[str, Any] = {}
            resource_id = None
        else:
            response = super().RegisterResource(request)
            state = json_format.MessageToDict(response.object)
            resource_id = response.id or None

        if request.type in (AWS_PROVIDER_TYPE, AWS_NATIVE_PROVIDER_TYPE):
            account, region = self.provider_account[urn], self.provider_region[urn]
        elif request.custom and not request.type.startswith(PROVIDER_PREFIX):
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
            remote=bool(getattr(request, "remote", False)),
        )
        return response

    def ReadResource(self, request):  # noqa: N802
        """``Resource.get`` and StackReference: the engine reads the resource (in preview
        too) and keeps it in the stack, so AnalyzeStack sees it; Analyze does not (reads make
        no registration step, ``GenerateReadSteps`` in step_generator.go)."""
        urn = self.make_urn(request.parent, request.type, request.name)
        properties = _struct_dict(request.properties)
        provider_ref = self._provider_for(request)
        _ensure_event_loop()
        args = mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=rpc.deserialize_properties(
                _with_struct(request, "properties", properties).properties
            ),
            provider=provider_ref or "",
            resource_id=request.id,
            custom=True,
        )
        resource_id, state = self.mock_impl.read_resource(args)
        wire = _sync_await(rpc.serialize_properties(state, {}))
        account, region = self.account_of_ref(provider_ref or "")
        self.records[urn] = GraphResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=True,
            inputs=properties,
            outputs=engine_value(json_format.MessageToDict(wire)),
            id=resource_id or request.id,
            parent=request.parent or self._stack_urn,
            provider=provider_ref,
            dependencies=sorted(set(request.dependencies)),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            account=account if request.type.startswith("aws:") else None,
            region=region if request.type.startswith("aws:") else None,
            read=True,
        )
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=wire)

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
            if record is not None and record.custom and not record.is_provider and not record.read:
                return True
        return False

    def Invoke(self, request):  # noqa: N802
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        # `dependsOn` is on the request from SDK 3.256 (pulumi/pulumi#24040,
        # proto/pulumi/resource.proto); an older SDK waits for the invoke's dependencies
        # itself and has no such field (AttributeError on pulumi 3.150-3.255).
        if self._pending(getattr(request, "dependsOn", ())):
            return _invoke_response(unknown=True)
        provider_ref = self._provider_for(request) or ""
        _ensure_event_loop()
        args = rpc.deserialize_properties(
            _with_struct(request, "args", _struct_dict(request.args)).args
        )
        try:
            answer = self.mock_impl.answer(request.tok, args, provider_ref)
        except (PolicyDocumentError, ValueError) as exc:
            # what the provider would fail the invoke with; the SDK raises it in the program
            failure = provider_pb2.CheckFailure(property="", reason=str(exc))
            return _invoke_response(failures=[failure])
        if answer is None:
            if _OUTPUT_FORM.get() and _INVOKE_RESPONSE is not None:
                return _invoke_response(unknown=True)
            # the SDK cannot hand a plain invoke an unknown: the program gets an empty result,
            # and a failure it leads to is reported naming the invoke
            self.mock_impl.invokes.record_empty(request.tok)
            answer = {}
        result = _sync_await(rpc.serialize_properties(answer, {}))
        return _invoke_response(**{"return": result})

    def RegisterResourceOutputs(self, request):  # noqa: N802
        record = self.records.get(request.urn)
        if record is not None and not record.custom:
            record.outputs = _struct_dict(request.outputs)
        return super().RegisterResourceOutputs(request)


# The monitor's own Invoke response, with `unknown`, came with SDK 3.256 (pulumi/pulumi#24100,
# proto/pulumi/resource.proto); before it the monitor answered with provider.proto's
# InvokeResponse, which cannot say "unknown": an older SDK decides that itself (unknown
# arguments, dependencies without ids) and gets an empty result where obsgov has no answer.
_INVOKE_RESPONSE = getattr(resource_pb2, "ResourceInvokeResponse", None)


def _invoke_response(**fields: Any) -> Any:
    if _INVOKE_RESPONSE is not None:
        return _INVOKE_RESPONSE(**fields)
    if fields.pop("unknown", False):
        fields["return"] = None
    return provider_pb2.InvokeResponse(**fields)


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
        # The monitor has replaced the program's inputs with the provider's Check output
        # (generated name, tagsAll): what the provider's preview returns.
        state = dict(args.inputs)
        if self.monitor.preview:
            # `pulumi preview` knows only the checked inputs of a resource it is about to
            # create: every computed output (arn, id, ...) stays unknown, and the SDK resolves
            # it as such.
            return "", state
        return self._created(args, seed, state)

    def _created(self, args: mocks.MockResourceArgs, seed: str, state: dict[str, Any]):
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
        if args.typ.startswith("aws:"):
            state.setdefault("name", name)
        if args.typ == "aws:kms/key:Key":
            state["keyId"] = resource_id
        return resource_id, state

    def read_resource(self, args: mocks.MockResourceArgs):
        """A read: the resource exists, so its state is known even in preview (derived from
        its id and the reading provider's account and region)."""
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args)
        seed = f"{self.stack}/{args.typ}/{args.name}"
        state = dict(args.inputs)
        if args.resource_id and args.typ.startswith("aws:"):
            for key in ("name", "bucket"):
                if key in self._read_names(args.typ):
                    state.setdefault(key, args.resource_id)
        _, state = self._created(args, seed, state)
        return args.resource_id or "", state

    @staticmethod
    def _read_names(type_token: str) -> frozenset[str]:
        from .provider_check import input_names

        return input_names(type_token)

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
        answer = self.answer(args.token, args.args, args.provider)
        if answer is None:
            self.invokes.record_empty(args.token)
            return {}
        return answer


def _provider_tags(monitor: RecordingMonitor, provider_ref: str) -> dict[str, str]:
    return dict(_default_tags(monitor, provider_ref) or {})


def _default_tags(monitor: RecordingMonitor, provider_ref: str) -> dict[str, Any] | None:
    """The provider's ``defaultTags.tags`` ({} when it has none), None while unknown."""
    urn, _ = split_provider_ref(provider_ref) if provider_ref else ("", "")
    record = monitor.records.get(urn)
    if record is None:
        return {}
    raw = record.inputs.get("defaultTags")
    if raw == UNKNOWN:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    tags = raw.get("tags") if isinstance(raw, dict) else None
    if tags == UNKNOWN:
        return None
    return dict(tags) if isinstance(tags, dict) else {}
