"""Fixtures: a moto registry account with an S3 quality report, a topic and CloudWatch.

The registry keeps model lifecycle stages (:mod:`.registry_lifecycle` adds what moto lacks),
also for clients the CLI creates from its own boto3 sessions. moto stamps LastModifiedTime
from the clock, so the registry runs at a fixed instant that a test moves on with
:meth:`Registry.tick` when it needs two modifications to be told apart.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from obsgov.model_guard.guard import Clients

from .registry_lifecycle import RegistryLifecycle

REGION = "eu-west-1"
BUCKET = "obsgov-model-metrics"
START = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
# The guard's role session as STS names it in the function (and CloudTrail names its calls).
GUARD = "arn:aws:sts::123456789012:assumed-role/obsgov-prod-model-guard/obsgov-prod-model-guard"
STAGING_APPROVER = "arn:aws:sts::123456789012:assumed-role/MLApprovers/carol"


@dataclass
class Registry:
    clients: Clients
    topic_arn: str
    queue_url: str
    clock: Any = field(default=None, repr=False)

    def tick(self, seconds: float = 1) -> None:
        """Move the registry's clock on, so the next modification has a later time."""
        self.clock.shift(timedelta(seconds=seconds))

    def stage(self, arn: str, stage: str, status: str = "Approved") -> None:
        """Write the package's model lifecycle stage (as an allowed approver would)."""
        self.clients.sagemaker.update_model_package(
            ModelPackageArn=arn, ModelLifeCycle={"Stage": stage, "StageStatus": status}
        )

    def report(self, key: str, document: object) -> str:
        body = document if isinstance(document, (bytes, str)) else json.dumps(document)
        self.clients.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return f"s3://{BUCKET}/{key}"

    def package(
        self,
        group: str = "churn",
        *,
        report_uri: str | None = None,
        metadata: dict | None = None,
        status: str = "Approved",
        description: str | None = "validated on holdout set 2026-11",
        lifecycle: tuple[str, str] | None = None,
        image: str = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:7",
    ) -> str:
        sm = self.clients.sagemaker
        with contextlib.suppress(sm.exceptions.ClientError):
            sm.create_model_package_group(ModelPackageGroupName=group)
        args: dict = dict(
            ModelPackageGroupName=group,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": image}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )
        if report_uri:
            args["ModelMetrics"] = {
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": report_uri}
                }
            }
        if lifecycle is not None:
            args["ModelLifeCycle"] = {"Stage": lifecycle[0], "StageStatus": lifecycle[1]}
        arn = sm.create_model_package(**args)["ModelPackageArn"]
        update: dict = {"ModelPackageArn": arn, "ModelApprovalStatus": status}
        if description is not None:
            update["ApprovalDescription"] = description
        if metadata:
            update["CustomerMetadataProperties"] = metadata
        sm.update_model_package(**update)
        return arn

    def notifications(self) -> list[str]:
        sqs = boto3.client("sqs", region_name=REGION)
        found = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"])["Message"] for m in found.get("Messages", [])]


@pytest.fixture
def registry(aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws(), time_machine.travel(START, tick=False) as clock:
        lifecycle = RegistryLifecycle(boto3.Session().client("sagemaker", region_name=REGION))
        # every session made from here on (the CLI's own too) keeps lifecycle stages
        created = boto3.session.Session.__init__

        def hooked(session, *args, **kwargs):
            created(session, *args, **kwargs)
            lifecycle.install(session._session.get_component("event_emitter"))

        monkeypatch.setattr(boto3.session.Session, "__init__", hooked)
        clients = Clients(
            sagemaker=boto3.client("sagemaker", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            sns=boto3.client("sns", region_name=REGION),
            cloudwatch=boto3.client("cloudwatch", region_name=REGION),
        )
        clients.identity = GUARD
        clients.s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        topic = clients.sns.create_topic(Name="obsgov-prod-alarms")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="oncall")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        clients.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield Registry(clients, topic, queue, clock)


@pytest.fixture
def wide_console(monkeypatch):
    """The CLI's console takes its width once, when it is created (rich reads COLUMNS then):
    tables that fold long cells are read at a width that keeps each detail on one line."""
    from obsgov.cli import common

    monkeypatch.setattr(common.out, "_width", 250)
