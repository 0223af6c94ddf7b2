"""Read a model package group's versions and their training jobs with boto3.

A version's training job is the one its ``MetadataProperties.GeneratedBy`` names when that is a
training job's ARN (the SDK sets it so), else the ``training-job`` customer metadata key. A
package a SageMaker Pipelines RegisterModel step registered names its pipeline execution in
``GeneratedBy`` instead (``arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>``):
its training job is then read from that execution's steps (ListPipelineExecutionSteps: a
Training step's ``Metadata.TrainingJob.Arn``, or a Tuning step's best training job,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelineExecutionSteps.html).
An execution with several training steps names none of them as the version's, so the choice is
left to the ``training-job`` key. Versions whose producer is unknown are listed with the gap
said, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from obsgov.model_guard.guard import read_quality_report
from obsgov.model_guard.rules import report_metrics

TRAINING_JOB_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:training-job/(.+)$")
TRAINING_JOB_KEY = "training-job"
PIPELINE_EXECUTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:pipeline/[^/]+/execution/[^/]+$"
)
TUNING_JOB_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:hyper-parameter-tuning-job/(.+)$"
)


@dataclass
class TrainingRun:
    name: str
    status: str = ""
    hyperparameters: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # channel -> S3 URI
    final_metrics: dict[str, float] = field(default_factory=dict)
    image: str = ""


@dataclass
class VersionRecord:
    arn: str
    version: int
    approval_status: str
    approval_description: str
    created: datetime | None
    images: list[str]
    metadata: dict[str, str]
    report_metrics: dict[str, float]
    report_note: str | None
    training: TrainingRun | None
    training_note: str | None
    # The model lifecycle stage, the promotion state the approval guard reads ("" when none).
    stage: str = ""
    stage_status: str = ""
    # The SageMaker Pipelines execution that registered the version ("" when none did).
    pipeline_execution: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "version": self.version,
            "approvalStatus": self.approval_status,
            "approvalDescription": self.approval_description,
            "created": self.created.isoformat() if self.created else None,
            "images": self.images,
            "metadata": self.metadata,
            "modelMetrics": self.report_metrics,
            "modelMetricsNote": self.report_note,
            "training": None
            if self.training is None
            else {
                "name": self.training.name,
                "status": self.training.status,
                "hyperparameters": self.training.hyperparameters,
                "inputs": self.training.inputs,
                "finalMetrics": self.training.final_metrics,
                "image": self.training.image,
            },
            "trainingNote": self.training_note,
            "pipelineExecution": self.pipeline_execution or None,
            "lifecycle": {"stage": self.stage, "stageStatus": self.stage_status}
            if self.stage
            else None,
        }


def _pages(sagemaker: Any, group: str) -> Iterator[Mapping[str, Any]]:
    paginator = sagemaker.get_paginator("list_model_packages")
    for page in paginator.paginate(ModelPackageGroupName=group, ModelPackageType="Versioned"):
        yield from page.get("ModelPackageSummaryList", [])


def training_job_name(package: Mapping[str, Any]) -> str | None:
    generated_by = (package.get("MetadataProperties") or {}).get("GeneratedBy", "")
    match = TRAINING_JOB_ARN.match(generated_by or "")
    if match:
        return match.group(1)
    named = (package.get("CustomerMetadataProperties") or {}).get(TRAINING_JOB_KEY)
    return named or None


def pipeline_execution_arn(package: Mapping[str, Any]) -> str | None:
    """The pipeline execution that registered ``package``, when a Pipelines step did."""
    generated_by = (package.get("MetadataProperties") or {}).get("GeneratedBy", "") or ""
    return generated_by if PIPELINE_EXECUTION_ARN.match(generated_by) else None


def pipeline_training_job(sagemaker: Any, execution_arn: str) -> tuple[str | None, str | None]:
    """(training job name, None) from the execution's one Training step, or its Tuning step's
    best training job; (None, why) when the steps name none or several."""
    trained: list[str] = []
    tuned: list[str] = []
    for page in sagemaker.get_paginator("list_pipeline_execution_steps").paginate(
        PipelineExecutionArn=execution_arn
    ):
        for step in page.get("PipelineExecutionSteps", []):
            metadata = step.get("Metadata") or {}
            match = TRAINING_JOB_ARN.match((metadata.get("TrainingJob") or {}).get("Arn", ""))
            if match:
                trained.append(match.group(1))
            match = TUNING_JOB_ARN.match((metadata.get("TuningJob") or {}).get("Arn", ""))
            if match:
                tuned.append(match.group(1))
    if len(trained) == 1 and not tuned:
        return trained[0], None
    if len(tuned) == 1 and not trained:
        job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuned[0])
        best = (job.get("BestTrainingJob") or {}).get("TrainingJobName")
        if best:
            return best, None
        return None, f"tuning job {tuned[0]} of {execution_arn} has no best training job"
    jobs = sorted(trained + tuned)
    if not jobs:
        return None, f"pipeline execution {execution_arn} ran no training or tuning step"
    return None, (
        f"pipeline execution {execution_arn} ran {len(jobs)} training/tuning jobs "
        f"({', '.join(jobs)}); name this version's in the {TRAINING_JOB_KEY} metadata key"
    )


def training_run(sagemaker: Any, name: str) -> TrainingRun:
    job = sagemaker.describe_training_job(TrainingJobName=name)
    inputs = {}
    for channel in job.get("InputDataConfig") or []:
        uri = ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
        if uri:
            inputs[channel.get("ChannelName", "")] = uri
    return TrainingRun(
        name=name,
        status=job.get("TrainingJobStatus", ""),
        hyperparameters=dict(job.get("HyperParameters") or {}),
        inputs=inputs,
        final_metrics={
            m["MetricName"]: float(m["Value"])
            for m in job.get("FinalMetricDataList") or []
            if "MetricName" in m and "Value" in m
        },
        image=(job.get("AlgorithmSpecification") or {}).get("TrainingImage", ""),
    )


def version_record(sagemaker: Any, s3: Any, arn: str) -> VersionRecord:
    from botocore.exceptions import ClientError

    package = sagemaker.describe_model_package(ModelPackageName=arn)
    report, note = read_quality_report(s3, package)
    training = None
    training_note = None
    name = training_job_name(package)
    execution = pipeline_execution_arn(package)
    if name is None and execution is not None:
        try:
            name, training_note = pipeline_training_job(sagemaker, execution)
        except ClientError as exc:
            training_note = (
                f"pipeline execution {execution} cannot be read "
                f"({exc.response.get('Error', {}).get('Code')})"
            )
    if name is None:
        training_note = training_note or (
            "no training job recorded (MetadataProperties.GeneratedBy)"
        )
    else:
        try:
            training = training_run(sagemaker, name)
        except ClientError as exc:
            training_note = (
                f"training job {name} cannot be described "
                f"({exc.response.get('Error', {}).get('Code')})"
            )
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    lifecycle = package.get("ModelLifeCycle") or {}
    return VersionRecord(
        arn=arn,
        version=int(package.get("ModelPackageVersion") or 0),
        approval_status=package.get("ModelApprovalStatus", ""),
        approval_description=package.get("ApprovalDescription", "") or "",
        created=package.get("CreationTime"),
        images=[c.get("Image", "") for c in containers],
        metadata=dict(package.get("CustomerMetadataProperties") or {}),
        report_metrics=report_metrics(report) if report is not None else {},
        report_note=note,
        training=training,
        training_note=training_note,
        stage=str(lifecycle.get("Stage") or ""),
        stage_status=str(lifecycle.get("StageStatus") or ""),
        pipeline_execution=execution or "",
    )


def history(sagemaker: Any, s3: Any, group: str) -> list[VersionRecord]:
    """Every version of ``group``, oldest first."""
    arns = [s["ModelPackageArn"] for s in _pages(sagemaker, group)]
    records = [version_record(sagemaker, s3, arn) for arn in arns]
    return sorted(records, key=lambda r: r.version)


@dataclass(frozen=True)
class Change:
    # metrics | hyperparameters | data | image | metadata | pipeline | approval (and stage)
    area: str
    key: str
    before: Any
    after: Any


def _mapping_changes(
    area: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Change]:
    return [
        Change(area, key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def diff(old: VersionRecord, new: VersionRecord) -> list[Change]:
    """What changed from ``old`` to ``new``: model and training metrics, hyperparameters, input
    data, container images, customer metadata and approval."""
    old_training, new_training = old.training or TrainingRun(""), new.training or TrainingRun("")
    changes = _mapping_changes("metrics", old.report_metrics, new.report_metrics)
    changes += _mapping_changes(
        "metrics",
        {f"training:{k}": v for k, v in old_training.final_metrics.items()},
        {f"training:{k}": v for k, v in new_training.final_metrics.items()},
    )
    changes += _mapping_changes(
        "hyperparameters", old_training.hyperparameters, new_training.hyperparameters
    )
    changes += _mapping_changes("data", old_training.inputs, new_training.inputs)
    changes += _mapping_changes(
        "image",
        {str(i): v for i, v in enumerate(old.images)},
        {str(i): v for i, v in enumerate(new.images)},
    )
    changes += _mapping_changes("metadata", old.metadata, new.metadata)
    if old.approval_status != new.approval_status:
        changes.append(Change("approval", "status", old.approval_status, new.approval_status))
    if old.pipeline_execution != new.pipeline_execution:
        changes.append(
            Change(
                "pipeline",
                "execution",
                old.pipeline_execution or None,
                new.pipeline_execution or None,
            )
        )
    for key, before, after in (
        ("stage", old.stage, new.stage),
        ("stage status", old.stage_status, new.stage_status),
    ):
        if before != after:
            changes.append(Change("approval", key, before or None, after or None))
    return changes
