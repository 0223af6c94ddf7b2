"""Policy pack config derived from the environment, so facts live in one place.

The environment (``stacks/``) is the single source of truth for the tag schema, the accounts,
model-approval rules and the enforcement level. Where a policy's config schema declares a
property named in :func:`environment_facts`, the gate fills it from the environment; the
per-environment pack config files and ``--policy-pack-config`` files are applied on top.
Thresholds the environment's own resources are judged by (the least log retention) are not
facts of the environment: they belong to the pack configs, above the organisation's floors
(:mod:`obsgov.gate.floors`), or a stack could lower the bar it is judged by.
``obsgov policy config`` writes the same merged config for ``pulumi preview --policy-pack-config``
(see :func:`obsgov.gate.pack_config.merge_layers`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from obsgov.config.loader import EnvironmentConfig
from obsgov.config.models import TagRule
from obsgov.io import display_path

from .inventory import inventory_path, load_inventory
from .pack_config import PackConfig, PolicyConfig, PolicySchemaInfo, SourcedConfig


def _rules(rules: Iterable[TagRule]) -> list[dict[str, Any]]:
    return [r.model_dump(by_alias=True, exclude_none=True, exclude={"description"}) for r in rules]


def producer_contracts(env: EnvironmentConfig) -> list[dict[str, Any]]:
    """The custom metrics the environment's workloads promise to publish, each with the
    workload's account owner: what the deploy-readiness pack accepts as an alarm's producer
    when nothing in the stack publishes the metric (obsgov.metric_contract.PRODUCERS)."""
    from obsgov.config.models import BusinessKpi, EtlPipeline
    from obsgov.metric_contract import PIPELINE_METRICS, PIPELINE_NAMESPACE, PRODUCERS

    owners = {a.name: a.owner for a in env.registry.accounts}
    contracts: list[dict[str, Any]] = []
    for account in env.member_accounts:
        for workload in env.workloads_for(account):
            owner = owners.get(workload.account, "")
            if isinstance(workload, EtlPipeline):
                contracts.append(
                    {
                        "namespace": PIPELINE_NAMESPACE,
                        "metrics": [m.name for m in PIPELINE_METRICS],
                        "dimensions": {"Pipeline": workload.name},
                        "owner": owner,
                        "producer": PRODUCERS[PIPELINE_NAMESPACE],
                    }
                )
            elif isinstance(workload, BusinessKpi):
                contracts.append(
                    {
                        "namespace": workload.namespace,
                        "metrics": [workload.metric_name],
                        "dimensions": dict(workload.dimensions),
                        "owner": owner,
                        "producer": f"the application behind the KPI {workload.name}",
                    }
                )
    return contracts


def adopted_log_groups(env: EnvironmentConfig) -> list[dict[str, str]]:
    """The log groups the program imports instead of creating (workloads with ``logGroup:
    adopt``, components/member/workload_logs.py): the deploy-readiness pack cannot see the
    import option (the Analyzer protocol has no field for it), so it learns them here."""
    return [
        {"account": account.id, "region": env.settings.region, "name": name}
        for account in env.member_accounts
        for workload in env.workloads_for(account)
        if workload.log_group == "adopt"
        for name in workload.log_group_names()
    ]


def environment_facts(env: EnvironmentConfig) -> dict[str, Any]:
    org = env.org.organization
    approval = env.settings.model_approval
    facts: dict[str, Any] = {
        "environment": env.environment,
        "organizationId": org.id,
        "requiredTags": _rules(env.org.tag_schema.required),
        "mlResourceTags": _rules(env.org.tag_schema.ml_resources),
        "pipelineTags": _rules(env.org.tag_schema.pipelines),
        "trustedAccountIds": sorted(
            {org.management_account_id, org.observability_account_id, org.log_archive_account_id}
            | {a.id for a in env.registry.accounts}
        ),
        "modelApprovalRequired": approval.enabled,
        "dataCaptureMinPercent": approval.data_capture_min_percent,
        "requiredModelMetadata": list(approval.required_metadata),
        "promotionOrder": list(approval.promotion_order),
        "multiInstanceVariants": env.environment == "prod",
    }
    inventory = load_inventory(inventory_path(env.stack_file.parent))
    if inventory is not None:
        # the other environments' physical names and singletons (obsgov policy inventory)
        facts["otherStacks"] = inventory.others(env.stack)
    facts["producerContracts"] = producer_contracts(env)
    facts["adoptedLogGroups"] = adopted_log_groups(env)
    if approval.registry_account_id:
        facts["registryAccountId"] = approval.registry_account_id
    if approval.snapshot_file:
        facts["registrySnapshotFile"] = str(
            (env.stack_file.parent / approval.snapshot_file).resolve()
        )
    return facts


def environment_layer(
    env: EnvironmentConfig,
    policies: Iterable[PolicySchemaInfo],
    facts: Mapping[str, Any] | None = None,
) -> PackConfig:
    """The environment's config layer: its enforcement level for every policy the pack has not
    disabled (unlike the CLI's ``all`` key, which would revive disabled policies), plus every
    fact a policy's schema asks for (``facts``: :func:`environment_facts`, computed once)."""
    facts = environment_facts(env) if facts is None else facts
    level = env.settings.policy_enforcement
    layer: PackConfig = {}
    for policy in policies:
        props = {k: v for k, v in facts.items() if k in policy.properties}
        keep_level = policy.enforcement_level == "disabled"
        layer[policy.name] = PolicyConfig(None if keep_level else level, props or None)
    return SourcedConfig(layer, display_path(env.stack_file))


class EnvironmentLayer:
    """The environment's layer before the pack is known: the gate calls it with the pack's
    schemas, which arrive only with GetAnalyzerInfo (see :data:`config.Layer`)."""

    def __init__(self, env: EnvironmentConfig):
        self.env = env
        self._facts: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def facts(self) -> dict[str, Any]:
        """The facts, computed once for every pack of the stack (the packs are configured
        from threads of their own): at 1,000 accounts they take a second each, and a stack
        has five packs (benchmarks/gate.py --environments)."""
        with self._lock:
            if self._facts is None:
                self._facts = environment_facts(self.env)
            return self._facts

    def __call__(self, policies: Iterable[PolicySchemaInfo]) -> Mapping[str, PolicyConfig]:
        return environment_layer(self.env, policies, self.facts())
