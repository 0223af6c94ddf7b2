"""The model lifecycle across accounts, and the jobs that watch models in production.

* ``model_lifecycle``  - the registry as code, the lifecycle events' forwarding and the central
  side that keeps them (events in ``lifecycle_events``, the archive in ``lifecycle_archive``)
* ``model_approval_guard`` - the Lambda function that checks every model package's approval
* ``model_quality_job`` - the scheduled ground-truth model-quality job of one member account
* ``drift_monitor``    - the scheduled drift job of one endpoint or pipeline
"""
