"""``stacks/accounts.yaml``: member accounts and their workloads.

A workload kind is one model here, a member of :data:`WorkloadModel`, holding what config needs
to know about the kind (its fields, default log groups and critical-event patterns, the tags it
supplies, whether it can drive a KPI); what the program builds for it is its entry in
``components.workload_kinds.WORKLOAD_KINDS``.

Facts that describe one workload (its log groups, critical-event patterns, tracing, SLOs) are
validated here, entry by entry; rules across entries (a KPI's ``drivenBy`` naming a workload,
log groups unique per account) belong to the loader's cross-file rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from obsgov.metric_contract import CLASSIFICATION_METRICS, REGRESSION_METRICS

from ..aws_api import Api
from ..instance_types import InstanceType, lookup
from .suppressions import RegistrySuppression
from .types import (
    AccountId,
    Dimensions,
    Email,
    Environment,
    MetricName,
    Model,
    Namespace,
    ResourceName,
    TagValue,
    _aws,
)

Severity = Literal["critical", "high", "medium", "low"]


def _log_group_name(value: str) -> str:
    # CreateLogGroup: 1-512 characters of a-z, A-Z, 0-9, '_', '-', '/', '.', '#'.
    if not re.fullmatch(r"[\w\-/.#]{1,512}", value, flags=re.ASCII):
        raise ValueError(
            "must be 1-512 letters, digits or _ - / . # (a CloudWatch Logs log group name)"
        )
    return value


def _filter_term(value: str) -> str:
    # Each term becomes one ?"..." alternative of an unstructured filter pattern.
    if not value or len(value) > 200 or '"' in value or "\n" in value:
        raise ValueError("must be 1-200 characters without double quotes or line breaks")
    return value


LogGroupName = Annotated[str, AfterValidator(_log_group_name)]
FilterTerm = Annotated[str, AfterValidator(_filter_term)]

# PutMetricFilter accepts a filterPattern of at most 1024 characters.
_MAX_PATTERN = 1024


class _Workload(Model):
    """What every workload kind shares: where it runs and how it is watched."""

    # The organization tag schema's section (tagSchema.<section>) whose tags the kind's
    # resources carry, and for each of those tags the field supplying its value; config checks
    # the values against the schema so the tagging pack does not fail what obsgov deploys.
    tag_section: ClassVar[str | None] = None
    tag_fields: ClassVar[Mapping[str, str]] = {}
    # Whether a business KPI's drivenBy may name a workload of this kind.
    drives_kpis: ClassVar[bool] = False

    name: ResourceName
    account: str
    environment: Environment
    # Severity of the workload's composite "unhealthy" alarm, the one that pages.
    severity: Severity = "high"
    # None: the kind's default log groups (see ``log_group_names``); [] for none.
    log_groups: list[LogGroupName] | None = None
    # Who makes the workload's log groups. "create": this stack creates them (right for a
    # workload that has not run yet in its account). "adopt": they exist already (AWS creates
    # /aws/lambda/<fn> and /aws/sagemaker/Endpoints/<ep> when the workload first runs, and a
    # running state machine logs to a group that exists), so the stack imports them with
    # Pulumi's import option instead of calling CreateLogGroup, which would fail with
    # ResourceAlreadyExistsException. See docs/log-group-adoption.md.
    log_group: Literal["adopt", "create"] = "create"
    # Terms any of which marks a log line as a critical event; None: the kind's defaults.
    critical_event_patterns: list[FilterTerm] | None = None
    forward_logs: bool = True
    traced: bool = False

    @model_validator(mode="after")
    def _adopt_needs_groups(self) -> _Workload:
        if self.log_group == "adopt" and not self.log_group_names():
            raise ValueError(
                "logGroup is adopt but the workload has no log groups to adopt "
                "(set logGroups, or leave logGroup unset)"
            )
        return self

    @model_validator(mode="after")
    def _pattern_fits(self) -> _Workload:
        terms = self.critical_event_patterns
        if terms is not None and len(" ".join(f'?"{t}"' for t in terms)) > _MAX_PATTERN:
            raise ValueError(
                f"criticalEventPatterns make a filter pattern longer than "
                f"{_MAX_PATTERN} characters (the CloudWatch Logs limit)"
            )
        return self

    @classmethod
    def kind_name(cls) -> str:
        """The ``kind`` a registry entry of this model has."""
        (name,) = get_args(cls.model_fields["kind"].annotation)
        return str(name)

    def default_log_groups(self) -> list[str]:
        return []

    def default_critical_patterns(self) -> list[str]:
        return [
            "ERROR",
            "CRITICAL",
            "Traceback (most recent call last)",
            "OutOfMemoryError",
            "MemoryError",
        ]

    def log_group_names(self) -> list[str]:
        return list(self.default_log_groups() if self.log_groups is None else self.log_groups)

    def critical_patterns(self) -> list[str]:
        return list(
            self.default_critical_patterns()
            if self.critical_event_patterns is None
            else self.critical_event_patterns
        )


class EndpointSlo(Model):
    latency_p99_ms: Annotated[float, Field(gt=0)]
    error_rate_percent: Annotated[float, Field(gt=0, le=100)]
    client_error_rate_percent: Annotated[float, Field(gt=0, le=100)] = 5
    overhead_latency_p99_ms: Annotated[float, Field(gt=0)] = 50
    min_invocations_per_minute: Annotated[float, Field(ge=0)] | None = None
    # Per vCPU, as the other saturation limits default to alarmDefaults.
    max_cpu_percent: Annotated[float, Field(gt=0, le=100)] | None = None
    max_memory_percent: Annotated[float, Field(gt=0, le=100)] | None = None
    max_disk_percent: Annotated[float, Field(gt=0, le=100)] | None = None
    # Per GPU, as CPU is per vCPU: SageMaker sums GPUUtilization and GPUMemoryUtilization over
    # the instance's GPUs, so the alarms multiply these by the type's GPU count.
    max_gpu_percent: Annotated[float, Field(gt=0, le=100)] = 90
    max_gpu_memory_percent: Annotated[float, Field(gt=0, le=100)] = 90
    # The invocations one instance serves in a minute before it saturates (from a load test):
    # the InvocationsPerInstance alarm, real-time endpoints only (the only kind that publishes it).
    max_invocations_per_instance_per_minute: Annotated[float, Field(gt=0)] | None = None
    # Serverless endpoints: concurrent executions over MaxConcurrency (a fraction, as SageMaker
    # publishes ServerlessConcurrentExecutionsUtilization), and the slowest acceptable cold start.
    max_concurrency_utilization: Annotated[float, Field(gt=0, le=1)] = 0.9
    max_model_setup_seconds: Annotated[float, Field(gt=0)] = 60
    # Asynchronous endpoints: the oldest queued request's age, and the queue's length (None: no
    # backlog-size alarm; the age alarm already says the queue is not draining).
    max_backlog_age_seconds: Annotated[float, Field(gt=0)] = 900
    max_backlog_size: Annotated[float, Field(gt=0)] | None = None


_CLASSIFICATION = tuple(m.name for m in CLASSIFICATION_METRICS)
_REGRESSION = tuple(m.name for m in REGRESSION_METRICS)


class ModelQualityTarget(Model):
    """The model-quality metric (``obsgov.metric_contract``) the endpoint is held to."""

    metric: str
    threshold: float

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in _CLASSIFICATION + _REGRESSION:
            raise ValueError(f"must be one of {', '.join(_CLASSIFICATION + _REGRESSION)}")
        return metric

    @model_validator(mode="after")
    def _threshold_in_range(self) -> ModelQualityTarget:
        if self.metric in _CLASSIFICATION and not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold for {self.metric} must be between 0 and 1")
        if self.metric in _REGRESSION and self.threshold < 0:
            raise ValueError(f"threshold for {self.metric} must not be negative")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.metric in _CLASSIFICATION


S3Uri = Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$")]


class GroundTruth(Model):
    """Where an endpoint's captured predictions and their ground-truth labels land, for the
    scheduled model-quality job."""

    capture_uri: S3Uri
    labels_uri: S3Uri
    problem: Literal["binary", "regression"] = "binary"


# Glue 5.0 worker types for Spark jobs (AWS Glue API, Job.WorkerType:
# https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html)
GlueWorkerType = Literal["G.1X", "G.2X", "G.4X", "G.8X"]
# engine: auto judges a window on Spark above this many rows. At the single-machine engine's
# 305,653 rows per CPU second (50 features, docs/drift.md "Performance") a 20M-row window is
# about a minute of comparison; the rest of Lambda's 15 minutes is left to reading the window
# from S3, wider rows and capture parsing, with a tenfold margin.
SPARK_ABOVE_ROWS = 20_000_000


class DriftJob(Model):
    """How a workload's drift job runs (docs/drift.md, "Deploying the Spark engine").

    ``engine``: ``lambda`` (the default: the scheduled zip function), ``spark`` (an AWS Glue 5.0
    job reading the pipeline's output prefix in place), or ``auto``: ``spark`` when
    ``windowRows``, the rows one window is expected to hold, is above ``sparkAboveRows``,
    else ``lambda``. The choice is made when the program runs, from config, so a preview shows
    the job that will be deployed. The Glue settings apply to ``spark`` only."""

    engine: Literal["lambda", "spark", "auto"] = "lambda"
    window_rows: Annotated[int, Field(gt=0)] | None = None
    spark_above_rows: Annotated[int, Field(gt=0)] = SPARK_ABOVE_ROWS
    # None: driftMonitoring.schedule. Glue triggers take cron(); a rate converts (glue_cron).
    schedule: str | None = None
    # how the Spark job reads the output prefix (spark_job.py --format)
    data_format: Literal["parquet", "csv", "jsonl"] = "parquet"
    worker_type: GlueWorkerType = "G.1X"
    # Glue: at least 2 workers for G.1X and above (one runs the driver)
    number_of_workers: Annotated[int, Field(ge=2, le=299)] = 2
    timeout_minutes: Annotated[int, Field(ge=1, le=2880)] = 120

    @model_validator(mode="after")
    def _auto_needs_the_window_size(self) -> DriftJob:
        if self.engine == "auto" and self.window_rows is None:
            raise ValueError(
                "windowRows is required when engine is auto: the rows one window is expected "
                f"to hold choose spark above sparkAboveRows ({self.spark_above_rows}), "
                "else lambda"
            )
        if self.schedule is not None:
            from .settings import glue_cron, rate_seconds

            if self.chosen == "spark":
                glue_cron(self.schedule)  # raises ValueError naming what converts
            elif not self.schedule.startswith(("rate(", "cron(")):
                raise ValueError("schedule must be rate(...) or cron(...)")
            rate_seconds(self.schedule)
        return self

    @property
    def chosen(self) -> Literal["lambda", "spark"]:
        """The engine the program deploys."""
        if self.engine == "auto":
            assert self.window_rows is not None
            return "spark" if self.window_rows > self.spark_above_rows else "lambda"
        return self.engine


class MlEndpoint(_Workload):
    tag_section = "mlResources"
    tag_fields = {"model-id": "modelId", "model-version": "modelVersion"}
    drives_kpis = True

    kind: Literal["ml-endpoint"]
    model_id: str
    model_version: str
    model_package_group: ResourceName
    variant_name: str = "AllTraffic"
    # How SageMaker serves it; each kind publishes its own metrics (see endpoint_alarms).
    inference: Literal["real-time", "serverless", "asynchronous"] = "real-time"
    # The variant's instance type, a row of obsgov/config/sagemaker_instance_types.yaml: its
    # vCPU and GPU counts size the saturation alarms. Required unless serverless (which runs
    # on no instance type of yours).
    instance_type: str | None = Field(default=None, validate_default=True)
    drift_monitoring: bool = True
    model_quality: ModelQualityTarget | None = None
    ground_truth: GroundTruth | None = None
    drift_job: DriftJob = Field(default_factory=DriftJob)
    slo: EndpointSlo

    @field_validator("instance_type")
    @classmethod
    def _known_instance_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        serverless = info.data.get("inference") == "serverless"
        if value is None:
            if serverless:
                return None
            raise ValueError(
                "is required for a real-time or asynchronous endpoint (an instance type such "
                "as ml.m5.xlarge: its vCPUs and GPUs size the saturation alarms)"
            )
        if serverless:
            raise ValueError("must not be set for a serverless endpoint (it has no instances)")
        lookup(value)
        return value

    @property
    def instance(self) -> InstanceType | None:
        """The instance type's row of the shipped table; None for a serverless endpoint."""
        return lookup(self.instance_type) if self.instance_type else None

    @field_validator("drift_job")
    @classmethod
    def _capture_is_read_by_lambda(cls, job: DriftJob) -> DriftJob:
        if job.chosen != "lambda":
            raise ValueError(
                "engine must be lambda for an endpoint: the Spark job reads Parquet, CSV or "
                "JSON Lines datasets, and SageMaker data capture is read by the lambda engine"
            )
        return job

    def default_log_groups(self) -> list[str]:
        return [f"/aws/sagemaker/Endpoints/{self.name}"]

    def default_critical_patterns(self) -> list[str]:
        return [*super().default_critical_patterns(), "Failed to load model", "ModelLoadError"]


class PipelineSlo(Model):
    max_duration_minutes: Annotated[int, Field(gt=0, le=2880)]
    max_failed_runs: Annotated[int, Field(ge=0)] = 0
    max_error_rate_percent: Annotated[float, Field(gt=0, le=100)] = 5


class EtlPipeline(_Workload):
    tag_section = "pipelines"
    tag_fields = {"pipeline": "name"}
    drives_kpis = True

    kind: Literal["etl-pipeline"]
    engine: Literal["glue", "step-functions", "lambda"]
    # Freshness: a successful run is expected at least this often (at most a week, the
    # longest window a CloudWatch alarm can evaluate).
    schedule_interval_minutes: Annotated[int, Field(ge=1, le=10080)] = 1440
    data_quality_monitoring: bool = False
    # s3://bucket/prefix/ of the pipeline's output, read by its drift and freshness jobs;
    # default: datasets/<pipeline>/ in the account's monitoring bucket
    dataset_location: S3Uri | None = None
    # Freshness: the output is stale once its newest object is older than the schedule
    # interval plus this grace; its key layout (dt=%Y-%m-%d/) lets the job list recent keys only
    freshness_grace_minutes: Annotated[int, Field(ge=0, le=10080)] = 30
    output_layout: str | None = None
    drift_job: DriftJob = Field(default_factory=DriftJob)
    slo: PipelineSlo

    @field_validator("slo")
    @classmethod
    def _engine_limits(cls, slo: PipelineSlo, info: ValidationInfo) -> PipelineSlo:
        if info.data.get("engine") == "lambda" and slo.max_duration_minutes > 15:
            raise ValueError(
                "maxDurationMinutes must be at most 15 for engine lambda "
                "(a Lambda invocation runs at most 15 minutes)"
            )
        return slo

    def default_critical_patterns(self) -> list[str]:
        terms = super().default_critical_patterns()
        if self.engine == "step-functions":
            # Step Functions logs execution history events by their type, never "ERROR":
            # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
            terms += ["ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]
        return terms

    def default_log_groups(self) -> list[str]:
        # Glue shares /aws-glue/jobs/output between jobs, so each job logs continuously to its
        # own group (--continuous-log-logGroup); Step Functions logs to a vended-logs group.
        return [
            {
                "glue": f"/aws-glue/jobs/{self.name}",
                "step-functions": f"/aws/vendedlogs/states/{self.name}",
                "lambda": f"/aws/lambda/{self.name}",
            }[self.engine]
        ]


class BusinessKpi(_Workload):
    kind: Literal["business-kpi"]
    namespace: Namespace
    metric_name: MetricName
    statistic: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = "Sum"
    dimensions: Dimensions = Field(default_factory=dict)
    alert_on: Literal["drop", "spike", "both"] = "both"
    lower_bound: float | None = None
    upper_bound: float | None = None
    # The ml-endpoint or etl-pipeline (by name, same account or not) whose output moves it.
    driven_by: ResourceName | None = None

    @model_validator(mode="after")
    def _bounds_ordered(self) -> BusinessKpi:
        if (
            self.lower_bound is not None
            and self.upper_bound is not None
            and self.lower_bound >= self.upper_bound
        ):
            raise ValueError("lowerBound must be less than upperBound")
        return self

    def default_critical_patterns(self) -> list[str]:
        return []


# Every workload kind's model: a new kind is added here (and in components.workload_kinds).
WorkloadModel = MlEndpoint | EtlPipeline | BusinessKpi
Workload = Annotated[WorkloadModel, Field(discriminator="kind")]


# CreateAccount's parameters in botocore's Organizations model
_CREATE_ACCOUNT_NAME = Api("organizations", "CreateAccountRequest", "AccountName")
_CREATE_ACCOUNT_EMAIL = Api("organizations", "CreateAccountRequest", "Email")


class MemberAccount(Model):
    id: AccountId
    # AWS account names hold at most 50 characters and emails 64 (CreateAccount).
    name: Annotated[ResourceName, _aws(_CREATE_ACCOUNT_NAME.problem)]
    email: Annotated[Email, _aws(_CREATE_ACCOUNT_EMAIL.problem)]
    environment: Environment
    organizational_unit: str
    owner: Email
    cost_centre: TagValue
    data_classification: TagValue = "internal"
    tags: dict[str, str] = Field(default_factory=dict)


class AccountsRegistry(Model):
    accounts: list[MemberAccount] = Field(min_length=1)
    workloads: list[Workload] = Field(default_factory=list)
    # accepted findings of one workload's or account's resources (obsgov.config.models.suppressions)
    suppressions: list[RegistrySuppression] = Field(default_factory=list)

    @model_validator(mode="after")
    def _suppressions_name_entries(self) -> AccountsRegistry:
        workloads = {w.name for w in self.workloads}
        accounts = {a.name for a in self.accounts}
        for s in self.suppressions:
            if s.workload is not None and s.workload not in workloads:
                raise ValueError(f"suppression of {s.policy}: no workload named {s.workload}")
            if s.account is not None and s.account not in accounts:
                raise ValueError(f"suppression of {s.policy}: no account named {s.account}")
        return self


WORKLOAD_MODELS: dict[str, type[_Workload]] = {
    model.kind_name(): model for model in get_args(WorkloadModel)
}
