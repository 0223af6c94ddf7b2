"""The observability account: where every member account's signals arrive.

* ``central``          - the OAM sink and its organization policy
* ``event_routing``    - the central event bus and one encrypted topic per severity
* ``log_analytics``    - the OpenSearch domain, its ingestion and the log destination
  (documents in ``log_analytics_documents``)
* ``metric_lake``      - the metric stream into S3, its Glue table and Athena workgroup
"""
