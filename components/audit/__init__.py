"""The organization's audit: the management and log-archive accounts.

* ``audit_trail``      - the organization trail, its key and log group (documents in
  ``audit_trail_documents``), with the CIS alarms of ``cis_controls``
* ``log_archive``      - the archive bucket the trail delivers to, and its access-log bucket
* ``audit_analytics``  - Athena and Glue over the archived trail, and the named audit queries
* ``guardrails``       - the tag policy and the SCP that protects the baseline
* ``catalog_encryption`` - the Glue Data Catalog encryption of each account holding databases
"""
