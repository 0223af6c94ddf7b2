"""What the validated models answer when asked: defaults per workload kind, the approval
guard's rules, the central audit's checks across files, and the stack config as a running
Pulumi program reads it."""

from __future__ import annotations

import pytest
from pulumi.runtime.config import set_all_config

from obsgov.config.loader import stack_file_for
from obsgov.config.models.central import (
    CentralAuditSettings,
    EventRoutingSettings,
    central_audit_problems,
)
from obsgov.config.runtime import runtime_config_map
from obsgov.errors import InputError, Problem
from obsgov.io import display_path
from obsgov.model_guard.rules import GuardRules, Threshold

from ..support.environments import LOG_ARCHIVE, MANAGEMENT, OBSERVABILITY

BASE_PATTERNS = [
    "ERROR",
    "CRITICAL",
    "Traceback (most recent call last)",
    "OutOfMemoryError",
    "MemoryError",
]


def test_each_workload_kind_has_its_default_critical_patterns(scenario):
    endpoint, pipeline, kpi = scenario().load().registry.workloads
    assert endpoint.critical_patterns() == [
        *BASE_PATTERNS,
        "Failed to load model",
        "ModelLoadError",
    ]
    assert pipeline.critical_patterns() == BASE_PATTERNS
    assert kpi.critical_patterns() == []


def test_configured_patterns_and_log_groups_replace_the_defaults(scenario):
    env = scenario()
    env.workloads[0]["criticalEventPatterns"] = ["model crashed"]
    env.workloads[0]["logGroups"] = ["/custom/endpoint"]
    env.workloads[1]["criticalEventPatterns"] = []
    endpoint, pipeline, kpi = env.load().registry.workloads
    assert endpoint.critical_patterns() == ["model crashed"]
    assert endpoint.log_group_names() == ["/custom/endpoint"]
    assert pipeline.critical_patterns() == []
    assert pipeline.log_group_names() == ["/aws-glue/jobs/orders-etl"]
    assert kpi.log_group_names() == []


def test_guard_rules_carry_the_guard_and_the_shared_settings(scenario):
    env = scenario()
    env.config["obsgov:modelApproval"] = {
        "enabled": True,
        "registryAccountId": MANAGEMENT,
        "requiredMetadata": ["owner"],
        "promotionOrder": ["dev", "prod"],
        "guard": {
            "enabled": True,
            "metricsReportPrefix": "s3://reports-bucket/quality",
            "metricThresholds": {"default": ["auc >= 0.8"], "groups": {"fraud": ["f1 > 0.5"]}},
            "requireDescription": False,
            "allowedApprovers": ["arn:aws:iam::100000000001:role/approver"],
        },
    }
    rules = env.load().settings.model_approval.guard_rules("dev")
    assert rules == GuardRules(
        environment="dev",
        required_metadata=("owner",),
        default_thresholds=(Threshold("auc", ">=", 0.8),),
        group_thresholds={"fraud": (Threshold("f1", ">", 0.5),)},
        require_description=False,
        promotion_order=("dev", "prod"),
        previous_registry_account=MANAGEMENT,
        allowed_approvers=("arn:aws:iam::100000000001:role/approver",),
    )


def test_guard_rules_name_the_previous_registry_when_it_is_another(scenario):
    env = scenario()
    env.config["obsgov:modelApproval"] = {
        "enabled": True,
        "registryAccountId": MANAGEMENT,
        "guard": {"previousRegistryAccountId": OBSERVABILITY},
    }
    rules = env.load().settings.model_approval.guard_rules("prod")
    assert (rules.environment, rules.previous_registry_account) == ("prod", OBSERVABILITY)


def test_alarm_levels_default_per_central_topic_and_to_the_topic_name():
    routing = EventRoutingSettings.model_validate({})
    assert routing.levels_of("critical") == ["critical", "high"]
    custom = EventRoutingSettings.model_validate(
        {"severities": {"critical": {}, "warning": {}, "security": {"levels": ["security"]}}}
    )
    assert custom.levels_of("warning") == ["warning"]


# --------------------------------------------------------------------------- central audit


def audit(**trail) -> CentralAuditSettings:
    return CentralAuditSettings.model_validate({"trail": trail})


def audit_problems(environment: str, central: CentralAuditSettings) -> list[Problem]:
    return central_audit_problems(environment, central, MANAGEMENT, LOG_ARCHIVE, "s.yaml")


def test_prod_trail_logs_are_kept_at_least_a_year():
    assert audit_problems("prod", audit(logRetentionDays=180)) == [
        Problem(
            "s.yaml",
            "config.obsgov:centralAudit.trail.logRetentionDays",
            "180 is too short for prod: CloudWatch.16 asks for at least 365 days",
        )
    ]
    assert audit_problems("prod", audit(logRetentionDays=365)) == []
    assert audit_problems("dev", audit(logRetentionDays=180)) == []
    disabled = CentralAuditSettings.model_validate(
        {"trail": {"enabled": False, "logRetentionDays": 180}, "analytics": {"enabled": False}}
    )
    assert audit_problems("prod", disabled) == []


def test_the_trail_administrator_is_neither_the_archive_nor_the_management_account():
    assert audit_problems("dev", audit(adminAccountId=LOG_ARCHIVE)) == [
        Problem(
            "s.yaml",
            "config.obsgov:centralAudit.trail.adminAccountId",
            f"{LOG_ARCHIVE} is the log-archive account; the trail's administrator must be "
            "another account so that the archive stays out of its reach",
        )
    ]
    assert audit_problems("dev", audit(adminAccountId=MANAGEMENT)) == [
        Problem(
            "s.yaml",
            "config.obsgov:centralAudit.trail.adminAccountId",
            "is the management account, which runs the trail anyway; leave it unset",
        )
    ]
    assert audit_problems("dev", audit(adminAccountId=OBSERVABILITY)) == []


# --------------------------------------------------------------------------- runtime config


@pytest.fixture
def pulumi_config():
    yield set_all_config
    set_all_config({}, [])


def test_a_running_program_reads_the_obsgov_keys_and_the_region(pulumi_config):
    pulumi_config(
        {
            "obsgov:environment": "dev",
            "obsgov:logRetentionDays": "30",
            "obsgov:notAKey": "ignored",
            "obsgov:region": "ignored too",
            "aws:region": "eu-west-1",
            "aws:profile": "other",
        },
        [],
    )
    assert runtime_config_map() == {
        "obsgov:environment": "dev",
        "obsgov:logRetentionDays": "30",
        "aws:region": "eu-west-1",
    }


def test_a_running_program_without_a_region_reads_none(pulumi_config):
    pulumi_config({"obsgov:environment": "dev"}, [])
    assert runtime_config_map() == {"obsgov:environment": "dev"}


# --------------------------------------------------------------------------- stack files


def test_a_stack_name_may_hold_any_other_character(tmp_path):
    (tmp_path / "Pulumi.eXample-1.yaml").write_text("config: {}\n")
    assert stack_file_for(tmp_path, "eXample-1") == tmp_path / "Pulumi.eXample-1.yaml"


@pytest.mark.parametrize("name", [".", "a\\b", "a\0b"])
def test_a_stack_name_that_is_a_path_is_refused(tmp_path, name):
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path, name, "--env")
    assert caught.value.problems == [Problem("--env", "", f"{name!r} is not a stack name")]


def test_a_stacks_folder_that_is_missing_is_named(tmp_path):
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path / "nowhere", "dev")
    assert caught.value.problems == [
        Problem("--stacks-dir", "", f"{display_path(tmp_path / 'nowhere')} is not a folder")
    ]


def test_a_missing_stack_lists_every_stack_or_none(tmp_path):
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path, "qa")
    assert caught.value.problems == [
        Problem(
            "--stack",
            "",
            f"no stack 'qa': {display_path(tmp_path / 'Pulumi.qa.yaml')} does not exist "
            "(available: none)",
        )
    ]
    for stack in ("prod", "dev"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path, "qa")
    assert str(caught.value.problems[0]).endswith("(available: dev, prod)")
