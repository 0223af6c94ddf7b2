import contextlib
import json

import boto3
import pytest
from moto import mock_aws

from obsgov_policies.approval_source import clear_caches

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def fresh_snapshot_cache():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def sagemaker(aws_credentials):
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)


def register(client, group, approval="Approved", metadata=None):
    with contextlib.suppress(client.exceptions.ClientError):
        client.create_model_package_group(ModelPackageGroupName=group)
    kwargs = dict(
        ModelPackageGroupName=group,
        ModelApprovalStatus=approval,
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    if metadata:
        kwargs["CustomerMetadataProperties"] = metadata
    return client.create_model_package(**kwargs)["ModelPackageArn"]


def write_snapshot(path, *packages):
    path.write_text(
        json.dumps(
            {
                "formatVersion": 1,
                "registryAccountId": "123456789012",
                "region": REGION,
                "packages": list(packages),
            }
        )
    )
    return str(path)


ARN = "arn:aws:sagemaker:eu-west-1:100000000002:model-package/fraud-scoring/12"


def package(arn=ARN, status="Approved", metadata=None, deployed=()):
    return {
        "arn": arn,
        "group": arn.split("/")[1],
        "version": int(arn.rsplit("/", 1)[1]),
        "approvalStatus": status,
        "metadata": metadata or {},
        "deployedEnvironments": list(deployed),
    }
