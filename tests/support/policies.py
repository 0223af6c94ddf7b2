"""Run registry policies in-process on hand-made resources, exactly as the SDK would call them
(props behind the SDK's unknown-checking proxy, config from the schema defaults)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from obsgov_policies.catalog import PolicySpec, load_all

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def spec(policy_id: str) -> PolicySpec:
    return load_all()[policy_id]


def _options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def provider(default_tags: dict | None = None, region: str = "eu-west-1") -> PolicyProviderResource:
    props = {"region": region}
    if default_tags is not None:
        props["defaultTags"] = json.dumps({"tags": default_tags})
    return PolicyProviderResource(
        "pulumi:providers:aws",
        unknown_checking_proxy(props),
        "urn:pulumi:dev::p::pulumi:providers:aws::member",
        "member",
    )


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::p::{resource_type}::{name}"


def check(
    policy_id: str,
    props: dict,
    resource_type: str | None = None,
    config: dict | None = None,
    provider_resource=None,
    name: str = "r",
    sink: list[str] | None = None,
    defaults: bool = True,
) -> list[str]:
    """Messages a resource policy reports for one resource (appended to ``sink`` if given, so
    that a caller still has them when the policy raises). ``defaults=False`` leaves out the
    schema defaults the engine would fill in, to show what the policy assumes without them."""
    s = spec(policy_id)
    rtype = resource_type or s.resource_types[0]
    messages: list[str] = [] if sink is None else sink
    args = ResourceValidationArgs(
        rtype,
        unknown_checking_proxy(copy.deepcopy(props)),
        urn(rtype, name),
        name,
        _options(),
        provider_resource,
        {**(s.config_defaults() if defaults else {}), **(config or {})},
    )
    s.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def check_preview(policy_id: str, props: dict, **kwargs) -> list[str]:
    """Like :func:`check`, but as the SDK answers Analyze: an unknown value the policy could
    not judge ends the messages with the SDK's advisory (pulumi_policy/policy.py,
    ``_PolicyAnalyzerServicer.Analyze``: ``except UnknownValueError``) instead of raising."""
    messages: list[str] = []
    try:
        messages = check(policy_id, props, **kwargs, sink=messages)
    except UnknownValueError as exc:
        messages.append(f"can't run during preview: {exc.message}")
    return messages


@dataclass
class R:
    """A resource for stack policies."""

    type: str
    name: str
    props: dict = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)  # names
    prop_deps: dict[str, list[str]] = field(default_factory=dict)  # key -> names
    tags_provider: dict | None = None
    # Provider properties as the engine passes them (nested config as JSON text), for stack
    # policies that tell accounts apart by provider.
    provider_props: dict | None = None


def _provider_of(r: R) -> PolicyProviderResource | None:
    if r.provider_props is not None:
        return PolicyProviderResource(
            "pulumi:providers:aws",
            unknown_checking_proxy(copy.deepcopy(r.provider_props)),
            f"urn:pulumi:dev::p::pulumi:providers:aws::{r.name}-provider",
            f"{r.name}-provider",
        )
    return provider(r.tags_provider) if r.tags_provider is not None else None


def check_stack(
    policy_id: str, resources: list[R], config: dict | None = None, defaults: bool = True
) -> list[tuple[str, str]]:
    """(resource name, message) pairs a stack policy reports (``defaults`` as in :func:`check`)."""
    s = spec(policy_id)
    built: dict[str, PolicyResource] = {}
    for r in resources:
        built[r.name] = PolicyResource(
            r.type,
            unknown_checking_proxy(copy.deepcopy(r.props)),
            urn(r.type, r.name),
            r.name,
            _options(),
            _provider_of(r),
            None,
            [],
            {},
        )
    for r in resources:
        built[r.name].dependencies = [built[n] for n in r.depends_on]
        built[r.name].property_dependencies = {
            k: [built[n] for n in v] for k, v in r.prop_deps.items()
        }
    by_urn = {b.urn: name for name, b in built.items()}
    found: list[tuple[str, str]] = []
    config = {**(s.config_defaults() if defaults else {}), **(config or {})}
    args = StackValidationArgs(list(built.values()), config)
    s.validate(args, lambda message, urn=None: found.append((by_urn.get(urn, "<stack>"), message)))
    return found
