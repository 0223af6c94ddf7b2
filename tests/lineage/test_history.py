"""Model lineage read from a moto registry: versions, training jobs, metrics, and diffs."""

from __future__ import annotations

import contextlib
import json

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.lineage.history import diff, history, training_job_name


def _training_job(registry, name, *, eta, data, auc=None):
    sm = registry.clients.sagemaker
    sm.create_training_job(
        TrainingJobName=name,
        RoleArn="arn:aws:iam::123456789012:role/train",
        AlgorithmSpecification={
            "TrainingImage": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgb:1",
            "TrainingInputMode": "File",
        },
        OutputDataConfig={"S3OutputPath": "s3://models/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={"eta": eta, "depth": "6"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data}},
            }
        ],
    )
    return sm.describe_training_job(TrainingJobName=name)["TrainingJobArn"]


def _version(registry, group, job_arn, auc, image="churn:7"):
    sm = registry.clients.sagemaker
    with contextlib.suppress(sm.exceptions.ClientError):
        sm.create_model_package_group(ModelPackageGroupName=group)
    report = registry.report(
        f"{group}/{auc}.json", {"binary_classification_metrics": {"auc": {"value": auc}}}
    )
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        MetadataProperties={"GeneratedBy": job_arn},
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report}}
        },
        InferenceSpecification={
            "Containers": [{"Image": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/{image}"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    return arn


@pytest.fixture
def churn(registry):
    first = _training_job(registry, "churn-2026-10", eta="0.3", data="s3://data/churn/2026-10/")
    second = _training_job(registry, "churn-2026-11", eta="0.1", data="s3://data/churn/2026-11/")
    _version(registry, "churn", first, 0.81)
    arn = _version(registry, "churn", second, 0.86, image="churn:8")
    registry.clients.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="better auc"
    )
    return registry


def test_history_lists_versions_with_training_runs_and_metrics(churn):
    records = history(churn.clients.sagemaker, churn.clients.s3, "churn")
    assert [r.version for r in records] == [1, 2]
    first, second = records
    assert first.training is not None
    assert first.training.name == "churn-2026-10"
    assert first.training.hyperparameters == {"eta": "0.3", "depth": "6"}
    assert first.training.inputs == {"train": "s3://data/churn/2026-10/"}
    assert first.report_metrics == {"auc": 0.81}
    assert second.report_metrics == {"auc": 0.86}
    assert (second.approval_status, second.approval_description) == ("Approved", "better auc")


def test_diff_names_each_changed_area(churn):
    old, new = history(churn.clients.sagemaker, churn.clients.s3, "churn")
    changes = {(c.area, c.key): (c.before, c.after) for c in diff(old, new)}
    assert changes[("metrics", "auc")] == (0.81, 0.86)
    assert changes[("hyperparameters", "eta")] == ("0.3", "0.1")
    assert changes[("data", "train")] == ("s3://data/churn/2026-10/", "s3://data/churn/2026-11/")
    assert changes[("image", "0")] == (
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:7",
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:8",
    )
    assert changes[("approval", "status")] == ("PendingManualApproval", "Approved")
    assert ("hyperparameters", "depth") not in changes


def test_history_follows_every_page():
    import boto3
    from botocore.stub import Stubber

    from obsgov.lineage.history import _pages

    client = boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    summary = {
        "ModelPackageGroupName": "g",
        "ModelPackageStatus": "Completed",
        "CreationTime": "2026-01-01T00:00:00Z",
    }
    with Stubber(client) as stub:
        stub.add_response(
            "list_model_packages",
            {
                "ModelPackageSummaryList": [
                    {
                        **summary,
                        "ModelPackageArn": "arn:aws:sagemaker:eu-west-1:1:model-package/g/1",
                    }
                ],
                "NextToken": "page-2",
            },
            {"ModelPackageGroupName": "g", "ModelPackageType": "Versioned"},
        )
        stub.add_response(
            "list_model_packages",
            {
                "ModelPackageSummaryList": [
                    {
                        **summary,
                        "ModelPackageArn": "arn:aws:sagemaker:eu-west-1:1:model-package/g/2",
                    }
                ]
            },
            {"ModelPackageGroupName": "g", "ModelPackageType": "Versioned", "NextToken": "page-2"},
        )
        arns = [p["ModelPackageArn"] for p in _pages(client, "g")]
        stub.assert_no_pending_responses()
    assert arns == [
        "arn:aws:sagemaker:eu-west-1:1:model-package/g/1",
        "arn:aws:sagemaker:eu-west-1:1:model-package/g/2",
    ]


def test_unknown_producers_are_said_not_guessed(registry):
    sm = registry.clients.sagemaker
    sm.create_model_package_group(ModelPackageGroupName="orphan")
    sm.create_model_package(
        ModelPackageGroupName="orphan",
        InferenceSpecification={
            "Containers": [{"Image": "i:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    [record] = history(sm, registry.clients.s3, "orphan")
    assert record.training is None
    assert record.training_note == "no training job recorded (MetadataProperties.GeneratedBy)"
    assert record.report_note == "the package has no ModelMetrics.ModelQuality.Statistics report"
    assert training_job_name({"CustomerMetadataProperties": {"training-job": "tj-9"}}) == "tj-9"


def test_cli_history_and_diff(churn, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(app, ["models", "history", "churn", "--env", "dev", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [v["training"]["name"] for v in data] == ["churn-2026-10", "churn-2026-11"]
    table = CliRunner().invoke(app, ["models", "diff", "churn", "1", "2", "--env", "dev"])
    assert table.exit_code == 0, table.output
    assert "churn: v1 -> v2" in table.output
    assert "eta" in table.output
    missing = CliRunner().invoke(app, ["models", "diff", "churn", "1", "9", "--env", "dev"])
    assert missing.exit_code == 4
    assert "AWS refused DescribeModelPackage" in missing.output


@pytest.mark.parametrize(
    "group", ["", "-churn", "churn-", "churn_v2", "a" * 64, "arn:aws:sagemaker:x", "c h"]
)
def test_a_group_name_aws_would_refuse_is_bad_input(group, no_aws_credentials):
    # SageMaker's limits for ModelPackageGroupName (botocore's service model: 1-63 characters,
    # [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}); a botocore parameter error is not an AWS refusal.
    for args in (["history", "--", group], ["diff", "--", group, "1", "2"]):
        result = CliRunner().invoke(app, ["models", args[0], "--env", "dev", *args[1:]])
        assert result.exit_code == 2, (args, result.output)
        assert f"GROUP: {group!r} is not a model package group name" in result.output
        assert "Traceback" not in result.output


def test_history_and_diff_show_the_promotion_stage(churn):
    old, new = history(churn.clients.sagemaker, churn.clients.s3, "churn")
    churn.stage(new.arn, "staging")
    old, new = history(churn.clients.sagemaker, churn.clients.s3, "churn")
    assert (old.to_json()["lifecycle"], new.to_json()["lifecycle"]) == (
        None,
        {"stage": "staging", "stageStatus": "Approved"},
    )
    changes = {(c.area, c.key): (c.before, c.after) for c in diff(old, new)}
    assert changes[("approval", "stage")] == (None, "staging")
    listed = CliRunner().invoke(app, ["models", "history", "churn", "--env", "dev", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [v["lifecycle"] for v in json.loads(listed.output)] == [
        None,
        {"stage": "staging", "stageStatus": "Approved"},
    ]


# --------------------------------------------------------------------------- SageMaker Pipelines
# A RegisterModel step records the pipeline execution as the package's
# MetadataProperties.GeneratedBy; the execution's steps name their jobs
# (ListPipelineExecutionSteps: Metadata.TrainingJob.Arn, Metadata.TuningJob.Arn,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelineExecutionSteps.html).
# moto has no ListPipelineExecutionSteps: its pages come from botocore's Stubber, which checks
# each response against SageMaker's service model; everything else is moto's registry.

EXECUTION = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-train/execution/abc123"


class PipelineSteps:
    """The moto SageMaker client, with ListPipelineExecutionSteps answered by a stubbed client."""

    def __init__(self, sagemaker, steps):
        self._sagemaker, self._steps = sagemaker, steps

    def __getattr__(self, name):
        return getattr(self._sagemaker, name)

    def get_paginator(self, operation):
        client = self._steps if operation == "list_pipeline_execution_steps" else self._sagemaker
        return client.get_paginator(operation)


def _steps_client(*pages):
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    for i, steps in enumerate(pages):
        response = {"PipelineExecutionSteps": steps}
        expected = {"PipelineExecutionArn": EXECUTION}
        if i + 1 < len(pages):
            response["NextToken"] = f"page-{i + 2}"
        if i:
            expected["NextToken"] = f"page-{i + 1}"
        stub.add_response("list_pipeline_execution_steps", response, expected)
    stub.activate()
    return client, stub


def _step(name, kind, arn):
    return {
        "StepName": name,
        "StepStatus": "Succeeded",
        "Metadata": {kind: {"Arn": arn}},
    }


def test_a_version_registered_by_a_pipeline_finds_its_training_job_in_the_steps(registry):
    sm = registry.clients.sagemaker
    job = _training_job(registry, "churn-pipeline-train", eta="0.2", data="s3://d/2026-12/")
    _version(registry, "churn", EXECUTION, 0.9)
    steps, stub = _steps_client(
        [_step("Preprocess", "ProcessingJob", job.replace("training-job", "processing-job"))],
        [_step("Train", "TrainingJob", job), _step("Register", "RegisterModel", "x")],
    )
    [record] = history(PipelineSteps(sm, steps), registry.clients.s3, "churn")
    stub.assert_no_pending_responses()
    assert record.pipeline_execution == EXECUTION
    assert record.training is not None
    assert (record.training.name, record.training.hyperparameters["eta"]) == (
        "churn-pipeline-train",
        "0.2",
    )
    assert record.training.inputs == {"train": "s3://d/2026-12/"}
    assert record.training_note is None
    assert record.to_json()["pipelineExecution"] == EXECUTION


def test_an_execution_with_several_training_steps_names_none_of_them(registry):
    sm = registry.clients.sagemaker
    first = _training_job(registry, "churn-a", eta="0.1", data="s3://d/a/")
    second = _training_job(registry, "churn-b", eta="0.3", data="s3://d/b/")
    _version(registry, "churn", EXECUTION, 0.9)
    steps, _ = _steps_client(
        [_step("TrainA", "TrainingJob", first), _step("TrainB", "TrainingJob", second)]
    )
    [record] = history(PipelineSteps(sm, steps), registry.clients.s3, "churn")
    assert record.training is None
    assert record.training_note == (
        f"pipeline execution {EXECUTION} ran 2 training/tuning jobs (churn-a, churn-b); name "
        "this version's in the training-job metadata key"
    )


def test_diff_names_the_pipeline_execution_that_changed(registry):
    sm = registry.clients.sagemaker
    job = _training_job(registry, "churn-old", eta="0.1", data="s3://d/a/")
    _version(registry, "churn", job, 0.8)
    _version(registry, "churn", EXECUTION, 0.9)
    steps, _ = _steps_client([_step("Train", "TrainingJob", job)])
    old, new = history(PipelineSteps(sm, steps), registry.clients.s3, "churn")
    assert ("pipeline", "execution", None, EXECUTION) in {
        (c.area, c.key, c.before, c.after) for c in diff(old, new)
    }
