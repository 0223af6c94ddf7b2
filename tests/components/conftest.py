"""Queries on synthesized graphs shared by the component tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from obsgov.graph import GraphResource, ResourceGraph

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def by_name(graph: ResourceGraph, type_token: str, key: str = "name") -> dict[str, GraphResource]:
    """Resources of one type keyed by a physical-name input (e.g. an alarm's ``name``)."""
    found = {r.inputs[key]: r for r in graph.of_type(type_token)}
    assert len(found) == len(graph.of_type(type_token)), f"duplicate {key} among {type_token}"
    return found


def alarm(graph: ResourceGraph, name: str) -> dict[str, Any]:
    return by_name(graph, ALARM)[name].inputs


def statements(document: str) -> dict[str, dict]:
    """A policy document's statements by Sid (every statement must have one)."""
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    return {s["Sid"]: {k: v for k, v in s.items() if k != "Sid"} for s in parsed["Statement"]}


@pytest.fixture
def prod(example_graph) -> ResourceGraph:
    return example_graph("prod", True)


@pytest.fixture
def dev(example_graph) -> ResourceGraph:
    return example_graph("dev", True)


MEMBER_BASELINE = "obsgov:member_baseline:MemberAccountBaseline"


def members(graph: ResourceGraph, *types: str) -> list[GraphResource]:
    """Resources of ``types`` that a member account's baseline created (central accounts and
    the model lifecycle also hold alarms, keys and rules)."""
    found = []
    for resource in graph.of_type(*types):
        parent = graph.by_urn.get(resource.parent) if resource.parent else None
        while parent is not None and parent.type != MEMBER_BASELINE:
            parent = graph.by_urn.get(parent.parent) if parent.parent else None
        if parent is not None:
            found.append(resource)
    return found
