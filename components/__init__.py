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
"""
