"""Alarms on what the platform's monitoring jobs publish: data that cannot be judged, malformed
records, dataset drift, too few labels and stale pipeline output.

Each job publishes its signals on every run, so silence means the job did not run. The alarms
that page on "nothing to judge" therefore treat missing data as **breaching** (a job that never
runs, or stops, is noticed within two schedule periods); the alarms on figures a run publishes
only when it could judge (DriftedFeatureShare, DatasetDrift) or that are informational
(MalformedRecords) treat it as notBreaching and rely on the breaching heartbeat of the same
metric family and dimensions. CloudWatch, "Configuring how CloudWatch alarms treat missing
data": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data

Severity is routed as every platform alarm's: the ``[LEVEL]`` prefix of the description, which
the central bus's rules match, under the account's ``<env>-<account>-`` name prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from obsgov import metric_contract as mc
from obsgov.drift.definition import ALARM_COMPARISON_OPERATOR, alarm_threshold_percent
from obsgov_policies.signals import ERRORS, FRESHNESS, GLUE_NAMESPACE, JOB_NAME, LATENCY, QUALITY

from ..member.alarm_spec import AlarmContext, AlarmSpec, MetricRef
from ..member.workload_alarms import create_alarm


def heartbeat_period(schedule_seconds: int) -> int:
    """Two schedule periods, in whole minutes, within CloudWatch's one day for a period."""
    return max(60, min(86_400, 2 * schedule_seconds) // 60 * 60)


def drift_signal_specs(
    kind: str, workload: str, schedule_seconds: int, logs: str = "/aws/lambda/obsgov-*-drift-*"
) -> list[AlarmSpec]:
    """The drift job's signals for one workload (``kind``: Endpoint or Pipeline); ``logs``:
    where its job logs (the Lambda function's, or the Glue job's groups)."""
    dims = {kind: workload}
    period = heartbeat_period(schedule_seconds)
    where = f"the drift reports of {workload} and {logs} logs"

    def ref(metric: mc.Metric, stat: str) -> MetricRef:
        return MetricRef(mc.DATA_QUALITY_NAMESPACE, metric.name, dims, stat, period=period)

    return [
        AlarmSpec(
            "drift-no-data",
            QUALITY,
            f"The drift job of {workload} had nothing it could judge (empty or unreadable "
            "window), or did not run: no drift figure means unknown, not healthy.",
            where,
            "GreaterThanOrEqualToThreshold",
            {"m1": ref(mc.NO_DATA, "Maximum")},
            threshold=1,
            treat_missing="breaching",
            evaluation=(1, 1),
            severity="high",
        ),
        AlarmSpec(
            "drift-rows",
            QUALITY,
            f"The drift job of {workload} evaluated no rows within two schedule periods.",
            where,
            "LessThanThreshold",
            {"m1": ref(mc.ROWS_EVALUATED, "Sum")},
            threshold=1,
            treat_missing="breaching",
            evaluation=(1, 1),
            severity="high",
        ),
        AlarmSpec(
            "drift-malformed",
            QUALITY,
            f"The drift job of {workload} could not read some records (capture encoding, "
            "schema or file format).",
            where,
            "GreaterThanThreshold",
            {"m1": ref(mc.MALFORMED_RECORDS, "Sum")},
            threshold=0,
            treat_missing="notBreaching",  # the drift-no-data heartbeat pages on silence
            evaluation=(1, 1),
            severity="warning",
        ),
        AlarmSpec(
            "dataset-drift",
            QUALITY,
            f"The data of {workload} drifted: the share of drifted features reached the one "
            "definition obsgov drift run and the job use (obsgov/drift/definition.py).",
            where,
            ALARM_COMPARISON_OPERATOR,
            {"m1": ref(mc.DRIFTED_FEATURE_SHARE, "Maximum")},
            threshold=alarm_threshold_percent(),
            treat_missing="notBreaching",  # unjudged windows publish no share: drift-no-data
            evaluation=(1, 1),
            severity="high",
        ),
    ]


def glue_run_signal_specs(
    job: str, failed_rule: str, ended_rule: str, schedule_seconds: int, timeout_minutes: int
) -> list[AlarmSpec]:
    """The Spark drift job's runs, from Glue's own state-change events (``Glue Job State
    Change``, https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html)
    counted by EventBridge's ``MatchedEvents`` of the two rules :mod:`.drift_glue_job` creates
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html). A run that
    fails before the script publishes anything is seen here, not by the drift alarms. Glue's
    own job metrics (``--enable-metrics``: ``Glue`` namespace, ``JobRunId=ALL``, ``Type=count``,
    https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html)
    add a run nearing its timeout and Spark task failures (retried tasks included, so a
    warning only: the failed-run alarm is the one that pages for a run)."""
    where = f"the Glue job {job}: its runs and its /aws-glue/jobs/{job}/error logs"

    def matched(rule: str, period: int) -> MetricRef:
        return MetricRef("AWS/Events", "MatchedEvents", {"RuleName": rule}, "Sum", period=period)

    def glue(metric: str, stat: str) -> MetricRef:
        dims = {JOB_NAME: job, "JobRunId": "ALL", "Type": "count"}
        return MetricRef(GLUE_NAMESPACE, metric, dims, stat, period=300)

    return [
        AlarmSpec(
            "drift-job-duration",
            LATENCY,
            f"A run of the Spark drift job {job} is near its {timeout_minutes}-minute timeout.",
            where,
            "GreaterThanThreshold",
            {"m1": glue("glue.driver.aggregate.elapsedTime", "Maximum")},
            # milliseconds; 80% of the timeout leaves room to act before Glue stops the run
            threshold=timeout_minutes * 60_000 * 0.8,
            treat_missing="notBreaching",  # published only while a run runs
            evaluation=(1, 1),
            severity="warning",
        ),
        AlarmSpec(
            "drift-job-task-failures",
            ERRORS,
            f"Spark tasks of the drift job {job} failed (Glue retries them; a failed run "
            "pages as drift-job-failed).",
            where,
            "GreaterThanThreshold",
            {"m1": glue("glue.driver.aggregate.numFailedTasks", "Sum")},
            threshold=0,
            treat_missing="notBreaching",  # published only while a run runs
            evaluation=(1, 1),
            severity="warning",
        ),
        AlarmSpec(
            "drift-job-failed",
            ERRORS,
            f"A run of the Spark drift job {job} failed, timed out or hit an error.",
            where,
            "GreaterThanThreshold",
            {"m1": matched(failed_rule, 300)},
            threshold=0,
            # no failed run, no event: healthy; drift-job-not-run pages on silence
            treat_missing="notBreaching",
            evaluation=(1, 1),
            severity="high",
        ),
        AlarmSpec(
            "drift-job-not-run",
            QUALITY,
            f"The Spark drift job {job} ended no run within two schedule periods: its "
            "trigger is stopped or the job cannot start.",
            where,
            "LessThanThreshold",
            {"m1": matched(ended_rule, heartbeat_period(schedule_seconds))},
            threshold=1,
            treat_missing="breaching",
            evaluation=(1, 1),
            severity="high",
        ),
    ]


def model_quality_signal_specs(endpoint: str, schedule_seconds: int) -> list[AlarmSpec]:
    """The model-quality job's signals for one endpoint (Endpoint-only dimensions: they keep
    watching across model versions)."""
    dims = {mc.ENDPOINT_DIMENSION: endpoint}
    period = heartbeat_period(schedule_seconds)
    where = f"/aws/lambda of the model-quality job and the ground truth of {endpoint}"
    return [
        AlarmSpec(
            "not-enough-labels",
            QUALITY,
            f"Too few ground-truth labels joined the predictions of {endpoint} to score it, "
            "or the model-quality job did not run: its quality is unknown.",
            where,
            "GreaterThanOrEqualToThreshold",
            {
                "m1": MetricRef(
                    mc.MODEL_QUALITY_NAMESPACE,
                    mc.NOT_ENOUGH_LABELS.name,
                    dims,
                    "Maximum",
                    period=period,
                )
            },
            threshold=1,
            treat_missing="breaching",
            evaluation=(1, 1),
            severity="warning",
        ),
        AlarmSpec(
            "quality-malformed",
            QUALITY,
            f"The model-quality job could not read some capture or label records of {endpoint}.",
            where,
            "GreaterThanThreshold",
            {
                "m1": MetricRef(
                    mc.MODEL_QUALITY_NAMESPACE,
                    mc.MALFORMED_RECORDS.name,
                    dims,
                    "Sum",
                    period=period,
                )
            },
            threshold=0,
            treat_missing="notBreaching",  # not-enough-labels is the heartbeat
            evaluation=(1, 1),
            severity="warning",
        ),
    ]


def freshness_signal_specs(pipeline: str, schedule_seconds: int) -> list[AlarmSpec]:
    """The freshness job's verdict for one pipeline."""
    return [
        AlarmSpec(
            "data-stale",
            FRESHNESS,
            f"The newest output of {pipeline} is older than its interval plus grace, none was "
            "found, or the freshness job did not run.",
            f"the output location of {pipeline} and the freshness job's logs",
            "GreaterThanOrEqualToThreshold",
            {
                "m1": MetricRef(
                    mc.PIPELINE_NAMESPACE,
                    mc.DATA_STALE.name,
                    {mc.PIPELINE_DIMENSION: pipeline},
                    "Maximum",
                    period=heartbeat_period(schedule_seconds),
                )
            },
            threshold=1,
            treat_missing="breaching",
            evaluation=(1, 1),
            severity="high",
        )
    ]


@dataclass(frozen=True)
class SignalWorkload:
    """What ``create_alarm`` reads of a workload: its name and kind."""

    name: str
    kind: str


def create_signal_alarms(
    ctx: AlarmContext, workload: SignalWorkload, specs: Sequence[AlarmSpec]
) -> list[pulumi.Resource]:
    return [create_alarm(ctx, workload, spec) for spec in specs]
