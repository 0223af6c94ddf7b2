"""The audit half of the central accounts across the example environments: every piece on the
account that must own it, every policy document valid, linted and known at preview, and the
four shipped packs passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obsgov.config.loader import load_environment
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.environment_layer import EnvironmentLayer
from obsgov.gate.project import discover_policy_packs, load_policy_pack
from obsgov.graph import UNKNOWN, ResourceGraph

from ..support.caching import graph_scope
from .test_audit_support import (
    KEY_POLICY_ALLOWED,
    LOG_ARCHIVE,
    MANAGEMENT,
    OBSERVABILITY,
    ORG_ID,
    PROD_SETTINGS,
    ROOT,
    STACKS,
    central_graph,
    lint,
    wildcard_principals,
)

# dev and staging record no organization trail of their own: prod's covers every account, and
# each further trail bills its copy of the management events.
NO_TRAIL = {"trail": {"enabled": False}, "analytics": {"enabled": False}}
SETTINGS = {"dev": NO_TRAIL, "staging": NO_TRAIL, "prod": PROD_SETTINGS}

# Policy documents and the input that holds them.
DOCUMENTS = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:organizations/policy:Policy": "content",
}

# Which account owns each component's resources.
OWNERS = {
    "obsgov:audit_trail:AuditTrail": MANAGEMENT,
    "obsgov:log_archive:LogArchive": LOG_ARCHIVE,
    "obsgov:audit_analytics:AuditAnalytics": LOG_ARCHIVE,
    "obsgov:catalog_encryption:CatalogEncryption": LOG_ARCHIVE,
    "obsgov:event_routing:EventRouting": OBSERVABILITY,
    "obsgov:guardrails:Guardrails": MANAGEMENT,
}


@pytest.fixture(scope=graph_scope)
def graphs() -> dict[str, ResourceGraph]:
    return {stack: central_graph(stack, settings) for stack, settings in SETTINGS.items()}


def _documents(graph: ResourceGraph):
    for resource in graph.custom_resources():
        key = DOCUMENTS.get(resource.type)
        if key is None:
            continue
        if (
            resource.type == "aws:organizations/policy:Policy"
            and resource.inputs["type"] == "TAG_POLICY"
        ):
            continue  # not an IAM policy language document
        yield resource, resource.inputs[key]


def test_prod_shows_every_part_on_the_account_that_owns_it(graphs):
    graph = graphs["prod"]
    components = {c.type: c for c in graph.components()}
    assert sorted(components) == sorted(OWNERS)
    for type_token, account in OWNERS.items():
        members = graph.in_component(components[type_token].name)
        assert members, type_token
        assert {r.account for r in members} == {account}, type_token
    counts = {
        t: len(graph.of_type(t))
        for t in (
            "aws:cloudtrail/trail:Trail",
            "aws:s3/bucket:Bucket",
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:sns/topic:Topic",
            "aws:cloudwatch/eventBus:EventBus",
            "aws:glue/catalogTable:CatalogTable",
            "aws:athena/workgroup:Workgroup",
            "aws:athena/namedQuery:NamedQuery",
            "aws:organizations/policy:Policy",
        )
    }
    assert counts == {
        "aws:cloudtrail/trail:Trail": 1,
        "aws:s3/bucket:Bucket": 3,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": 14,
        # the 14 CIS alarms and the forwarding dead-letter queue's depth
        "aws:cloudwatch/metricAlarm:MetricAlarm": 15,
        "aws:sns/topic:Topic": 4,  # three severity topics and the trail account's own
        "aws:cloudwatch/eventBus:EventBus": 1,
        "aws:glue/catalogTable:CatalogTable": 1,
        "aws:athena/workgroup:Workgroup": 1,
        "aws:athena/namedQuery:NamedQuery": 3,
        "aws:organizations/policy:Policy": 2,
    }


def test_every_child_is_named_after_its_component(graphs):
    for graph in graphs.values():
        for component in graph.components():
            for child in graph.children(component.urn):
                assert child.name.startswith(f"{component.name}-"), child.name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_policy_document_is_known_valid_json_and_lints_clean(graphs, stack):
    seen = 0
    for resource, document in _documents(graphs[stack]):
        assert document != UNKNOWN, f"{resource.name}: policy unknown at preview"
        json.loads(document)
        allowed = KEY_POLICY_ALLOWED if resource.type == "aws:kms/key:Key" else set()
        trust = (
            f"arn:aws:iam::{resource.account}:role/{resource.inputs['name']}"
            if resource.type == "aws:iam/role:Role"
            else None
        )
        assert lint(document, allowed=allowed, trust_for=trust) == [], resource.name
        seen += 1
    # prod: 3 bucket, 4 topic, 5 key, 2 trust, 2 role, 1 bus and 1 SCP document
    assert seen == (19 if stack == "prod" else 6)  # prod adds the audit catalog's key


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_wildcard_principal_is_always_narrowed_to_the_organization(graphs, stack):
    for resource, document in _documents(graphs[stack]):
        for statement in wildcard_principals(document):
            assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}, (
                resource.name
            )


def _gate(stack: str, graph: ResourceGraph):
    env = load_environment(stack, STACKS / f"Pulumi.{stack}.yaml")
    # the four resource-setting packs (deploy-readiness judges deployability, advisory for now)
    packs = [
        (load_policy_pack(d), [EnvironmentLayer(env)])
        for d in discover_policy_packs(Path(ROOT / "policies"))
        if d.name != "deploy-readiness"
    ]
    return run_gate(graph, packs, GateOptions(stack_config=env.config_map))


@pytest.mark.parametrize(
    ("stack", "preview"), [("dev", True), ("staging", True), ("prod", True), ("prod", False)]
)
def test_the_four_packs_pass_but_for_the_documented_policy_gap(stack, preview, no_aws_credentials):
    run = _gate(stack, central_graph(stack, SETTINGS[stack], preview=preview))
    assert sorted(p.name for p in run.packs) == [
        "obsgov-model-governance",
        "obsgov-observability",
        "obsgov-security-baseline",
        "obsgov-tagging",
    ]
    for pack in run.packs:
        assert pack.error is None, pack.error
        found = [(v.policy, v.resource_name) for v in pack.violations]
        assert found == [], found


def test_the_four_packs_pass_on_prod_without_exceptions(graphs, no_aws_credentials):
    run = _gate("prod", graphs["prod"])
    assert [(v.policy, v.resource_name) for p in run.packs for v in p.violations] == []
