import json

import boto3
import pytest
from moto import mock_aws

from obsgov_policies.model_registry import clear_caches

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def fresh_snapshot_cache():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def aws_credentials(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def sagemaker(aws_credentials):
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)


def register(client, group, approval="Approved", metadata=None):
    try:
        client.create_model_package_group(ModelPackageGroupName=group)
    except client.exceptions.ClientError:
        pass
    kwargs = dict(
        ModelPackageGroupName=group,
        ModelApprovalStatus=approval,
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    if metadata:
        kwargs["CustomerMetadataProperties"] = metadata
    return client.create_model_package(**kwargs)["ModelPackageArn"]


def write_snapshot(path, *packages):
    path.write_text(json.dumps({"formatVersion": 1, "registryAccountId": "123456789012",
                                "region": REGION, "packages": list(packages)}))
    return str(path)


ARN = "arn:aws:sagemaker:eu-west-1:100000000002:model-package/fraud-scoring/12"


def package(arn=ARN, status="Approved", metadata=None, deployed=()):
    return {"arn": arn, "group": arn.split("/")[1], "version": int(arn.rsplit("/", 1)[1]),
            "approvalStatus": status, "metadata": metadata or {}, "deployedEnvironments": list(deployed)}
