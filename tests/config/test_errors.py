"""Every class of config error names its file and key path, in words a YAML editor can act on.

Each test is a named scenario on the smallest valid environment; the rules across files have
their own scenarios in ``test_rules.py``.
"""

from __future__ import annotations

import pytest

from obsgov.config.loader import load_environment, stack_file_for
from obsgov.config.stack_config import stack_config_map
from obsgov.errors import InputError
from obsgov.io import display_path

from ..support.environments import InlineEnvironment


def problems_of(env: InlineEnvironment) -> list[str]:
    with pytest.raises(InputError) as caught:
        env.load()
    return [str(p) for p in caught.value.problems]


def files(env: InlineEnvironment) -> dict[str, str]:
    return {
        "stack": display_path(env.stack_file),
        "org": display_path(env.directory / "organization.yaml"),
        "accounts": display_path(env.directory / "accounts.yaml"),
    }


# --------------------------------------------------------------------------- wording


def test_account_id_must_be_ascii_digits(scenario):
    env = scenario()
    env.accounts[1]["id"] = "12345"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: accounts[1].id: must be 12 ASCII digits (0-9)"
    ]


def test_account_id_in_other_scripts_digits_is_refused(scenario):
    """``\\d`` matches Arabic-Indic and other digits; AWS account ids are ASCII."""
    env = scenario()
    env.accounts[1]["id"] = "٢٠٠٠٠٠٠٠٠٠٠٢"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: accounts[1].id: must be 12 ASCII digits (0-9)"
    ]


def test_unquoted_account_id_is_explained(scenario):
    env = scenario()
    env.accounts[1]["id"] = 200000000002
    assert problems_of(env) == [
        f"{files(env)['accounts']}: accounts[1].id: must be a string (quote it in YAML: "
        "unquoted digits become numbers)"
    ]


def test_missing_required_key(scenario):
    env = scenario()
    del env.accounts[1]["email"]
    assert problems_of(env) == [f"{files(env)['accounts']}: accounts[1].email: is required"]


def test_unknown_key_suggests_the_close_one(scenario):
    env = scenario()
    env.accounts[1]["costCenter"] = "CC-2100"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: accounts[1].costCenter: is not a known key (did you mean "
        "costCentre?)"
    ]


def test_unknown_key_in_a_workload_suggests_from_its_kind(scenario):
    env = scenario()
    env.workloads[1]["slo"]["maxDurationMinute"] = 5
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[1].slo.maxDurationMinute: is not a known key "
        "(did you mean maxDurationMinutes?)"
    ]


def test_workload_kind_must_be_known(scenario):
    env = scenario()
    env.workloads[0]["kind"] = "notebook"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[0]: kind must be one of business-kpi, "
        "etl-pipeline, ml-endpoint"
    ]


def test_all_errors_are_reported_together(scenario):
    env = scenario()
    env.accounts[1]["id"] = "1"
    env.accounts[0]["email"] = "not-an-email"
    env.organization["organization"]["id"] = "org-1"
    f = files(env)
    assert problems_of(env) == [
        f"{f['org']}: organization.id: must look like o-xxxxxxxxxx (o- then 10-32 lowercase "
        "letters or digits)",
        f"{f['accounts']}: accounts[0].email: must be an email address",
        f"{f['accounts']}: accounts[1].id: must be 12 ASCII digits (0-9)",
    ]


def test_stack_config_errors_name_the_namespaced_key(scenario):
    env = scenario()
    env.config.update(
        {
            "obsgov:alarmDefaults": {"periodSeconds": 45},
            "obsgov:logRetentionDays": 31,
            "aws:region": "Ireland",
        }
    )
    stack = files(env)["stack"]
    problems = problems_of(env)
    assert (
        f"{stack}: config.obsgov:alarmDefaults: periodSeconds must be 10, 20, 30 or a "
        "multiple of 60"
    ) in problems
    assert any(
        p.startswith(
            f"{stack}: config.obsgov:logRetentionDays: must be one of the "
            "values CloudWatch Logs accepts: 1, 3, 5"
        )
        for p in problems
    )
    assert (
        f"{stack}: config.aws:region: must match the pattern ^[a-z]{{2}}(-gov)?-[a-z]+-[0-9]$"
    ) in problems


def test_nested_stack_key_path_is_one_dotted_path(scenario):
    env = scenario()
    env.config["obsgov:modelApproval"] = {"enabled": True, "registryAccountId": "12"}
    assert problems_of(env) == [
        f"{files(env)['stack']}: config.obsgov:modelApproval.registryAccountId: must be 12 "
        "ASCII digits (0-9)"
    ]


def test_model_approval_needs_a_registry_account(scenario):
    env = scenario()
    env.config["obsgov:modelApproval"] = {"enabled": True}
    assert problems_of(env) == [
        f"{files(env)['stack']}: config.obsgov:modelApproval: registryAccountId is required "
        "when enabled is true"
    ]


def test_invalid_regex_in_tag_schema(scenario):
    env = scenario()
    env.organization["tagSchema"]["required"][1]["pattern"] = "([a-z"
    assert problems_of(env) == [
        f"{files(env)['org']}: tagSchema.required[1].pattern: is not a valid regular "
        "expression (unterminated character set at position 1)"
    ]


# --------------------------------------------------------------------------- AWS's limits


def test_tag_schema_key_aws_would_refuse(scenario):
    env = scenario()
    env.organization["tagSchema"]["pipelines"][0]["key"] = "aws:pipeline"
    assert problems_of(env) == [
        f"{files(env)['org']}: tagSchema.pipelines[0].key: tag keys must not start with aws: "
        "(reserved for AWS)"
    ]


def test_tag_schema_value_longer_than_aws_allows(scenario):
    env = scenario()
    env.organization["tagSchema"]["required"][0]["allowedValues"].append("x" * 257)
    assert problems_of(env) == [
        f"{files(env)['org']}: tagSchema.required[0].allowedValues[3]: tag values must be at "
        "most 256 characters (this one has 257)"
    ]


def test_platform_cost_centre_with_characters_aws_refuses(scenario):
    env = scenario()
    env.organization["organization"]["platformCostCentre"] = "CC-1000 ✓"
    assert problems_of(env) == [
        f"{files(env)['org']}: organization.platformCostCentre: tag values may hold only "
        "letters, digits, spaces and _ . : / = + - @ (not '✓')"
    ]


def test_infinite_slo_is_refused_with_its_key_path(scenario):
    env = scenario()
    env.write()
    text = (env.directory / "accounts.yaml").read_text()
    (env.directory / "accounts.yaml").write_text(
        text.replace("latencyP99Ms: 200", "latencyP99Ms: .inf")
    )
    with pytest.raises(InputError) as caught:
        load_environment("dev", env.stack_file)
    assert [str(p) for p in caught.value.problems] == [
        f"{files(env)['accounts']}: workloads[0].slo.latencyP99Ms: line 25: '.inf' is not a "
        "finite number"
    ]


def test_infinity_from_a_config_string_is_refused(scenario):
    """``pulumi.Config`` hands the program strings; pydantic would read "inf" as a float."""
    env = scenario()
    env.write()
    config = stack_config_map(
        {
            "config": {
                "aws:region": "eu-west-1",
                "obsgov:environment": "dev",
                "obsgov:alarmDefaults": {"anomalyBandWidth": 2},
            }
        },
        "Pulumi.dev.yaml",
    )
    config["obsgov:alarmDefaults"] = '{"anomalyBandWidth": 1e999}'
    with pytest.raises(InputError) as caught:
        load_environment("dev", env.stack_file, config)
    assert [str(p) for p in caught.value.problems] == [
        f"{files(env)['stack']}: config.obsgov:alarmDefaults.anomalyBandWidth: must be a "
        "finite number"
    ]


# --------------------------------------------------------------------------- stack files


def test_top_level_environment_in_a_stack_file_is_refused(scenario):
    """``environment:`` at the top of a stack file imports Pulumi ESC environments: a dev
    stack file saying ``environment: prod`` there must not pass silently."""
    env = scenario()
    env.stack_doc["environment"] = "prod"
    assert problems_of(env) == [
        f"{files(env)['stack']}: environment: imports Pulumi ESC environments, which obsgov "
        "cannot resolve offline; set the obsgov environment under config: as "
        "obsgov:environment"
    ]


def test_unknown_top_level_key_in_a_stack_file(scenario):
    env = scenario()
    env.stack_doc["confg"] = {}
    assert problems_of(env) == [
        f"{files(env)['stack']}: confg: is not a key of a Pulumi stack file (expected config, "
        "secretsprovider, encryptedkey, encryptionsalt)"
    ]


def test_secure_values_are_secrets_at_any_depth():
    flat = stack_config_map(
        {
            "config": {
                "obsgov:token": {"secure": "v1:abc"},
                "obsgov:notifications": {"httpsEndpoints": [{"secure": "v1:def"}]},
            }
        },
        "Pulumi.dev.yaml",
    )
    assert flat == {
        "obsgov:token": "[secret]",
        "obsgov:notifications": '{"httpsEndpoints": ["[secret]"]}',
    }


def test_a_secret_where_plain_text_is_needed_is_explained(scenario):
    env = scenario()
    env.config["obsgov:notifications"] = {"httpsEndpoints": [{"secure": "v1:AAAA"}]}
    assert problems_of(env) == [
        f"{files(env)['stack']}: config.obsgov:notifications.httpsEndpoints[0]: is a secret "
        "(secure:), which obsgov cannot decrypt offline; this setting must be plain text"
    ]


def test_a_key_given_with_and_without_the_project_name(scenario):
    env = scenario()
    env.config["environment"] = "dev"
    assert problems_of(env) == [
        f"{files(env)['stack']}: config.environment: repeats obsgov:environment (given both "
        "with and without the project name)"
    ]


def test_yaml_syntax_error_names_line(scenario):
    env = scenario()
    env.write()
    (env.directory / "accounts.yaml").write_text("accounts:\n  - id: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_environment(env.stack, env.stack_file)
    assert [str(p) for p in caught.value.problems] == [
        f"{files(env)['accounts']}: line 3 column 1: invalid YAML (did not find expected ',' "
        "or ']')"
    ]


def test_duplicate_key_in_the_registry(scenario):
    env = scenario()
    env.write()
    path = env.directory / "accounts.yaml"
    path.write_text(
        path.read_text().replace(
            "  name: serving-dev\n", "  name: serving-dev\n  name: serving-two\n", 1
        )
    )
    with pytest.raises(InputError) as caught:
        load_environment(env.stack, env.stack_file)
    assert [str(p) for p in caught.value.problems] == [
        f"{files(env)['accounts']}: accounts[0].name: line 4: duplicate key 'name' (YAML "
        "would keep only the last one)"
    ]


def test_missing_registry_file_and_bad_settings_are_reported_together(scenario):
    env = scenario()
    env.config["obsgov:registryFile"] = "missing.yaml"
    env.config["obsgov:logRetentionDays"] = "forever"
    problems = problems_of(env)
    assert problems[-1] == f"{display_path(env.directory / 'missing.yaml')}: file not found"
    assert problems[0].startswith(f"{files(env)['stack']}: config.obsgov:logRetentionDays:")


def test_registry_that_is_a_folder(scenario):
    env = scenario()
    env.write()
    (env.directory / "accounts.yaml").unlink()
    (env.directory / "accounts.yaml").mkdir()
    with pytest.raises(InputError) as caught:
        load_environment(env.stack, env.stack_file)
    assert [str(p) for p in caught.value.problems] == [
        f"{files(env)['accounts']}: is a folder, expected a file"
    ]


# --------------------------------------------------------------------------- stack names


def test_unknown_stack_lists_the_available_ones(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path, "qa", "--env")
    assert str(caught.value.problems[0]) == (
        f"--env: no stack 'qa': {display_path(tmp_path / 'Pulumi.qa.yaml')} does not exist "
        "(available: dev)"
    )


@pytest.mark.parametrize("name", ["../dev", "a/b", "", ".."])
def test_stack_names_are_not_paths(tmp_path, name):
    with pytest.raises(InputError) as caught:
        stack_file_for(tmp_path, name)
    assert str(caught.value.problems[0]) == f"--stack: {name!r} is not a stack name"


def test_the_shipped_examples_are_valid(example_env):
    for stack in ("dev", "staging", "prod"):
        env = example_env(stack)
        assert env.environment == stack
        assert len(env.member_accounts) == 3


# --------------------------------------------------------------------------- instance types


def test_an_endpoint_instance_type_missing_from_the_shipped_table_names_its_key(scenario):
    """The saturation alarms are sized from obsgov/config/sagemaker_instance_types.yaml
    (CPUUtilization reaches vCPUs x 100%, GPUUtilization GPUs x 100%:
    https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html), so a type the
    table lacks is refused, not sized by a guess."""
    env = scenario()
    env.workloads[0]["instanceType"] = "ml.m5.xlarg"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[0].instanceType: 'ml.m5.xlarg' is not in "
        "obsgov's table of SageMaker instance types "
        "(obsgov/config/sagemaker_instance_types.yaml) (did you mean ml.m5.xlarge, "
        "ml.m5d.xlarge, ml.m5.4xlarge?); add its row (vCPUs, GPUs, GPU memory) there if "
        "SageMaker hosts endpoints on it"
    ]


def test_a_real_time_endpoint_needs_an_instance_type(scenario):
    env = scenario()
    del env.workloads[0]["instanceType"]
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[0].instanceType: is required for a real-time or "
        "asynchronous endpoint (an instance type such as ml.m5.xlarge: its vCPUs and GPUs "
        "size the saturation alarms)"
    ]


def test_a_serverless_endpoint_has_no_instance_type(scenario):
    env = scenario()
    env.workloads[0]["inference"] = "serverless"
    assert problems_of(env) == [
        f"{files(env)['accounts']}: workloads[0].instanceType: must not be set for a "
        "serverless endpoint (it has no instances)"
    ]
