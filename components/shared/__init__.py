"""Building blocks every account's components use, so each fact is stated once.

* ``iam_documents``     - policy statements and ARNs (``account_administers``, ``logs_encrypt``,
                          ``alarms_use_key``, ``alarms_publish``, ``deny_insecure_transport``)
* ``keys``              - ``rotated_key``: every customer-managed key
* ``service_roles``     - ``service_role``: a role one AWS service assumes, with its one policy
* ``firehose``          - the Firehose role, the encrypted delivery stream, the S3 destination
* ``buckets``           - ``hardened_bucket``: every bucket the platform writes to
* ``platform_function`` - every Lambda function the platform ships
* ``providers``         - one explicit AWS provider per target account
"""
