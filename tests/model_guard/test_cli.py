"""``obsgov models check`` runs the guard's rules from the command line, against moto."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from obsgov.cli import app

from .conftest import REGION

pytestmark = pytest.mark.usefixtures("wide_console")


def _check(*args):
    return CliRunner().invoke(app, ["models", "check", *args], env={"COLUMNS": "100"})


def _text(result) -> str:
    """The table's text without borders or line breaks: rich folds long cells at the width
    the console took when it was created, which another test may have set."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", result.output).split())


def test_a_package_that_breaks_the_rules_exits_1_with_each_failed_rule(registry):
    # prod's rules (stacks/Pulumi.prod.yaml): owner and training-data-version metadata,
    # auc >= 0.8, an approval description, promotion from staging.
    arn = registry.package(
        group="fraud-scoring",
        report_uri=registry.report(
            "fraud/1.json", {"binary_classification_metrics": {"auc": {"value": 0.71}}}
        ),
        metadata={"owner": "fraud-team"},
        description=None,
    )
    result = _check(arn, "--env", "prod")
    assert result.exit_code == 1, result.output
    text = _text(result)
    assert "missing customer metadata: training-data-version" in text
    assert "auc is 0.71, needs auc >= 0.8" in text
    assert "the approval has no description" in text
    assert "not approved in staging first" in text


def test_a_compliant_package_exits_0(registry):
    staging = registry.package(group="fraud-scoring-staging", lifecycle=("staging", "Approved"))
    arn = registry.package(
        group="fraud-scoring",
        report_uri=registry.report(
            "fraud/2.json", {"binary_classification_metrics": {"auc": {"value": 0.93}}}
        ),
        metadata={
            "owner": "fraud-team",
            "training-data-version": "v3",
            "source-model-package-arn": staging,
        },
    )
    result = _check(arn, "--env", "prod")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output


def test_a_malformed_arn_is_bad_input_before_any_aws_call(no_aws_credentials):
    result = _check("arn:aws:sagemaker:eu-west-1:1:model/x", "--env", "prod")
    assert result.exit_code == 2
    assert (
        "MODEL_PACKAGE_ARN: 'arn:aws:sagemaker:eu-west-1:1:model/x' is not a versioned"
        in result.output
    )


def test_aws_refusal_exits_4(registry):
    ghost = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/ghost/1"
    result = _check(ghost, "--env", "prod")
    assert result.exit_code == 4
    assert "AWS refused DescribeModelPackage" in result.output
