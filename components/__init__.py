"""Pulumi component resources of the obsgov platform.

* ``providers``        - one explicit AWS provider per target account (assume-role + default tags)
* ``central``          - the central observability account: OAM sink and its organization policy
* ``member_baseline``  - every member account: KMS key, alarm topic, OAM link, workload alarms
* ``workload_alarms``  - alarm definitions for ML endpoints, ETL pipelines and business KPIs
"""
