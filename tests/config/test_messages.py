"""The sentence each value check gives, as the user reads it after the file and key path.

Each value check raises its own wording; these pin the words (not just that a check fired), so
a check that loses or garbles its explanation fails here.
"""

from __future__ import annotations

import pytest

from obsgov.errors import InputError
from obsgov.io import display_path

from ..support.environments import InlineEnvironment


def problems_of(env: InlineEnvironment) -> list[str]:
    with pytest.raises(InputError) as caught:
        env.load()
    return [str(p) for p in caught.value.problems]


def org_file(env: InlineEnvironment) -> str:
    return display_path(env.directory / "organization.yaml")


def registry_file(env: InlineEnvironment) -> str:
    return display_path(env.directory / "accounts.yaml")


def stack_file(env: InlineEnvironment) -> str:
    return display_path(env.stack_file)


# --------------------------------------------------------------------------- organization


def test_ou_id_shape_is_explained(scenario):
    env = scenario()
    env.organization["organization"]["organizationalUnits"][0]["id"] = "ou-1"
    assert problems_of(env) == [
        f"{org_file(env)}: organization.organizationalUnits[0].id: must look like ou-xxxx-xxxxxxxx"
    ]


def test_ou_name_shape_is_explained(scenario):
    env = scenario()
    env.organization["organization"]["organizationalUnits"][0]["name"] = "-dev"
    assert problems_of(env) == [
        f"{org_file(env)}: organization.organizationalUnits[0].name: must be 1-63 letters, "
        "digits or hyphens, starting with a letter or digit"
    ]


def test_resource_names_are_lowercase_or_uppercase_ascii(scenario):
    env = scenario()
    env.organization["organization"]["organizationalUnits"][0]["name"] = "Workloads-Dev"
    env.organization["organization"]["organizationalUnits"][1]["name"] = "workloads-über"
    assert problems_of(env) == [
        f"{org_file(env)}: organization.organizationalUnits[1].name: must be 1-63 letters, "
        "digits or hyphens, starting with a letter or digit"
    ]


def test_email_top_level_domain_may_be_uppercase(scenario):
    env = scenario()
    env.accounts[0]["email"] = "aws+serving-dev@example.COM"
    env.accounts[1]["email"] = "aws+serving-prod@example.c0m"
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].email: must be an email address"
    ]


def test_platform_owner_must_also_be_a_valid_tag_value(scenario):
    env = scenario()
    env.organization["organization"]["platformOwner"] = "platform!@example.com"
    assert problems_of(env) == [
        f"{org_file(env)}: organization.platformOwner: tag values may hold only letters, "
        "digits, spaces and _ . : / = + - @ (not '!')"
    ]


def test_aws_limit_checks_give_their_reason(scenario):
    env = scenario()
    env.organization["tagSchema"]["required"][1]["key"] = "aws:owner"
    assert problems_of(env) == [
        f"{org_file(env)}: tagSchema.required[1].key: tag keys must not start with aws: "
        "(reserved for AWS)"
    ]


# --------------------------------------------------------------------------- registry


def test_log_group_name_shape_is_explained(scenario):
    env = scenario()
    env.workloads[1]["logGroups"] = ["/aws-glue/jobs/output", "/aws glue/jobs"]
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[1].logGroups[1]: must be 1-512 letters, digits or "
        "_ - / . # (a CloudWatch Logs log group name)"
    ]


def test_log_group_names_are_ascii(scenario):
    env = scenario()
    env.workloads[1]["logGroups"] = ["/aws-glue/jobs/ütput"]
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[1].logGroups[0]: must be 1-512 letters, digits or "
        "_ - / . # (a CloudWatch Logs log group name)"
    ]


FILTER_TERM = "must be 1-200 characters without double quotes or line breaks"


@pytest.mark.parametrize(
    "term",
    ["", "x" * 201, 'say "no"', "line\nbreak", 'quote"', "trailing\n"],
    ids=["empty", "201 characters", "quotes", "line break", "one quote", "one break"],
)
def test_critical_event_pattern_is_refused(scenario, term):
    env = scenario()
    env.workloads[1]["criticalEventPatterns"] = ["ERROR", term]
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[1].criticalEventPatterns[1]: {FILTER_TERM}"
    ]


def test_critical_event_pattern_of_200_characters_is_accepted(scenario):
    env = scenario()
    env.workloads[1]["criticalEventPatterns"] = ["x" * 200]
    loaded = env.load()
    assert loaded.registry.workloads[1].critical_patterns() == ["x" * 200]


def test_log_group_setting_is_adopt_or_create(scenario):
    env = scenario()
    env.workloads[0]["logGroup"] = "import"
    env.workloads[1]["logGroup"] = "adopt"  # an etl-pipeline: its default group
    env.workloads[2]["logGroup"] = "adopt"  # a business KPI has no log groups
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[0].logGroup: must be one of adopt, create",
        f"{registry_file(env)}: workloads[2]: logGroup is adopt but the "
        "workload has no log groups to adopt (set logGroups, or leave logGroup unset)",
    ]


# --------------------------------------------------------------------------- stack settings


ROUTING = "config.obsgov:alertRouting"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "centralEventBusArn",
            "arn:aws:sns:eu-west-1:100000000002:bus",
            "must be an EventBridge event bus ARN "
            "(arn:aws:events:<region>:<account>:event-bus/<name>)",
        ),
        (
            "centralLogDestinationArn",
            "arn:aws:logs:eu-west-1:100000000002:destination:a:b",
            "must be a CloudWatch Logs destination ARN "
            "(arn:aws:logs:<region>:<account>:destination:<name>)",
        ),
        ("runbookUrl", "http://runbooks.example.com/{signal}", "must be an https:// URL"),
        (
            "runbookUrl",
            "https://runbooks.example.com/{signal}/{team}/{owner}",
            "uses unknown placeholder(s) owner, team; allowed: {account}, {kind}, {signal}, "
            "{workload}",
        ),
        (
            "runbookUrl",
            "https://runbooks.example.com/{signal",
            "is not a valid URL template (expected '}' before end of string)",
        ),
    ],
    ids=["event bus", "log destination", "runbook scheme", "placeholders", "template"],
)
def test_alert_routing_values_are_explained(scenario, key, value, message):
    env = scenario()
    env.config["obsgov:alertRouting"] = {key: value}
    assert problems_of(env) == [f"{stack_file(env)}: {ROUTING}.{key}: {message}"]


def test_alert_routing_accepts_aws_arns_and_known_placeholders(scenario):
    env = scenario()
    routing = {
        "centralEventBusArn": "arn:aws:events:eu-west-1:100000000002:event-bus/obsgov",
        "centralLogDestinationArn": "arn:aws:logs:eu-west-1:100000000002:destination:obsgov",
        "runbookUrl": "https://runbooks.example.com/{kind}/{workload}/{signal}?a={account}",
    }
    env.config["obsgov:alertRouting"] = routing
    settings = env.load().settings.alert_routing
    assert (
        settings.central_event_bus_arn,
        settings.central_log_destination_arn,
        settings.runbook_url,
    ) == tuple(routing.values())


def test_a_secret_in_an_unknown_key_is_still_an_unknown_key(scenario):
    env = scenario()
    env.config["obsgov:alertRouting"] = {"runbookUri": {"secure": "v1:abc"}}
    assert problems_of(env) == [
        f"{stack_file(env)}: {ROUTING}.runbookUri: is not a known key (did you mean runbookUrl?)"
    ]


def test_a_secret_where_a_value_is_required_is_explained(scenario):
    env = scenario()
    env.config["obsgov:environment"] = {"secure": "v1:abc"}
    assert problems_of(env) == [
        f"{stack_file(env)}: config.obsgov:environment: is a secret (secure:), which obsgov "
        "cannot decrypt offline; this setting must be plain text",
    ]


# --------------------------------------------------------------------------- pydantic's kinds


def test_a_value_outside_a_literal_lists_the_choices(scenario):
    env = scenario()
    env.accounts[1]["environment"] = "qa"
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].environment: must be one of dev, staging, prod"
    ]


def test_a_workload_without_a_kind_lists_the_kinds(scenario):
    env = scenario()
    del env.workloads[2]["kind"]
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[2]: kind is required (one of business-kpi, "
        "etl-pipeline, ml-endpoint)"
    ]


def test_a_scalar_where_a_section_belongs_is_explained(scenario):
    env = scenario()
    env.config["obsgov:alertRouting"] = "central"
    assert problems_of(env) == [f"{stack_file(env)}: {ROUTING}: must be a mapping of key: value"]


def test_a_scalar_where_a_map_of_tags_belongs_is_explained(scenario):
    env = scenario()
    env.accounts[1]["tags"] = "team=fraud"
    assert problems_of(env) == [
        f"{registry_file(env)}: accounts[1].tags: must be a mapping of key: value"
    ]


def test_a_scalar_where_a_list_belongs_is_explained(scenario):
    env = scenario()
    env.workloads[1]["logGroups"] = "/aws-glue/jobs/output"
    assert problems_of(env) == [f"{registry_file(env)}: workloads[1].logGroups: must be a list"]


def test_other_pydantic_errors_read_as_must_be(scenario):
    env = scenario()
    env.workloads[1]["slo"]["maxDurationMinutes"] = "an hour"
    assert problems_of(env) == [
        f"{registry_file(env)}: workloads[1].slo.maxDurationMinutes: must be a valid integer, "
        "unable to parse string as an integer"
    ]


def test_an_unknown_key_with_nothing_close_gets_no_suggestion(scenario):
    env = scenario()
    env.accounts[1]["zzz"] = "x"
    assert problems_of(env) == [f"{registry_file(env)}: accounts[1].zzz: is not a known key"]


def test_an_unknown_key_under_a_camel_case_section_gets_a_suggestion(scenario):
    env = scenario()
    env.config["obsgov:alertRouting"] = {"runbookUrls": "https://example.com"}
    env.config["obsgov:modelApproval"] = {"guard": {"metricThreshold": {}}}
    assert problems_of(env) == [
        f"{stack_file(env)}: {ROUTING}.runbookUrls: is not a known key (did you mean runbookUrl?)",
        f"{stack_file(env)}: config.obsgov:modelApproval.guard.metricThreshold: is not a known "
        "key (did you mean metricThresholds?)",
    ]


def test_a_map_key_named_like_a_workload_kind_stays_in_the_key_path(scenario):
    """pydantic inserts the kind after ``workloads[i]`` only; a user's key of the same name
    elsewhere is part of the path."""
    env = scenario()
    env.config["obsgov:modelApproval"] = {
        "guard": {"metricThresholds": {"groups": {"ml-endpoint": ["auc >> 1"]}}}
    }
    assert problems_of(env) == [
        f"{stack_file(env)}: config.obsgov:modelApproval.guard.metricThresholds.groups."
        "ml-endpoint: 'auc >> 1' is not a threshold like 'auc >= 0.8'"
    ]


def test_an_unknown_key_under_a_named_entry_gets_a_suggestion(scenario):
    """``severities`` maps topic names to subscribers: the suggestion comes from the
    subscribers' keys, past the user's own topic name."""
    env = scenario()
    env.config["obsgov:centralAudit"] = {
        "eventRouting": {"severities": {"critical": {"emailz": []}, "warning": {}, "security": {}}}
    }
    assert problems_of(env) == [
        f"{stack_file(env)}: config.obsgov:centralAudit.eventRouting.severities.critical.emailz: "
        "is not a known key (did you mean emails?)"
    ]
