"""Every member account's monitoring baseline, and the alarms of its workloads.

* ``member_baseline``  - key, alarm and paging topics, OAM link, and each workload's monitoring
* ``alert_routing``    - EventBridge forwarding of alarm state changes to the central bus
* ``workload_logs``    - log groups, critical-event metric filters, forwarding to the centre
* ``workload_traces``  - the X-Ray group and sampling rule of a traced workload
* ``alarm_spec``       - an alarm independent of Pulumi: metrics, signal class, severity, name
* ``workload_alarms``  - alarms and composites from specs
* ``endpoint_alarms``, ``pipeline_alarms``, ``kpi_alarms`` - the alarm specs of each kind

The kinds themselves are one table, ``components.workload_kinds``.
"""
