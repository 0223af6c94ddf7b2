"""Fixtures: a moto registry account with an S3 quality report, a topic and CloudWatch."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from obsgov.model_guard.guard import Clients

REGION = "eu-west-1"
BUCKET = "obsgov-model-metrics"


@dataclass
class Registry:
    clients: Clients
    topic_arn: str
    queue_url: str

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
    ) -> str:
        sm = self.clients.sagemaker
        try:
            sm.create_model_package_group(ModelPackageGroupName=group)
        except sm.exceptions.ClientError:
            pass
        args: dict = dict(
            ModelPackageGroupName=group,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:7"}],
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
    with mock_aws():
        clients = Clients(
            sagemaker=boto3.client("sagemaker", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            sns=boto3.client("sns", region_name=REGION),
            cloudwatch=boto3.client("cloudwatch", region_name=REGION),
        )
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
        yield Registry(clients, topic, queue)
