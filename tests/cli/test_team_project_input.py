"""Bad input to ``--project`` exits 2 before anything runs, with the CLI's words where the
Pulumi CLI would refuse the same project, naming the file, key or option otherwise."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.io import display_path

from ..support.environments import ROOT

CHECKOUT = ROOT / "tests" / "fixtures" / "team_projects" / "checkout-api"


def run(*args: str):
    result = CliRunner().invoke(app, list(args), terminal_width=80)
    assert "Traceback" not in result.output
    return result


def project(tmp_path: Path, pulumi_yaml: str, program: str = "import pulumi\n", **files):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(textwrap.dedent(pulumi_yaml))
    (folder / "__main__.py").write_text(textwrap.dedent(program))
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(textwrap.dedent(text))
    return folder


@pytest.mark.parametrize("command", ["preview", "synth"])
def test_a_folder_without_pulumi_yaml_is_not_a_project(tmp_path, command):
    result = run(command, "--project", str(tmp_path), "--stack", "dev")
    assert result.exit_code == 2
    assert result.output == (
        "error: 1 problem found:\n"
        f"  --project: {tmp_path} is not a Pulumi project: it has no Pulumi.yaml\n"
    )


def test_a_runtime_other_than_python_is_refused_naming_what_runs(tmp_path):
    folder = project(tmp_path, "name: web\nruntime:\n  name: nodejs\n")
    result = run("preview", "--project", str(folder), "--stack", "dev")
    assert result.exit_code == 2
    assert (
        f"  {folder / 'Pulumi.yaml'}: runtime: is 'nodejs'; obsgov runs only Python "
        "programs (runtime: python)\n"
    ) in result.output


def test_missing_required_config_is_reported_as_the_cli_does_before_anything_runs(tmp_path):
    # the program would fail if it ran: the config check comes first
    folder = project(
        tmp_path,
        """
        name: api
        runtime: python
        config:
          zone: {type: string}
          count: {type: integer}
          owner: {type: string}
          size: {type: string, default: small}
        """,
        program="raise SystemExit('the program ran')\n",
        Pulumi_dev_yaml="config:\n  api:owner: me@example.com\n",
    )
    result = run("preview", "--project", str(folder), "--stack", "dev", "--environment", "dev")
    assert result.exit_code == 2
    assert result.output == (
        "error: Stack 'dev' is missing configuration values 'count' and 'zone'\n"
    )


def test_one_missing_key_and_a_missing_stack_file_are_both_said(tmp_path):
    result = run("synth", "--project", str(CHECKOUT), "--stack", "dev")
    assert result.exit_code == 2
    assert result.output == (
        f"note: {display_path(CHECKOUT / 'Pulumi.dev.yaml')} does not exist: stack dev has no config of "
        "its own\n"
        "error: Stack 'dev' is missing configuration values 'networkStack' and 'tags'\n"
    )


def test_a_config_value_of_the_wrong_type_is_refused_as_the_cli_does():
    result = run(
        "synth", "--project", str(CHECKOUT), "--stack", "prod", "--config", "instanceCount=two"
    )
    assert result.exit_code == 2
    assert result.output == (
        "error: Stack 'prod' with configuration key 'instanceCount' must be of type 'integer'\n"
    )


@pytest.mark.parametrize(
    ("flag", "problem"),
    [
        ("oops", "'oops': expected key=value"),
        ("=x", "'=x': a config key must be a non-empty string"),
        ("a:b:c=1", "'a:b:c=1': must be <key> or <namespace>:<key>"),
    ],
)
def test_bad_config_flags_name_the_flag(flag, problem):
    result = run("preview", "--project", str(CHECKOUT), "--stack", "prod", "--config", flag)
    assert result.exit_code == 2
    assert result.output == f"error: 1 problem found:\n  --config: {problem}\n"


def test_stack_outputs_must_be_readable_json_objects(tmp_path):
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    missing = tmp_path / "missing.json"
    result = run(
        "preview",
        "--project",
        str(CHECKOUT),
        "--stack",
        "prod",
        "--environment",
        "prod",
        *("--stack-outputs", "no-file-given"),
        *("--stack-outputs", f"a={array}"),
        *("--stack-outputs", f"b={broken}"),
        *("--stack-outputs", f"c={missing}"),
    )
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "error: 4 problems found:"
    assert lines[1] == "  --stack-outputs: 'no-file-given': expected STACKREF=FILE"
    assert lines[2] == (
        f"  {array}: must be a JSON object of output name to value (what `pulumi stack "
        "output --json` prints)"
    )
    assert lines[3].startswith(f"  {broken}: ")
    assert lines[4] == f"  {missing}: file not found"


def test_team_options_need_a_project():
    result = run("preview", "--stack", "dev", "--config", "a=b", "--environment", "prod")
    assert result.exit_code == 2
    assert result.output == (
        "error: 2 problems found:\n"
        "  --config: needs --project DIR\n"
        "  --environment: needs --project DIR\n"
    )


def test_the_gate_needs_an_environment_for_the_organisations_packs(tmp_path):
    folder = tmp_path / "checkout"
    shutil.copytree(CHECKOUT, folder)
    result = run("preview", "--project", str(folder), "--stack", "prod")
    assert result.exit_code == 2
    assert result.output == (
        "error: name the obsgov environment whose rules judge this stack: tag it in "
        "Pulumi.prod.yaml (config: pulumi:tags: obsgov:environment: prod) or pass "
        "--environment ENV\n"
    )


def test_an_unknown_environment_names_where_it_came_from(tmp_path):
    result = run("preview", "--project", str(CHECKOUT), "--stack", "prod", "--environment", "qa")
    assert result.exit_code == 2
    assert "--environment" in result.output
    assert "Pulumi.qa.yaml" in result.output


def test_a_failing_program_names_its_own_line(tmp_path):
    folder = project(
        tmp_path,
        "name: api\nruntime: python\n",
        program="import settings\n",
        settings_py="import pulumi\n\nregion = pulumi.Config().require('region')\n",
        Pulumi_dev_yaml="config: {}\n",
    )
    result = run("synth", "--project", str(folder), "--stack", "dev")
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: the program failed: ConfigMissingError at settings.py:3: Missing required "
        "configuration variable 'api:region'"
    )
