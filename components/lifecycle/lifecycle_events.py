"""The SageMaker lifecycle events obsgov watches, as EventBridge patterns.

Failures (training, processing, transform, tuning, pipelines) notify and are counted; records
(model package state changes and the CloudTrail record of approvals) are forwarded and archived.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SAGEMAKER = "aws.sagemaker"

# The documented SageMaker event types (detail-type) and the detail field with the status.
FAILURE_PATTERNS: dict[str, dict[str, Any]] = {
    "training-failed": {
        "detail-type": ["SageMaker Training Job State Change"],
        # Not "Stopped": a tuning job's early stopping stops the trials it judges unpromising,
        # which is the tuner working, not failing (SageMaker developer guide, "Stop Training
        # Jobs Early"); a real stop-by-hand is not a failure either.
        "detail": {"TrainingJobStatus": ["Failed"]},
    },
    "processing-failed": {
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {"ProcessingJobStatus": ["Failed"]},
    },
    "transform-failed": {
        "detail-type": ["SageMaker Transform Job State Change"],
        "detail": {"TransformJobStatus": ["Failed"]},
    },
    "tuning-failed": {
        "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
        "detail": {"HyperParameterTuningJobStatus": ["Failed"]},
    },
    "pipeline-failed": {
        "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {"currentPipelineExecutionStatus": ["Failed"]},
    },
}
RECORD_PATTERNS: dict[str, dict[str, Any]] = {
    "model-package-changes": {"detail-type": ["SageMaker Model Package State Change"]},
    "approval-calls": {
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["sagemaker.amazonaws.com"], "eventName": ["UpdateModelPackage"]},
    },
}
FAILURE_METRIC_NAMESPACE = "Obsgov/ModelLifecycle"
FAILURE_METRIC = "LifecycleFailures"


def event_pattern(kind: str, accounts: Sequence[str] = ()) -> dict[str, Any]:
    base = {**FAILURE_PATTERNS, **RECORD_PATTERNS}[kind]
    pattern = {"source": [SAGEMAKER], **base}
    if accounts:
        pattern["account"] = sorted(accounts)
    return pattern
