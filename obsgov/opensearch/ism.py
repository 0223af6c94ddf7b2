"""The log indexes' ISM policy for the domain's storage tiers.

The shipped policy (``templates/ism-policy.obsgov-logs-retention.json``) keeps every index on
the hot nodes: after a week it is made read-only and merged to one segment there, and deleted
at 90 days. That costs hot EBS for 90 days of logs (3 data nodes × the volume size), but needs
no extra nodes. With UltraWarm on (``obsgov:openSearch.warmEnabled``) the week-old index moves
to the S3-backed warm nodes instead (``warm_migration``, which force-merges as it migrates), and
with cold storage (``coldStorage``) on to cold storage after 30 days (``cold_migration``, then
``cold_delete`` at 90). OpenSearch developer guide, "Index State Management in Amazon OpenSearch
Service" (sample hot-warm-cold policy) and "UltraWarm storage" / "Cold storage":
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ism.html
"""

from __future__ import annotations

import copy
from typing import Any

from .bootstrap import Document

RETENTION_POLICY = "obsgov-logs-retention"
COLD_AFTER_DAYS = 30
# cold_migration records each index's time range from this field (the index template maps it)
TIMESTAMP_FIELD = "@timestamp"
# UltraWarm migrations queue (at most 200 at a time): retry rather than fail the index
MIGRATION_RETRY = {"count": 5, "backoff": "exponential", "delay": "1h"}


def tiered_policy(shipped: dict[str, Any], *, cold: bool) -> dict[str, Any]:
    """The shipped hot-storage policy with its "warm" state migrating to UltraWarm (and, with
    ``cold``, a "cold" state before deletion); the ages stay the shipped ones."""
    body = copy.deepcopy(shipped)
    policy = body["policy"]
    states = {s["name"]: s for s in policy["states"]}
    warm, delete = states["warm"], states["delete"]
    warm["actions"] = [{"warm_migration": {}, "timeout": "24h", "retry": MIGRATION_RETRY}]
    if cold:
        (to_delete,) = warm["transitions"]
        warm["transitions"] = [
            {"state_name": "cold", "conditions": {"min_index_age": f"{COLD_AFTER_DAYS}d"}}
        ]
        cold_state = {
            "name": "cold",
            "actions": [
                {"cold_migration": {"timestamp_field": TIMESTAMP_FIELD}, "retry": MIGRATION_RETRY}
            ],
            "transitions": [to_delete],
        }
        # a cold index is no longer on the cluster: it is deleted with cold_delete
        delete["actions"] = [{"cold_delete": {}}]
        policy["states"] = [states["hot"], warm, cold_state, delete]
    tiers = "UltraWarm" + (" then cold storage" if cold else "")
    policy["description"] = f"obsgov log indexes: hot for 7 days, then {tiers}, deleted after 90."
    return body


def for_storage(documents: list[Document], *, warm: bool, cold: bool) -> list[Document]:
    """``documents`` with the retention policy fitted to the domain's tiers (unchanged when
    UltraWarm is off)."""
    if not warm:
        return documents
    return [
        Document(d.kind, d.name, tiered_policy(d.body, cold=cold))
        if (d.kind, d.name) == ("ism-policy", RETENTION_POLICY)
        else d
        for d in documents
    ]
