"""Which stack holds what: the organisation stack, an environment's central stack, its shards.

AWS allows one OAM sink per account and Region, and one Glue Data Catalog encryption setting
per catalog (one per account and Region). dev, staging and prod share the central accounts, so
those belong to one stack, the organisation stack (``stacks/Pulumi.org.yaml``,
``obsgov:stackRole: organization``), and the environments read its outputs through a
``StackReference`` (``obsgov:organizationStack``). Without that key an environment creates its
own: the single-stack mode, right for an organisation with one environment.

A sharded environment (``obsgov:memberShards``) keeps the central accounts in its own stack and
builds its member accounts in shard stacks (``<env>-members-<n>``), which read the central
stack's outputs (bus, log destination, sink) the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.stack_config import settings_from_config_map, stack_config_map
from obsgov.io import read_yaml

from ..audit.catalog_encryption import CatalogEncryption, CatalogEncryptionArgs
from ..central.central import CentralObservability, CentralObservabilityArgs
from .central_account import (
    CentralTargets,
    SharedOutputs,
    event_routing_args,
    log_destination_arn,
)
from .central_providers import CentralProviders, on
from .organization_audit import central_guardrails

#: The outputs environments and shards read (``pulumi stack output``).
SINK_OUTPUT = "sinkArn"
BUS_OUTPUT = "centralEventBusArn"
LOG_DESTINATION_OUTPUT = "logDestinationArn"


def shard_stack_name(environment_stack: str, shard: int) -> str:
    return f"{environment_stack}-members-{shard}"


def stack_reference_name(stack: str) -> str:
    """The fully qualified name ``pulumi.StackReference`` needs: the organisation (the Pulumi
    Cloud organisation or, with a self-managed backend, ``organization``), project, stack."""
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{stack}"


def reference(stack: str) -> pulumi.StackReference:
    return pulumi.StackReference(stack_reference_name(stack))


def required_output(stack: str, output: str) -> pulumi.Output[Any]:
    """``output`` of the deployed stack ``stack``; its absence fails the run naming both
    (``require_output`` would raise a bare KeyError: sdk/python/lib/pulumi/stack_reference.py).
    Offline, obsgov.synth.runner.referenced_outputs checks the same before the program runs."""

    def present(value: Any) -> Any:
        if value is None:
            raise pulumi.RunError(
                f"stack {stack!r} has no output {output!r}: deploy it first "
                f"(`pulumi up --stack {stack}`), then this stack"
            )
        return value

    return reference(stack).get_output(output).apply(present)


def organization_outputs(env: EnvironmentConfig) -> SharedOutputs:
    if env.settings.organization_stack is None:
        return SharedOutputs(sink_arn=None)
    return SharedOutputs(sink_arn=required_output(env.settings.organization_stack, SINK_OUTPUT))


def shard_targets(env: EnvironmentConfig) -> CentralTargets:
    """A shard's members send to its environment's central accounts: the bus and log
    destination by their derived names, the sink as the central stack exports it."""
    assert env.settings.shard_of is not None
    # the sink's owner: the organisation stack, else the central stack (which made it)
    owner = env.settings.organization_stack or env.settings.shard_of
    return CentralTargets(
        sink_arn=required_output(owner, SINK_OUTPUT),
        bus_arn=event_routing_args(env).bus_arn,
        log_destination_arn=log_destination_arn(env),
    )


def catalog_accounts(env: EnvironmentConfig, environments: Iterable[EnvironmentConfig]) -> dict:
    """account id -> catalog component name: the observability account's catalog (metric lake,
    lifecycle archive) and, when an environment runs audit analytics, the log-archive
    account's."""
    org = env.org.organization
    catalogs = {org.observability_account_id: f"data-catalog-{env.stack}"}
    for other in environments:
        audit = other.settings.central_audit
        if audit.trail.enabled and audit.analytics.enabled:
            catalogs.setdefault(org.log_archive_account_id, f"audit-catalog-{env.stack}")
    return catalogs


def environments_of(env: EnvironmentConfig) -> list[EnvironmentConfig]:
    """The environment stacks in the organisation stack's folder that reference it (their
    settings only: the organisation stack needs nothing else of them)."""
    from obsgov.config.environment import EnvironmentConfig as Config

    found = []
    for path in sorted(env.stack_file.parent.glob("Pulumi.*.yaml")):
        config_map = stack_config_map(read_yaml(path), path.name)
        settings, _ = settings_from_config_map(config_map, path.name)
        if settings is None or settings.organization_stack != env.stack:
            continue
        found.append(
            Config(
                stack=path.name[len("Pulumi.") : -len(".yaml")],
                stack_file=path,
                settings=settings,
                organization_file=env.organization_file,
                org=env.org,
                registry_file=env.registry_file,
                registry=env.registry,
                config_map=config_map,
            )
        )
    return found


def organization_stack(env: EnvironmentConfig, providers: CentralProviders) -> None:
    """The organisation stack: one OAM sink, open to the member accounts of every environment
    that references this stack (and only while they are in the organisation), and one catalog
    encryption setting per account."""
    environments = environments_of(env)
    org = env.org.organization
    sink = CentralObservability(
        f"central-{env.stack}",
        CentralObservabilityArgs(
            organization_id=org.id,
            environment=env.stack,
            account_id=org.observability_account_id,
            source_account_ids=sorted({a.id for e in environments for a in e.member_accounts}),
        ),
        opts=on(providers.observability),
    )
    central_guardrails(env, environments, providers)
    for account_id, catalog in catalog_accounts(env, environments).items():
        CatalogEncryption(
            catalog,
            CatalogEncryptionArgs(environment=env.stack, account_id=account_id),
            opts=on(providers.for_account(env, account_id)),
        )
    pulumi.export(SINK_OUTPUT, sink.sink.arn)
