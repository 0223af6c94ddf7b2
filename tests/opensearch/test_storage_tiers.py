"""UltraWarm and cold storage: the domain gets the nodes, the log indexes the ISM states.

OpenSearch developer guide: "UltraWarm storage for Amazon OpenSearch Service"
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ultrawarm.html: warm
nodes via ClusterConfig WarmEnabled/WarmType/WarmCount; migrations automated with ISM's
``warm_migration``), "Cold storage" (cold-storage.html: ColdStorageOptions, ISM's
``cold_migration`` with a ``timestamp_field``, ``cold_delete``) and "Index State Management"
(ism.html, the sample hot-warm-cold policy). Without UltraWarm the shipped policy's warm state
is read-only on the hot nodes.
"""

from __future__ import annotations

import pytest

from obsgov.opensearch.bootstrap import load_documents
from obsgov.opensearch.ism import COLD_AFTER_DAYS, RETENTION_POLICY, for_storage

DOMAIN = "aws:opensearch/domain:Domain"


def _policy(documents):
    (policy,) = [d.body["policy"] for d in documents if d.kind == "ism-policy"]
    return policy


def _states(policy):
    return {s["name"]: s for s in policy["states"]}


def _transitions(policy):
    return {
        s["name"]: [(t["state_name"], t["conditions"]["min_index_age"]) for t in s["transitions"]]
        for s in policy["states"]
    }


def test_without_ultrawarm_the_shipped_read_only_policy_is_applied():
    shipped = load_documents()
    assert for_storage(shipped, warm=False, cold=False) == shipped
    states = _states(_policy(shipped))
    assert [next(iter(a)) for a in states["warm"]["actions"]] == ["read_only", "force_merge"]


def test_with_ultrawarm_week_old_indexes_migrate_to_warm_nodes_and_are_deleted_at_90_days():
    policy = _policy(for_storage(load_documents(), warm=True, cold=False))
    states = _states(policy)
    assert list(states) == ["hot", "warm", "delete"]
    (action,) = states["warm"]["actions"]
    assert action["warm_migration"] == {}
    assert action["retry"]["count"] >= 1
    assert _transitions(policy) == {
        "hot": [("warm", "7d")],
        "warm": [("delete", "90d")],
        "delete": [],
    }
    assert states["delete"]["actions"] == [{"delete": {}}]
    assert policy["ism_template"][0]["index_patterns"] == ["obsgov-logs*"]


def test_with_cold_storage_indexes_go_cold_after_30_days_and_are_deleted_there():
    policy = _policy(for_storage(load_documents(), warm=True, cold=True))
    states = _states(policy)
    assert list(states) == ["hot", "warm", "cold", "delete"]
    assert _transitions(policy) == {
        "hot": [("warm", "7d")],
        "warm": [("cold", f"{COLD_AFTER_DAYS}d")],
        "cold": [("delete", "90d")],
        "delete": [],
    }
    (action,) = states["cold"]["actions"]
    # the field cold_migration reads each index's time range from is a date in the template
    field = action["cold_migration"]["timestamp_field"]
    (template,) = [d.body for d in load_documents() if d.kind == "index-template"]
    assert template["template"]["mappings"]["properties"][field]["type"] == "date"
    # a cold index is off the cluster: the plain delete action cannot reach it
    assert states["delete"]["actions"] == [{"cold_delete": {}}]


def test_the_shipped_file_is_not_changed_by_tiering():
    shipped = load_documents()
    before = [d.body for d in shipped]
    for_storage(shipped, warm=True, cold=True)
    assert [d.body for d in shipped] == before
    assert {d.name for d in shipped if d.kind == "ism-policy"} == {RETENTION_POLICY}


@pytest.mark.parametrize(("stack", "warm"), [("dev", False), ("staging", False), ("prod", True)])
def test_the_domain_has_ultrawarm_nodes_where_configured(example_graph, example_env, stack, warm):
    (domain,) = example_graph(stack, True).of_type(DOMAIN)
    cluster = domain.inputs["clusterConfig"]
    search = example_env(stack).settings.open_search
    assert search.warm_enabled is warm
    if warm:
        assert cluster["warmEnabled"] is True
        assert cluster["warmType"] == search.warm_type == "ultrawarm1.medium.search"
        assert cluster["warmCount"] == search.warm_count == 2
        assert cluster["dedicatedMasterEnabled"] is True  # UltraWarm's prerequisite
    else:
        assert "warmEnabled" not in cluster
    assert "coldStorageOptions" not in cluster
