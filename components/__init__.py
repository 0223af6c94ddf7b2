"""Pulumi component resources of the obsgov platform.

* ``providers``        - one explicit AWS provider per target account (assume-role + default tags)
* ``central``          - the central observability account: OAM sink and its organization policy
* ``member_baseline``  - every member account: KMS key, alarm and paging topics, OAM link, alert
                         routing and each workload's monitoring
* ``workload_alarms``  - the workload kind -> alarm builder table (``ALARM_BUILDERS``); alarms
                         and composites from specs
* ``alarm_spec``       - an alarm independent of Pulumi: metrics, signal class, severity, name
* ``endpoint_alarms``, ``pipeline_alarms``, ``kpi_alarms`` - the alarm specs of each workload kind
* ``workload_logs``    - log groups, critical-event metric filters, forwarding to the centre
* ``workload_traces``  - X-Ray group and sampling rule of a traced workload
* ``environment/``     - the wiring: which component goes on which account's provider
* ``alert_routing``    - EventBridge forwarding of alarm state changes to the central bus

Shared building blocks, so each fact is stated once:

* ``iam_documents``    - policy statements and ARNs (``account_administers``, ``logs_encrypt``,
                         ``alarms_use_key``, ``alarms_publish``, ``deny_insecure_transport``)
* ``keys``             - ``rotated_key``: every customer-managed key
* ``service_roles``    - ``service_role``: a role one AWS service assumes, with its one policy
* ``firehose``         - the Firehose role, the encrypted delivery stream, the S3 destination

A component whose documents or tables are long keeps them beside it: ``audit_trail_documents``
and ``cis_controls``, ``log_analytics_documents``, ``lifecycle_events`` and ``lifecycle_archive``.
"""
