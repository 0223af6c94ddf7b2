"""Data quality and drift: baselines of training data, per-feature drift statistics and
quality checks of inference or pipeline windows, reports, and CloudWatch publishing.

``data`` streams datasets as Arrow record batches, ``sketch`` holds the mergeable
bounded-memory accumulators, ``profile`` builds and loads baselines, ``engine`` evaluates a
window, ``stats`` holds the statistics, ``definition`` says what "drifted" means (shared with
the jobs and the alarm), ``spark_job`` runs the same engine on Spark (AWS Glue, EMR
Serverless), ``capture`` reads SageMaker data capture, ``publish`` and ``job`` talk to AWS, and
``html`` renders the report for people. docs/drift.md gives the error bound of every figure.
"""
