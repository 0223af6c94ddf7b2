"""The inputs of :class:`~components.central.log_analytics.LogAnalytics`.

In a module of their own because the policy documents (``log_analytics_documents``) are built
from them and the component is built from the documents: with the Args in the component's
module the two imported each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi


@dataclass
class LogAnalyticsArgs:
    environment: str
    account_id: str
    region: str
    organization_id: str
    member_account_ids: Sequence[str]
    engine_version: str = "OpenSearch_2.17"
    instance_type: str = "r6g.large.search"
    instance_count: int = 3
    dedicated_master_count: int = 0
    dedicated_master_type: str = "m6g.large.search"
    volume_size_gib: int = 100
    zone_count: int = 3
    # Principals (IAM ARNs) that may assume the master role and search the domain.
    admin_principals: Sequence[str] = field(default_factory=list)
    subnet_ids: Sequence[str] = field(default_factory=list)
    security_group_ids: Sequence[str] = field(default_factory=list)
    # UltraWarm (and cold storage) nodes; off, indexes age read-only on the hot nodes
    warm_enabled: bool = False
    warm_type: str = "ultrawarm1.medium.search"
    warm_count: int = 2
    cold_storage: bool = False
    log_retention_days: int = 365
    backup_expiry_days: int = 90
    # The central severity topics the domain's and the stream's health alarms notify, by
    # severity ("critical", "warning"); a severity without a topic leaves its alarms silent
    # (only a stack without event routing, such as a unit test, passes none).
    alarm_topic_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # the account's server access log bucket (components.shared.access_logs) and its policy,
    # which the bucket's logging waits for; None: not logged (a unit test's stack)
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_ready: Sequence[pulumi.Resource] = ()
