"""Promotion state the package itself cannot forge, with prod's shipped rules (one registry
shared by staging and prod, ``promotionOrder: [staging, prod]``, the guard in prod).

The evidence that staging approved a package is its model lifecycle stage
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct.html), which
the approval being judged does not change: ``models check`` and the guard give the same answer
before and after someone sets ``ModelApprovalStatus`` to Approved.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.config.loader import load_environment
from obsgov.model_guard import handler as lambda_module
from obsgov.model_guard.guard import check_package

from ..support.environments import STACKS
from .conftest import GUARD
from .events_data import API_CALL

PROD_APPROVER = "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice"
GOOD = {"binary_classification_metrics": {"auc": {"value": 0.93}}}
METADATA = {"owner": "fraud-team", "training-data-version": "v3"}


pytestmark = pytest.mark.usefixtures("wide_console")


@pytest.fixture
def aws_credentials(aws_credentials, monkeypatch):
    """The registry is prod's: account 100000000002, as stacks/Pulumi.prod.yaml names it."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "100000000002")


def _prod_rules():
    env = load_environment("prod", STACKS / "Pulumi.prod.yaml")
    return env.settings.model_approval.guard_rules("prod")


def _check(arn):
    """Exit code and the table's text with its borders and line breaks gone (rich folds long
    cells over lines at whatever width the console took when it was created)."""
    result = CliRunner().invoke(app, ["models", "check", arn, "--env", "prod"])
    text = re.sub(r"[\u2500-\u257f]", " ", result.output)
    return result.exit_code, " ".join(text.split())


def _approve(registry, arn):
    registry.tick()
    registry.clients.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="holdout 11/26"
    )


def _approval_call(arn, approver=PROD_APPROVER):
    event = copy.deepcopy(API_CALL)
    event["detail"]["requestParameters"]["modelPackageArn"] = arn
    event["detail"]["userIdentity"]["arn"] = approver
    return event


def _pending(registry, **extra):
    return registry.package(
        group="fraud-scoring",
        status="PendingManualApproval",
        report_uri=registry.report("fraud/7.json", GOOD),
        metadata=METADATA,
        **extra,
    )


def test_a_package_never_approved_in_staging_fails_before_and_after_approval(registry):
    arn = _pending(registry)
    before = _check(arn)
    _approve(registry, arn)
    after = _check(arn)
    assert (before[0], after[0]) == (1, 1), (before[1], after[1])
    for output in (before[1], after[1]):
        assert "not approved in staging first" in output
        assert "has no model lifecycle" in output


def test_the_prod_guard_reverts_a_package_never_approved_in_staging(registry, monkeypatch):
    arn = _pending(registry)
    _approve(registry, arn)
    monkeypatch.setenv("OBSGOV_GUARD_RULES", _prod_rules().to_json())
    result = lambda_module.handler(_approval_call(arn), None, clients=registry.clients)
    described = registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)
    assert (result["status"], described["ModelApprovalStatus"]) == (
        "reverted",
        "PendingManualApproval",
    )
    assert "promotion: not approved in staging first" in described["ApprovalDescription"]


def test_a_package_approved_in_staging_passes_before_and_after_and_prod_is_recorded(
    registry, monkeypatch
):
    arn = _pending(registry, lifecycle=("staging", "Approved"))
    before = _check(arn)
    _approve(registry, arn)
    monkeypatch.setenv("OBSGOV_GUARD_RULES", _prod_rules().to_json())
    result = lambda_module.handler(_approval_call(arn), None, clients=registry.clients)
    after = _check(arn)
    assert (before[0], result["status"], after[0]) == (0, "passed-stage-recorded", 0)
    described = registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ModelLifeCycle"]["Stage"] == "prod"
    assert described["ModelLifeCycle"]["StageStatus"] == "Approved"
    # The guard's own write of the stage comes back as a CloudTrail event: it stands.
    own = copy.deepcopy(API_CALL)
    own["detail"]["requestParameters"] = {
        "modelPackageArn": arn,
        "modelLifeCycle": {"stage": "prod", "stageStatus": "Approved"},
    }
    own["detail"]["userIdentity"]["arn"] = GUARD
    assert lambda_module.handler(own, None, clients=registry.clients)["status"] == "stage-allowed"


def test_the_state_change_alone_records_no_stage_while_the_approver_is_unknown(
    registry, monkeypatch
):
    # The state change carries no caller; prod names allowedApprovers, so the stage waits for
    # the CloudTrail event, which judges the approver too.
    arn = _pending(registry, lifecycle=("staging", "Approved"))
    _approve(registry, arn)
    verdict = check_package(registry.clients, arn, _prod_rules())
    assert verdict.passed
    assert not verdict.judged
    from .events_data import STATE_CHANGE

    event = json.loads(
        json.dumps(STATE_CHANGE).replace(STATE_CHANGE["detail"]["ModelPackageArn"], arn)
    )
    monkeypatch.setenv("OBSGOV_GUARD_RULES", _prod_rules().to_json())
    assert lambda_module.handler(event, None, clients=registry.clients)["status"] == "passed"
    described = registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelLifeCycle"]["Stage"] == "staging"


def _stage_call(arn, stage, status, caller):
    event = copy.deepcopy(API_CALL)
    event["detail"]["requestParameters"] = {
        "modelPackageArn": arn,
        "modelLifeCycle": {"stage": stage, "stageStatus": status},
    }
    event["detail"]["userIdentity"]["arn"] = caller
    return event


def test_stage_writes_the_rules_do_not_allow_are_undone(registry, monkeypatch):
    monkeypatch.setenv("OBSGOV_GUARD_RULES", _prod_rules().to_json())
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    cases = [
        # an approver may mark staging Approved (prod's approvers; staging runs no guard)
        ("staging", PROD_APPROVER, "stage-allowed", "Approved"),
        # nobody else may
        (
            "staging",
            "arn:aws:sts::100000000002:assumed-role/DataScience/bob",
            "stage-reverted",
            "PendingApproval",
        ),
        # prod's stage is the guard's record: not even an approver writes it
        ("prod", PROD_APPROVER, "stage-reverted", "PendingApproval"),
    ]
    for stage, caller, action, left in cases:
        arn = _pending(registry)
        registry.tick()
        registry.stage(arn, stage)
        result = lambda_module.handler(
            _stage_call(arn, stage, "Approved", caller), None, clients=registry.clients
        )
        lifecycle = registry.clients.sagemaker.describe_model_package(ModelPackageName=arn)[
            "ModelLifeCycle"
        ]
        assert (result["status"], lifecycle["Stage"], lifecycle["StageStatus"]) == (
            action,
            stage,
            left,
        ), caller
        assert _check(arn)[0] == (0 if left == "Approved" else 1)
