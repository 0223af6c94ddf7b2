"""Data quality and drift: baselines of training data, per-feature drift statistics and
quality checks of inference or pipeline windows, reports, and CloudWatch publishing.

``profile`` builds and loads baselines, ``engine`` evaluates a window, ``stats`` holds the
statistics, ``capture`` reads SageMaker data capture, ``publish`` and ``job`` talk to AWS, and
``html`` renders the report for people.
"""
