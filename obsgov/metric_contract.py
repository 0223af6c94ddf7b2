"""The custom metrics obsgov's producers publish and its alarms watch: one contract, two sides.

Producers (pipelines through Embedded Metric Format log lines, the drift engine, the model-quality
job) and consumers (the member baseline's alarms, the dashboards) import the names from here, so
a metric cannot be published under one name and alarmed under another.

Dimensions are fixed per metric family: CloudWatch treats every distinct dimension set as a
separate metric, so an alarm matches a published value only when both use exactly these keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from obsgov.clock import utc_now

# --------------------------------------------------------------------------- dimension names

# The one name of each dimension the platform's metrics carry; the families below combine them.
ENDPOINT_DIMENSION = "Endpoint"
PIPELINE_DIMENSION = "Pipeline"
MODEL_VERSION_DIMENSION = "ModelVersion"
FEATURE_DIMENSION = "Feature"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a CloudWatch StandardUnit
    description: str


# --------------------------------------------------------------------------- pipelines

PIPELINE_NAMESPACE = "Obsgov/Pipelines"
PIPELINE_DIMENSIONS = (PIPELINE_DIMENSION,)

RECORDS_PROCESSED = Metric("RecordsProcessed", "Count", "Records a run wrote downstream.")
RECORDS_FAILED = Metric("RecordsFailed", "Count", "Records a run rejected or could not process.")
PROCESSING_TIME = Metric("ProcessingTime", "Milliseconds", "Wall-clock time of one run.")
RUN_SUCCEEDED = Metric("RunSucceeded", "Count", "1 per successful run: its absence is staleness.")
PIPELINE_METRICS = (RECORDS_PROCESSED, RECORDS_FAILED, PROCESSING_TIME, RUN_SUCCEEDED)

# Published by the platform's freshness job (obsgov.freshness) from the pipeline's output
# itself, not from the pipeline: a pipeline that stops printing its EMF line still shows here.
DATA_AGE = Metric("DataAge", "Seconds", "Age of the newest object or partition the pipeline wrote.")
DATA_STALE = Metric(
    "DataStale",
    "Count",
    "1 when the newest output is older than the pipeline's interval plus grace, or none was "
    "found; else 0.",
)
# Also the freshness job's: a hung Step Functions execution sends no ExecutionTime until it ends
# (and a standard workflow may run for a year), so the job counts RUNNING executions older
# than the pipeline's maxDurationMinutes (ListExecutions).
OVERDUE_EXECUTIONS = Metric(
    "OverdueExecutions",
    "Count",
    "Executions still RUNNING longer than the pipeline's maximum duration.",
)
FRESHNESS_METRICS = (DATA_AGE, DATA_STALE, OVERDUE_EXECUTIONS)

# Who publishes each family when nothing in the stack does: the deploy-readiness pack accepts
# such a metric as alive only with a named owner (the workload's account owner), and only for
# alarms that page when the metric goes missing. Data quality and model quality have none: the
# platform's own jobs publish them, so their alarms need those jobs deployed.
PRODUCERS = {
    PIPELINE_NAMESPACE: "the pipeline itself, one pipeline_run_line() EMF line per run",
}

# --------------------------------------------------------------------------- data quality and drift

DATA_QUALITY_NAMESPACE = "Obsgov/DataQuality"
# Exactly one of these names the monitored workload; FEATURE_DIMENSION is added per feature.
WORKLOAD_DIMENSIONS = (ENDPOINT_DIMENSION, PIPELINE_DIMENSION)

FEATURE_PSI = Metric("PSI", "None", "Population stability index against the baseline.")
FEATURE_KS = Metric("KSStatistic", "None", "Two-sample Kolmogorov-Smirnov statistic.")
FEATURE_JS = Metric("JensenShannonDistance", "None", "Jensen-Shannon distance (base 2).")
FEATURE_WASSERSTEIN = Metric("WassersteinDistance", "None", "Earth mover's distance.")
FEATURE_MISSING_CHANGE = Metric("MissingRateChange", "None", "Missing rate now minus baseline.")
FEATURE_METRICS = (FEATURE_PSI, FEATURE_KS, FEATURE_JS, FEATURE_WASSERSTEIN, FEATURE_MISSING_CHANGE)

DRIFTED_FEATURE_SHARE = Metric("DriftedFeatureShare", "Percent", "Share of features drifted.")
SCHEMA_VIOLATIONS = Metric("SchemaViolations", "Count", "Values breaking the declared schema.")
OUT_OF_RANGE_RATE = Metric("OutOfRangeRate", "Percent", "Numeric values outside the range.")
UNSEEN_CATEGORY_RATE = Metric("UnseenCategoryRate", "Percent", "Categories the baseline lacks.")
DUPLICATE_ROW_RATE = Metric("DuplicateRowRate", "Percent", "Rows that repeat an earlier row.")
ROWS_EVALUATED = Metric("RowsEvaluated", "Count", "Rows in the evaluated window.")
MALFORMED_RECORDS = Metric(
    "MalformedRecords", "Count", "Records (capture or label lines, files) that could not be read."
)
# Data that cannot be judged is never healthy: every run publishes NoData (1 for an empty or
# unreadable window, which then publishes no drift figure), so an alarm can tell "no drift"
# from "nothing to judge".
NO_DATA = Metric("NoData", "Count", "1 when the window held nothing that could be judged, else 0.")
# The engine's own verdict (obsgov.drift.engine), so the alarm, the job and `drift run` share
# one definition of a drifted dataset instead of each applying its own share threshold.
DATASET_DRIFT = Metric("DatasetDrift", "Count", "1 when the engine judged the dataset drifted.")
DATASET_METRICS = (
    DRIFTED_FEATURE_SHARE,
    DATASET_DRIFT,
    SCHEMA_VIOLATIONS,
    OUT_OF_RANGE_RATE,
    UNSEEN_CATEGORY_RATE,
    DUPLICATE_ROW_RATE,
    ROWS_EVALUATED,
    MALFORMED_RECORDS,
    NO_DATA,
)
# Published for every run, judged or not.
DATA_SIGNAL_METRICS = (ROWS_EVALUATED, MALFORMED_RECORDS, NO_DATA)

# --------------------------------------------------------------------------- model quality

MODEL_QUALITY_NAMESPACE = "Obsgov/ModelQuality"
MODEL_QUALITY_DIMENSIONS = (ENDPOINT_DIMENSION, MODEL_VERSION_DIMENSION)
# Every model-quality figure is also published with the endpoint alone: the model version is
# read from the endpoint at run time, and an alarm (which cannot SEARCH) must keep watching
# across releases without a platform deploy per model version.
MODEL_QUALITY_ALARM_DIMENSIONS = (ENDPOINT_DIMENSION,)

CLASSIFICATION_METRICS = tuple(
    Metric(n, "None", d)
    for n, d in (
        ("Accuracy", "Share of labelled predictions that were right."),
        ("Precision", "Positive predictions that were right."),
        ("Recall", "Positive labels that were found."),
        ("F1", "Harmonic mean of precision and recall."),
        ("AUC", "Area under the ROC curve."),
    )
)
# Multiclass figures as SageMaker Model Monitor names them (weighted_precision, ...): per-class
# figures averaged with each class's share of the labels as weight.
MULTICLASS_METRICS = tuple(
    Metric(n, "None", d)
    for n, d in (
        ("WeightedPrecision", "Per-class precision weighted by each class's label count."),
        ("WeightedRecall", "Per-class recall weighted by each class's label count."),
        ("WeightedF1", "Per-class F1 weighted by each class's label count."),
    )
)
REGRESSION_METRICS = tuple(
    Metric(n, "None", d)
    for n, d in (
        ("MAE", "Mean absolute error."),
        ("RMSE", "Root mean squared error."),
        ("MAPE", "Mean absolute percentage error."),
    )
)
LABELS_MISSING = Metric("LabelsMissing", "Count", "Predictions with no ground-truth label yet.")
LABELS_LATE = Metric(
    "LabelsLate", "Count", "Labels collected later than the label deadline after the inference."
)
LABELLED_PREDICTIONS = Metric("LabelledPredictions", "Count", "Predictions joined with a label.")
# Below the minimum sample size no quality figure is published: a handful of labels would
# swing the metric and the alarm on noise. This says so instead of going silent.
NOT_ENOUGH_LABELS = Metric(
    "NotEnoughLabels", "Count", "1 when fewer labels than the minimum joined a prediction."
)
QUALITY_SIGNAL_METRICS = (
    LABELLED_PREDICTIONS,
    LABELS_MISSING,
    LABELS_LATE,
    NOT_ENOUGH_LABELS,
    MALFORMED_RECORDS,
)

# --------------------------------------------------------------------------- Embedded Metric Format


def emf_line(
    namespace: str,
    dimensions: Mapping[str, str],
    values: Mapping[Metric, float],
    timestamp_ms: int | None = None,
) -> str:
    """One CloudWatch Embedded Metric Format log line publishing ``values`` under
    ``dimensions``. CloudWatch Logs extracts the metrics from the line; no PutMetricData call
    and no credentials are needed where the process already ships its logs."""
    if not dimensions:
        raise ValueError("EMF metrics need at least one dimension")
    for metric, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{metric.name} is {value}: CloudWatch accepts finite numbers only")
    document: dict = {
        "_aws": {
            "Timestamp": (
                int(utc_now().timestamp() * 1000) if timestamp_ms is None else timestamp_ms
            ),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": m.name, "Unit": m.unit} for m in values],
                }
            ],
        },
        **dict(dimensions),
        **{m.name: v for m, v in values.items()},
    }
    return json.dumps(document, sort_keys=True)


def pipeline_run_line(
    pipeline: str,
    *,
    records_processed: int,
    records_failed: int,
    processing_ms: float,
    succeeded: bool,
    timestamp_ms: int | None = None,
) -> str:
    """The EMF line a pipeline prints at the end of every run."""
    values = {
        RECORDS_PROCESSED: float(records_processed),
        RECORDS_FAILED: float(records_failed),
        PROCESSING_TIME: float(processing_ms),
        RUN_SUCCEEDED: 1.0 if succeeded else 0.0,
    }
    return emf_line(PIPELINE_NAMESPACE, {PIPELINE_DIMENSION: pipeline}, values, timestamp_ms)
