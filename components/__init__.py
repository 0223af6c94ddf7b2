"""Pulumi component resources of the obsgov platform, grouped by the account they serve.

* ``shared/``       - building blocks every component uses: policy documents, keys, service
                      roles, Firehose, buckets, platform functions, account providers
* ``central/``      - the observability account: OAM sink, event routing, log analytics,
                      metric lake
* ``audit/``        - the management and log-archive accounts: organization trail, CIS
                      controls, log archive, audit analytics, guardrails, catalog encryption
* ``member/``       - every member account's baseline and its workloads' logs, traces and alarms
* ``lifecycle/``    - the model lifecycle, the approval guard, the model-quality and drift jobs
* ``views/``        - the operations dashboards and the business views
* ``environment/``  - the wiring: which component goes on which account's provider
* ``workload_kinds`` - the one table of workload kinds: model, alarms, signal classes, panel
"""
