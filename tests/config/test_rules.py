"""Every cross-file rule of the loader, each with its own named scenario.

Each scenario starts from the smallest valid environment (``tests.support.environments``),
breaks one fact, and names the exact problem the rule must report. The same scenario is then
loaded with that one rule removed from ``RULES``: the problem must disappear, so every rule
is shown to be the one that catches its scenario (a rule deleted or weakened fails here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from obsgov.config import rules
from obsgov.config.environment import EnvironmentConfig
from obsgov.errors import InputError
from obsgov.io import display_path

from ..support.environments import (
    LOG_ARCHIVE,
    MANAGEMENT,
    OBSERVABILITY,
    InlineEnvironment,
    account,
    ml_endpoint,
)


@dataclass(frozen=True)
class Case:
    edit: Callable[[InlineEnvironment], None]
    file: str  # "stack", "organization" or "accounts"
    key_path: str
    message: str
    stack: str = "dev"
    # Whether the environment is valid once the rule is gone (False when another rule
    # necessarily reports the same mistake in its own words).
    valid_without: bool = True


def _set(target: Callable[[InlineEnvironment], dict], key: str, value) -> Callable:
    def edit(env: InlineEnvironment) -> None:
        target(env)[key] = value

    return edit


def _first_account(env):
    return env.accounts[0]


def _first_workload(env):
    return env.workloads[0]


def _org(env):
    return env.organization["organization"]


def _add_duplicate_name(env):
    env.accounts.append(account("serving-dev", "200000000003", email="aws+other@example.com"))


def _add_staging_and_narrow_schema(env):
    env.organization["organization"]["organizationalUnits"].append(
        {"name": "workloads-staging", "id": "ou-abcd-stgwork1"}
    )
    env.accounts.append(account("serving-staging", "200000000003", "staging"))
    env.organization["tagSchema"]["required"][0]["allowedValues"] = ["dev", "prod"]


SCENARIOS: dict[rules.Rule, Case] = {
    rules.account_ids_are_unique: Case(
        lambda env: env.accounts[1].update(id="200000000001"),
        "accounts",
        "accounts[1].id",
        "duplicate id '200000000001' (already used by accounts[0])",
    ),
    rules.account_names_are_unique: Case(
        _add_duplicate_name,
        "accounts",
        "accounts[2].name",
        "duplicate name 'serving-dev' (already used by accounts[0])",
    ),
    rules.account_emails_are_unique: Case(
        lambda env: env.accounts[1].update(email="aws+serving-dev@example.com"),
        "accounts",
        "accounts[1].email",
        "duplicate email 'aws+serving-dev@example.com' (already used by accounts[0])",
    ),
    rules.central_account_ids_are_distinct: Case(
        _set(_org, "logArchiveAccountId", OBSERVABILITY),
        "organization",
        "organization.logArchiveAccountId",
        "100000000002 is already the observabilityAccountId; the central accounts must be "
        "three different accounts",
    ),
    rules.members_are_not_central_accounts: Case(
        lambda env: env.accounts[1].update(id=MANAGEMENT),
        "accounts",
        "accounts[1].id",
        "100000000001 is the organization's managementAccountId ({organization}); member "
        "accounts must be other accounts",
    ),
    rules.organizational_units_exist: Case(
        _set(_first_account, "organizationalUnit", "sandbox"),
        "accounts",
        "accounts[0].organizationalUnit",
        "unknown organizational unit 'sandbox'; {organization} defines: workloads-dev, "
        "workloads-prod",
    ),
    rules.account_tags_keep_derived_tags: Case(
        _set(_first_account, "tags", {"environment": "prod"}),
        "accounts",
        "accounts[0].tags.environment",
        "redefines the derived tag 'environment'; set environment instead",
    ),
    rules.account_tags_are_valid_aws_tags: Case(
        _set(_first_account, "tags", {"team": "ml#ops"}),
        "accounts",
        "accounts[0].tags.team",
        "tag values may hold only letters, digits, spaces and _ . : / = + - @ (not '#')",
    ),
    rules.account_tags_follow_tag_schema: Case(
        _set(_first_account, "costCentre", "finance"),
        "accounts",
        "accounts[0].costCentre",
        "'finance' is not valid for tag 'cost-centre': expected a value matching CC-\\d{{4}}",
    ),
    rules.central_tags_follow_tag_schema: Case(
        _set(_org, "platformCostCentre", "platform"),
        "organization",
        "organization.platformCostCentre",
        "'platform' is not valid for tag 'cost-centre': expected a value matching CC-\\d{{4}}",
    ),
    rules.workload_accounts_exist: Case(
        _set(_first_workload, "account", "nowhere"),
        "accounts",
        "workloads[0].account",
        "unknown account 'nowhere'; it must name an entry of accounts",
    ),
    rules.workload_environment_matches_account: Case(
        _set(_first_workload, "account", "serving-prod"),
        "accounts",
        "workloads[0].environment",
        "workload 'fraud-dev' is for dev but account 'serving-prod' belongs to prod",
    ),
    rules.workloads_are_unique: Case(
        lambda env: env.workloads.append(
            ml_endpoint("fraud-dev", "serving-dev", logGroups=["/aws/sagemaker/Endpoints/other"])
        ),
        "accounts",
        "workloads[3].name",
        "duplicate workload name 'fraud-dev' in account 'serving-dev' (already the ml-endpoint "
        "at workloads[0])",
    ),
    rules.kpi_drivers_exist: Case(
        lambda env: env.workloads[2].update(drivenBy="nowhere"),
        "accounts",
        "workloads[2].drivenBy",
        "'nowhere' is not an ml-endpoint or etl-pipeline of dev",
    ),
    rules.log_groups_are_unique: Case(
        lambda env: env.workloads[1].update(logGroups=["/aws/sagemaker/Endpoints/fraud-dev"]),
        "accounts",
        "workloads[1].logGroups",
        "log group '/aws/sagemaker/Endpoints/fraud-dev' is already owned by workloads[0] in "
        "account 'serving-dev'",
    ),
    rules.workload_tags_follow_tag_schema: Case(
        _set(_first_workload, "modelId", "Fraud_Model"),
        "accounts",
        "workloads[0].modelId",
        "'Fraud_Model' is not valid for tag 'model-id': expected a value matching "
        "[a-z0-9][a-z0-9-]{{1,62}} (tagSchema.mlResources in {organization})",
    ),
    rules.environment_allowed_by_tag_schema: Case(
        _add_staging_and_narrow_schema,
        "stack",
        "config.obsgov:environment",
        "'staging' is not allowed by the tag schema's environment tag (one of dev, prod)",
        stack="staging",
        valid_without=False,
    ),
    rules.stack_name_matches_environment: Case(
        lambda env: env.config.update({"obsgov:environment": "prod"}),
        "stack",
        "config.obsgov:environment",
        "is 'prod' but the stack is 'dev'; a stack named after an environment must deploy "
        "that environment",
    ),
    rules.environment_has_member_accounts: Case(
        lambda env: None,
        "accounts",
        "accounts",
        "no member account belongs to environment 'staging'",
        stack="staging",
    ),
    rules.registry_account_is_known: Case(
        lambda env: env.config.update(
            {"obsgov:modelApproval": {"enabled": True, "registryAccountId": "999999999999"}}
        ),
        "stack",
        "config.obsgov:modelApproval.registryAccountId",
        "999999999999 is neither a central account nor in {accounts}",
    ),
    # issue 33: central_audit_problems was written but never run, so validate passed a prod
    # trail administered from the log-archive account with 30-day logs
    rules.central_audit_fits_the_organization: Case(
        lambda env: env.config.update(
            {"obsgov:centralAudit": {"trail": {"adminAccountId": LOG_ARCHIVE}}}
        ),
        "stack",
        "config.obsgov:centralAudit.trail.adminAccountId",
        f"{LOG_ARCHIVE} is the log-archive account; the trail's administrator must be another "
        "account so that the archive stays out of its reach",
        stack="prod",
    ),
    rules.values_are_accepted_by_aws: Case(
        lambda env: env.workloads[0].update(variantName="all traffic"),
        "accounts",
        "workloads[0].variantName",
        "'all traffic' is not a valid SageMaker VariantName (AWS's pattern: "
        "[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}})",
    ),
}


def _load(env: InlineEnvironment) -> tuple[EnvironmentConfig | None, list[str]]:
    try:
        return env.load(), []
    except InputError as exc:
        return None, [str(p) for p in exc.problems]


def _expected(env: InlineEnvironment, case: Case) -> str:
    files = {
        "stack": display_path(env.stack_file),
        "organization": display_path(env.directory / "organization.yaml"),
        "accounts": display_path(env.directory / "accounts.yaml"),
    }
    message = case.message.format(**files)
    return f"{files[case.file]}: {case.key_path}: {message}"


def test_every_rule_has_a_scenario():
    assert set(SCENARIOS) == set(rules.RULES)
    assert len(rules.RULES) == len(set(rules.RULES))


def test_the_minimal_environment_is_valid(scenario):
    for stack in ("dev", "prod"):
        env = scenario(stack).load()
        assert env.environment == stack
        assert [a.name for a in env.member_accounts] == [f"serving-{stack}"]


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.__name__)
def test_rule_reports_its_scenario(rule, scenario, monkeypatch):
    case = SCENARIOS[rule]
    env = scenario(case.stack)
    case.edit(env)
    expected = _expected(env, case)

    _, problems = _load(env)
    assert expected in problems

    monkeypatch.setattr(rules, "RULES", [r for r in rules.RULES if r is not rule])
    loaded, problems = _load(env)
    assert expected not in problems
    if case.valid_without:
        assert loaded is not None, problems


def test_problems_are_reported_once_in_rule_order(scenario):
    env = scenario()
    env.accounts[1].update(id="200000000001", email="aws+serving-dev@example.com")
    _, problems = _load(env)
    registry = display_path(env.directory / "accounts.yaml")
    assert problems == [
        f"{registry}: accounts[1].id: duplicate id '200000000001' (already used by accounts[0])",
        f"{registry}: accounts[1].email: duplicate email 'aws+serving-dev@example.com' "
        "(already used by accounts[0])",
    ]


def test_a_workload_of_an_invalid_account_is_not_reported_twice(scenario):
    env = scenario()
    env.accounts[0]["id"] = "12345"
    _, problems = _load(env)
    registry = display_path(env.directory / "accounts.yaml")
    assert problems == [
        f"{registry}: accounts[0].id: must be 12 ASCII digits (0-9)",
        f"{registry}: accounts: no member account belongs to environment 'dev'",
    ]
