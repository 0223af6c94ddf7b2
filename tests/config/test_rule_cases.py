"""Cases of the cross-file rules beyond the one scenario per rule in ``test_rules.py``: each
branch of a rule with its own wording, and a rule that keeps checking after its first
finding."""

from __future__ import annotations

import pytest

from obsgov.config import rules
from obsgov.config.validation import Positions
from obsgov.errors import InputError, Problem
from obsgov.io import display_path

from ..support.environments import LOG_ARCHIVE, OBSERVABILITY, InlineEnvironment

TAG_CHARACTERS = "tag values may hold only letters, digits, spaces and _ . : / = + - @"


def problems_of(env: InlineEnvironment) -> list[str]:
    with pytest.raises(InputError) as caught:
        env.load()
    return [str(p) for p in caught.value.problems]


def org_file(env: InlineEnvironment) -> str:
    return display_path(env.directory / "organization.yaml")


def registry_file(env: InlineEnvironment) -> str:
    return display_path(env.directory / "accounts.yaml")


@pytest.mark.parametrize(
    ("account_id", "key"),
    [(OBSERVABILITY, "observabilityAccountId"), (LOG_ARCHIVE, "logArchiveAccountId")],
)
def test_a_member_account_names_the_central_account_it_repeats(scenario, account_id, key):
    env = scenario()
    env.accounts[1]["id"] = account_id
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].id: {account_id} is the organization's {key} "
        f"({org_file(env)}); member accounts must be other accounts"
    ]


def test_the_platform_owner_follows_the_owner_tag_rule(scenario):
    env = scenario()
    env.organization["organization"]["platformOwner"] = "platform@example.COM"
    assert problems_of(env) == [
        f"{org_file(env)}: organization.platformOwner: 'platform@example.COM' is not valid for "
        "tag 'owner': expected a value matching [^@\\s]+@[^@\\s]+\\.[a-z]{2,}"
    ]


def test_a_required_tag_no_account_sets_is_reported_per_account(scenario):
    env = scenario()
    env.organization["tagSchema"]["required"].append({"key": "team", "pattern": "[a-z]+"})
    env.accounts[0]["tags"] = {"team": "fraud"}
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].tags: missing required tag 'team' (tag schema in "
        f"{org_file(env)})"
    ]


def test_a_derived_tag_aws_refuses_is_reported_at_its_field(scenario):
    env = scenario()
    env.accounts[1]["owner"] = "team!@example.com"
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].owner: {TAG_CHARACTERS} (not '!')"
    ]


def test_an_extra_tag_aws_refuses_is_reported_at_the_tag(scenario):
    env = scenario()
    env.accounts[1]["tags"] = {"team": "fraud*"}
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].tags.team: {TAG_CHARACTERS} (not '*')"
    ]


def test_the_managed_by_tag_is_obsgovs_own(scenario):
    env = scenario()
    env.accounts[1]["tags"] = {"managed-by": "terraform"}
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].tags.managed-by: redefines the derived tag "
        "'managed-by'; obsgov sets it"
    ]


def test_every_workload_with_an_unknown_account_is_reported(scenario):
    env = scenario()
    env.workloads[2]["account"] = "nowhere"
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[2].account: unknown account 'nowhere'; it must name "
        "an entry of accounts"
    ]


def test_a_kpi_may_be_driven_by_an_etl_pipeline(scenario):
    env = scenario()
    env.workloads[2]["drivenBy"] = "orders-etl"
    assert env.load().registry.workloads[2].driven_by == "orders-etl"


def test_a_model_id_aws_refuses_as_a_tag_value_is_reported(scenario):
    env = scenario()
    env.workloads[0]["modelId"] = "fraud*"
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[0].modelId: {TAG_CHARACTERS} (not '*')"
    ]


def test_a_pipeline_name_follows_the_pipeline_tag_rules(scenario):
    env = scenario()
    env.workloads[1]["name"] = "x"
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[1].name: 'x' is not valid for tag 'pipeline': "
        f"expected a value matching [a-z0-9][a-z0-9-]{{1,62}} (tagSchema.pipelines in "
        f"{org_file(env)})"
    ]


def test_workload_tag_rules_for_other_tags_do_not_stop_the_check(scenario):
    env = scenario()
    env.organization["tagSchema"]["mlResources"].insert(0, {"key": "team", "pattern": ".+"})
    env.workloads[0]["modelVersion"] = "v1"
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[0].modelVersion: 'v1' is not valid for tag "
        "'model-version': expected a value matching \\d+(\\.\\d+){0,2} (tagSchema.mlResources "
        f"in {org_file(env)})"
    ]


def test_check_runs_the_rules_it_is_given(scenario):
    loaded = scenario().load()
    facts = rules.Facts(
        stack="dev",
        settings=loaded.settings,
        org=loaded.org,
        registry=loaded.registry,
        stack_file="s.yaml",
        org_file="o.yaml",
        registry_file="r.yaml",
        positions=Positions(accounts=[0, 1], workloads=[0, 1, 2]),
    )
    found = Problem("r.yaml", "accounts[1]", "judged")
    assert rules.check(facts, [lambda facts: [found]]) == [found]
    assert rules.check(facts) == []
