"""How AWS's errors become exit codes (obsgov.cli.common.aws_errors): a request botocore
refuses before sending it is bad input, not an AWS refusal."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from obsgov.cli.common import EXIT_AWS, EXIT_INPUT, CommandFailed, aws_errors


def _failure(call) -> CommandFailed:
    with pytest.raises(CommandFailed) as caught, aws_errors():
        call()
    return caught.value


def test_a_parameter_botocore_refuses_is_bad_input():
    """botocore validates every request against the service model before sending it
    (botocore/validate.py, ParamValidator): an empty ModelPackageGroupName is below the
    model's min length 1 and no request is made, so AWS has refused nothing."""
    client = boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    failure = _failure(lambda: client.list_model_packages(ModelPackageGroupName=""))
    assert failure.code == EXIT_INPUT
    assert str(failure) == (
        "Parameter validation failed: Invalid length for parameter ModelPackageGroupName, "
        "value: 0, valid min length: 1"
    )


def test_a_region_name_that_cannot_be_one_is_bad_input():
    failure = _failure(lambda: boto3.client("sts", region_name="eu west 1"))
    assert failure.code == EXIT_INPUT
    assert "eu west 1" in str(failure)


def test_a_refusal_from_aws_stays_exit_4():
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListModelPackages")

    def refuse():
        raise error

    failure = _failure(refuse)
    assert failure.code == EXIT_AWS
    assert str(failure) == "AWS refused ListModelPackages: AccessDenied: no"
