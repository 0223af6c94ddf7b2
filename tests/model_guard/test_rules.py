"""Each approval rule, pass and fail, on DescribeModelPackage-shaped input."""

import pytest

from obsgov.model_guard.rules import (
    GuardRules,
    PreviousApproval,
    RuleResult,
    Threshold,
    check_approver,
    check_description,
    check_metadata,
    check_metrics,
    check_promotion,
    rejection_description,
    report_metrics,
)

# The documented model quality report shape (<problem>_metrics: {metric: {value, standard_deviation}}).
BINARY = {
    "binary_classification_metrics": {
        "auc": {"value": 0.91, "standard_deviation": 0.01},
        "accuracy": {"value": 0.84, "standard_deviation": "NaN"},
        "confusion_matrix": {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}},
    }
}
REGRESSION = {"regression_metrics": {"rmse": {"value": 3.2}, "mae": {"value": 2.0}}}
RULES = GuardRules(
    environment="prod",
    required_metadata=("owner", "training-data-version"),
    default_thresholds=(Threshold.parse("auc >= 0.8"),),
    group_thresholds={"demand": (Threshold.parse("rmse <= 3.5"), Threshold.parse("mae < 2.5"))},
    promotion_order=("dev", "staging", "prod"),
    previous_registry_account="100000000003",
    allowed_approvers=("arn:aws:sts::100000000002:assumed-role/MLApprovers/*",),
)


def package(group="churn", **extra):
    return {
        "ModelPackageGroupName": group,
        "ModelPackageArn": f"arn:aws:sagemaker:eu-west-1:100000000002:model-package/{group}/3",
        "CustomerMetadataProperties": {"owner": "ml-team", "training-data-version": "v12"},
        "ApprovalDescription": "validated on holdout",
        **extra,
    }


def test_threshold_parsing_and_rejection():
    assert Threshold.parse(" AUC>=0.8 ") == Threshold("auc", ">=", 0.8)
    assert str(Threshold.parse("rmse <= 3.5")) == "rmse <= 3.5"
    for bad in ("auc => 0.8", "auc >= high", ">= 0.8", "auc == 1"):
        with pytest.raises(ValueError, match="is not a threshold"):
            Threshold.parse(bad)


def test_report_metrics_reads_every_problem_section_and_skips_non_numbers():
    assert report_metrics({**BINARY, **REGRESSION, "version": 1}) == {
        "auc": 0.91,
        "accuracy": 0.84,
        "rmse": 3.2,
        "mae": 2.0,
    }
    assert report_metrics({"binary_classification_metrics": {"auc": {"value": "NaN"}}}) == {}


def test_metadata_rule():
    assert check_metadata(package(), RULES).passed
    blank = package(CustomerMetadataProperties={"owner": " "})
    assert check_metadata(blank, RULES) == RuleResult(
        "metadata", False, "missing customer metadata: owner, training-data-version"
    )


def test_metric_thresholds_default_and_per_group():
    assert check_metrics(package(), RULES, BINARY, None).passed
    low = {"binary_classification_metrics": {"auc": {"value": 0.75}}}
    assert check_metrics(package(), RULES, low, None).detail == "auc is 0.75, needs auc >= 0.8"
    demand = package(group="demand")
    assert check_metrics(demand, RULES, REGRESSION, None).passed
    worse = {"regression_metrics": {"rmse": {"value": 3.6}}}
    assert check_metrics(demand, RULES, worse, None).detail == (
        "rmse is 3.6, needs rmse <= 3.5; mae missing from the report"
    )


def test_metrics_fail_closed_without_a_report():
    result = check_metrics(package(), RULES, None, "the package has no report")
    assert not result.passed
    assert result.detail == "model quality report unavailable: the package has no report"


def test_description_rule_ignores_the_guards_own_rejection_text():
    assert check_description(package(), RULES).passed
    assert not check_description(package(ApprovalDescription="   "), RULES).passed
    rejected = rejection_description([RuleResult("metrics", False, "auc is 0.5")])
    assert not check_description(package(ApprovalDescription=rejected), RULES).passed


def test_promotion_rule_names_the_previous_environment():
    assert RULES.previous_environment == "staging"
    ok = PreviousApproval("arn:x", True, "approved")
    assert check_promotion(RULES, ok).passed
    missing = check_promotion(RULES, PreviousApproval("arn:x", False, "arn:x is Rejected"))
    assert missing.detail == "not approved in staging first (arn:x is Rejected)"
    first = GuardRules(environment="dev", promotion_order=("dev", "staging", "prod"))
    assert check_promotion(first, None).passed


def test_approver_rule_matches_patterns_and_is_unjudged_without_identity():
    allowed = "arn:aws:sts::100000000002:assumed-role/MLApprovers/alice"
    assert check_approver(RULES, allowed).passed
    assert check_approver(RULES, "arn:aws:sts::100000000002:assumed-role/Dev/bob").detail == (
        "arn:aws:sts::100000000002:assumed-role/Dev/bob may not approve models"
    )
    unknown = check_approver(RULES, None)
    assert unknown.passed
    assert not unknown.judged


def test_rejection_description_fits_the_api_limit():
    long = [RuleResult("metrics", False, "x" * 2000)]
    text = rejection_description(long)
    assert len(text) == 1024
    assert text.endswith("...")


def test_rules_round_trip_through_the_functions_environment():
    assert GuardRules.from_json(RULES.to_json()) == RULES
