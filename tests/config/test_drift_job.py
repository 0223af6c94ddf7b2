"""A workload's ``driftJob``: which engine runs its drift job (lambda, spark, or auto by the
window's expected rows), and the Glue settings of the Spark job. Errors name the registry file
and key path like every other config error.

Glue triggers take ``cron()`` only and refuse schedules more frequent than every 5 minutes
(AWS Glue Developer Guide, "Time-based schedules for jobs and crawlers":
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html); Glue 5.0
worker types (Job.WorkerType: https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html).
"""

from __future__ import annotations

import pytest

from obsgov.config.models.accounts import SPARK_ABOVE_ROWS, DriftJob
from obsgov.config.models.settings import glue_cron

from .test_errors import files, problems_of

ENDPOINT, PIPELINE = 0, 1  # the minimal scenario's workloads


def test_lambda_is_the_default_and_todays_behaviour(scenario):
    env = scenario().load()
    for workload in env.registry.workloads:
        job = getattr(workload, "drift_job", None)
        assert job is None or job.chosen == "lambda"


@pytest.mark.parametrize(
    ("rows", "engine"), [(SPARK_ABOVE_ROWS, "lambda"), (SPARK_ABOVE_ROWS + 1, "spark")]
)
def test_auto_chooses_spark_above_the_threshold(rows, engine):
    assert DriftJob(engine="auto", window_rows=rows).chosen == engine
    assert DriftJob(engine="auto", window_rows=rows, spark_above_rows=rows - 1).chosen == "spark"


def test_auto_needs_the_window_size(scenario):
    env = scenario()
    env.workloads[PIPELINE]["driftJob"] = {"engine": "auto"}
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[{PIPELINE}].driftJob: windowRows is required "
        "when engine is auto: the rows one window is expected to hold choose spark above "
        f"sparkAboveRows ({SPARK_ABOVE_ROWS}), else lambda"
    ]


def test_an_endpoints_capture_is_read_by_the_lambda_engine_only(scenario):
    env = scenario()
    env.workloads[ENDPOINT]["driftJob"] = {"engine": "spark"}
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[{ENDPOINT}].driftJob: engine must be lambda for "
        "an endpoint: the Spark job reads Parquet, CSV or JSON Lines datasets, and SageMaker "
        "data capture is read by the lambda engine"
    ]


def test_a_spark_schedule_glue_cannot_run_is_refused(scenario):
    env = scenario()
    env.workloads[PIPELINE]["driftJob"] = {"engine": "spark", "schedule": "rate(7 minutes)"}
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[{PIPELINE}].driftJob: 'rate(7 minutes)' has no "
        "Glue trigger schedule: use cron(...) or a rate of minutes dividing an hour (5 or "
        "more), hours dividing a day, or 1 day"
    ]


def test_glue_settings_are_checked_with_their_key_paths(scenario):
    env = scenario()
    env.workloads[PIPELINE]["driftJob"] = {
        "engine": "spark",
        "workerType": "G.9X",
        "numberOfWorkers": 1,
        "engin": "spark",
    }
    where = f"{files(env)['accounts']}: workloads[{PIPELINE}].driftJob"
    assert problems_of(env) == [
        f"{where}.workerType: must be one of G.1X, G.2X, G.4X, G.8X",
        f"{where}.numberOfWorkers: must be greater than or equal to 2",
        f"{where}.engin: is not a known key (did you mean engine?)",
    ]


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        ("rate(1 day)", "cron(0 0 * * ? *)"),
        ("rate(1 hour)", "cron(0 * * * ? *)"),
        ("rate(6 hours)", "cron(0 0/6 * * ? *)"),
        ("rate(15 minutes)", "cron(0/15 * * * ? *)"),
        ("cron(30 2 * * ? *)", "cron(30 2 * * ? *)"),
    ],
)
def test_glue_cron_converts_rates_that_fit_the_clock(expression, cron):
    assert glue_cron(expression) == cron


@pytest.mark.parametrize(
    "expression", ["rate(1 minute)", "rate(7 minutes)", "rate(5 hours)", "rate(2 days)", "daily"]
)
def test_glue_cron_refuses_what_a_glue_trigger_cannot_run(expression):
    with pytest.raises(ValueError, match="has no Glue trigger schedule"):
        glue_cron(expression)
