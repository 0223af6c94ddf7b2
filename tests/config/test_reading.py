"""Reading the three files: a file of the wrong shape, the registry entry by entry, and the
stack file's config flattened as the Pulumi CLI flattens it.

Problems are compared as values (file, key path, message): an empty key path means the whole
file, which the CLI and the reports show differently from a key.
"""

from __future__ import annotations

import pytest

from obsgov.config.loader import load_environment
from obsgov.config.models import OrganizationConfig
from obsgov.config.stack_config import stack_config_map
from obsgov.config.validation import validate_model, validate_registry
from obsgov.errors import InputError, Problem
from obsgov.io import display_path

from ..support.environments import InlineEnvironment, account


def problems_of(env: InlineEnvironment, written: bool = False) -> list[Problem]:
    """The problems of ``env``; ``written`` when a test has edited the files themselves."""

    def load() -> object:
        if written:
            return load_environment(env.stack, env.stack_file)
        return env.load()

    with pytest.raises(InputError) as caught:
        load()
    return list(caught.value.problems)


SHAPES = [
    ("- a", "a list"),
    ("text", "a string"),
    ("3", "a number"),
    ("3.5", "a number"),
    ("true", "a boolean"),
]


@pytest.mark.parametrize(("text", "kind"), SHAPES, ids=[kind for _, kind in SHAPES])
def test_an_organization_file_that_is_not_a_mapping_names_what_it_is(scenario, text, kind):
    env = scenario()
    env.write()
    org = env.directory / "organization.yaml"
    org.write_text(text + "\n")
    assert problems_of(env, written=True) == [
        Problem(display_path(org), "", f"must be a mapping, got {kind}")
    ]


@pytest.mark.parametrize(("text", "kind"), SHAPES, ids=[kind for _, kind in SHAPES])
def test_a_registry_that_is_not_a_mapping_names_what_it_is(scenario, text, kind):
    env = scenario()
    env.write()
    registry = env.directory / "accounts.yaml"
    registry.write_text(text + "\n")
    assert problems_of(env, written=True) == [
        Problem(display_path(registry), "", f"must be a mapping, got {kind}")
    ]


def test_data_of_another_type_is_named_by_its_type():
    """YAML gives only JSON's types; other callers' data is named by its Python type."""
    assert validate_model(OrganizationConfig, ("a",), "o.yaml") == (
        None,
        [Problem("o.yaml", "", "must be a mapping, got tuple")],
    )
    assert validate_registry(("a",), "r.yaml")[2] == [
        Problem("r.yaml", "", "must be a mapping, got tuple")
    ]


def test_an_empty_organization_file_lists_its_required_keys(scenario):
    env = scenario()
    env.write()
    org = env.directory / "organization.yaml"
    org.write_text("")
    assert problems_of(env, written=True) == [
        Problem(display_path(org), "organization", "is required"),
        Problem(display_path(org), "tagSchema", "is required"),
    ]


def test_an_empty_registry_asks_for_an_account(scenario):
    env = scenario()
    env.write()
    registry = env.directory / "accounts.yaml"
    registry.write_text("")
    assert problems_of(env, written=True) == [
        Problem(display_path(registry), "accounts", "must list at least one member account")
    ]


# --------------------------------------------------------------------------- the registry


def test_unknown_registry_sections_are_named_with_the_known_ones():
    registry, _, problems = validate_registry(
        {"accounts": [account("a", "200000000001")], "workload": [], "teams": []}, "r.yaml"
    )
    assert registry is not None
    assert problems == [
        Problem("r.yaml", "teams", "is not a known key (expected accounts, workloads)"),
        Problem("r.yaml", "workload", "is not a known key (expected accounts, workloads)"),
    ]


def test_sections_must_be_lists_and_may_be_empty():
    registry, positions, problems = validate_registry(
        {"accounts": [account("a", "200000000001")], "workloads": None}, "r.yaml"
    )
    assert problems == []
    assert registry is not None
    assert registry.workloads == []
    assert positions.workloads == []
    _, _, problems = validate_registry(
        {"accounts": {"a": account("a", "200000000001")}, "workloads": "none"}, "r.yaml"
    )
    assert problems == [
        Problem("r.yaml", "accounts", "must be a list"),
        Problem("r.yaml", "workloads", "must be a list"),
    ]


def test_an_entry_that_is_not_a_mapping_is_named_by_its_place():
    _, positions, problems = validate_registry(
        {"accounts": [account("a", "200000000001"), "b"]}, "r.yaml"
    )
    assert problems == [Problem("r.yaml", "accounts[1]", "must be a mapping of key: value")]
    assert positions.accounts == [0]
    assert positions.declared == ["a"]


def test_valid_entries_are_kept_beside_invalid_ones():
    data = {
        "accounts": [
            account("a", "1"),
            account("b", "200000000002"),
            account("c", "200000000003"),
        ],
        "workloads": [
            {"kind": "business-kpi", "name": "x", "account": "b", "environment": "dev"},
            {
                "kind": "business-kpi",
                "name": "orders",
                "account": "b",
                "environment": "dev",
                "namespace": "Shop",
                "metricName": "Orders",
            },
        ],
    }
    registry, positions, problems = validate_registry(data, "r.yaml")
    assert [str(p) for p in problems] == [
        "r.yaml: accounts[0].id: must be 12 ASCII digits (0-9)",
        "r.yaml: workloads[0].namespace: is required",
        "r.yaml: workloads[0].metricName: is required",
    ]
    assert registry is not None
    assert [a.name for a in registry.accounts] == ["b", "c"]
    assert [w.name for w in registry.workloads] == ["orders"]
    assert (positions.accounts, positions.workloads) == ([1, 2], [1])
    assert (positions.declared, positions.declared_workloads) == (["a", "b", "c"], ["x", "orders"])


def test_no_registry_is_built_when_no_account_is_valid():
    registry, _, problems = validate_registry({"accounts": [account("a", "1")]}, "r.yaml")
    assert registry is None
    assert [str(p) for p in problems] == ["r.yaml: accounts[0].id: must be 12 ASCII digits (0-9)"]


# --------------------------------------------------------------------------- stack config


def test_a_stack_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(InputError) as caught:
        stack_config_map(["config"], "Pulumi.dev.yaml")
    assert caught.value.problems == [
        Problem("Pulumi.dev.yaml", "", "must be a mapping with a config: key")
    ]


def test_an_empty_stack_file_has_an_empty_config():
    assert stack_config_map(None, "Pulumi.dev.yaml") == {}
    assert stack_config_map({"config": None}, "Pulumi.dev.yaml") == {}


def test_a_config_that_is_not_a_mapping_is_refused():
    with pytest.raises(InputError) as caught:
        stack_config_map({"config": ["obsgov:environment"]}, "Pulumi.dev.yaml")
    assert caught.value.problems == [
        Problem("Pulumi.dev.yaml", "config", "must be a mapping of key: value")
    ]


def test_every_malformed_config_key_is_reported():
    document = {"config": {"a:b:c": "1", ":region": "2", "aws:": "3", "obsgov:environment": "dev"}}
    with pytest.raises(InputError) as caught:
        stack_config_map(document, "Pulumi.dev.yaml")
    assert caught.value.problems == [
        Problem("Pulumi.dev.yaml", f"config.{key}", "must be <key> or <namespace>:<key>")
        for key in ("a:b:c", ":region", "aws:")
    ]


def test_config_values_are_flattened_as_the_cli_passes_them():
    document = {
        "config": {
            "enabled": True,
            "disabled": False,
            "count": 3,
            "ratio": 0.5,
            "empty": None,
            "aws:region": "eu-west-1",
            "list": [1, {"secure": "v1:abc"}],
        }
    }
    assert stack_config_map(document, "Pulumi.dev.yaml") == {
        "obsgov:enabled": "true",
        "obsgov:disabled": "false",
        "obsgov:count": "3",
        "obsgov:ratio": "0.5",
        "obsgov:empty": "",
        "aws:region": "eu-west-1",
        "obsgov:list": '[1, "[secret]"]',
    }


def test_a_key_given_with_and_without_the_project_is_reported():
    document = {"config": {"environment": "dev", "obsgov:environment": "prod"}}
    with pytest.raises(InputError) as caught:
        stack_config_map(document, "Pulumi.dev.yaml")
    assert caught.value.problems == [
        Problem(
            "Pulumi.dev.yaml",
            "config.obsgov:environment",
            "repeats obsgov:environment (given both with and without the project name)",
        )
    ]


def test_a_config_map_key_with_two_colons_is_an_unknown_obsgov_key(scenario):
    env = scenario()
    env.write()
    config_map = {
        "obsgov:environment": "dev",
        "aws:region": "eu-west-1",
        "obsgov:alertRouting:runbookUrl": "https://example.com",
    }
    with pytest.raises(InputError) as caught:
        load_environment("dev", env.stack_file, config_map)
    assert [str(p) for p in caught.value.problems] == [
        f"{display_path(env.stack_file)}: config.obsgov:alertRouting:runbookUrl: is not a "
        "known key (did you mean alertRouting?)"
    ]


def test_json_that_does_not_parse_is_validated_as_the_text_it_is(scenario):
    env = scenario()
    env.config["obsgov:alertRouting"] = "{not json"
    assert [str(p) for p in problems_of(env)] == [
        f"{display_path(env.stack_file)}: config.obsgov:alertRouting: must be a mapping of "
        "key: value"
    ]


def test_every_key_given_twice_is_reported():
    document = {
        "config": {
            "environment": "dev",
            "obsgov:environment": "prod",
            "logRetentionDays": 30,
            "obsgov:logRetentionDays": 90,
        }
    }
    with pytest.raises(InputError) as caught:
        stack_config_map(document, "Pulumi.dev.yaml")
    assert [p.key_path for p in caught.value.problems] == [
        "config.obsgov:environment",
        "config.obsgov:logRetentionDays",
    ]


# --------------------------------------------------------------------------- the loader


def test_a_loaded_environment_keeps_its_stack_and_config(scenario):
    env = scenario()
    env.config["obsgov:logRetentionDays"] = 30
    loaded = env.load()
    assert loaded.stack == "dev"
    assert loaded.config_map == {
        "aws:region": "eu-west-1",
        "obsgov:environment": "dev",
        "obsgov:logRetentionDays": "30",
    }


def test_a_missing_organization_file_is_the_only_problem(scenario):
    env = scenario()
    env.write()
    (env.directory / "organization.yaml").unlink()
    assert [p.file for p in problems_of(env, written=True)] == [
        display_path(env.directory / "organization.yaml")
    ]


def test_the_named_files_are_checked_even_when_the_settings_are_invalid(scenario):
    env = scenario()
    env.config["obsgov:organizationFile"] = "org.yaml"
    env.config["obsgov:registryFile"] = "registry.yaml"
    env.config["obsgov:logRetentionDays"] = 31
    env.write()
    (env.directory / "org.yaml").write_text("- a\n")
    (env.directory / "registry.yaml").write_text("text\n")
    problems = problems_of(env, written=True)
    assert [str(p) for p in problems[1:]] == [
        f"{display_path(env.directory / 'org.yaml')}: must be a mapping, got a list",
        f"{display_path(env.directory / 'registry.yaml')}: must be a mapping, got a string",
    ]
    assert problems[0].key_path == "config.obsgov:logRetentionDays"
